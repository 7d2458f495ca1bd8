/**
 * fusec as a library: the one package a program that embeds fusec uses; every other package of
 * fusec is internal and may change without notice.
 *
 * <pre>{@code
 * FusecGraph g = FusecGraph.parse(Path.of("ffn.fir"));          // or FusecGraph.builder("ffn")...
 * Fusion f = g.fuse();                                           // f.explanation(): what fired, what not, why
 * try (CompiledModel m = g.compile(Mode.FUSED)
 *         .withWeights(Map.of("w_gate", wg, "w_up", wu, "w_down", wd))) {
 *     Outputs out = m.run(Map.of("x", Tensor.of(x, 1, 2048)));    // any thread, any number of times
 *     float[] y = out.get("y").data();
 * }
 * }</pre>
 *
 * <p>Everything here is thread-safe except {@link dev.fusec.api.FusecGraph.Builder}. Bad input
 * (a malformed graph, a wrong shape, a missing input) throws {@link dev.fusec.api.FusecException},
 * whose {@code render()} is the compiler-style line {@code FILE:LINE:COL: error: MESSAGE}.
 */
package dev.fusec.api;
