package dev.fusec.pass;

import static dev.fusec.pass.TranslationValidation.assertAgree;
import static dev.fusec.pass.TranslationValidation.assertRoundTrips;
import static dev.fusec.pass.TranslationValidation.events;
import static dev.fusec.pass.TranslationValidation.fuse;
import static dev.fusec.pass.TranslationValidation.inputs;
import static dev.fusec.pass.TranslationValidation.parse;
import static dev.fusec.pass.TranslationValidation.worstRelativeDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrPrinter;
import dev.fusec.pass.TranslationValidation.Fused;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every fusion rule on small graphs: the exact fused IR (golden text), translation validation by the
 * interpreter before vs after (see {@link TranslationValidation#TOLERANCE}), and the near misses, each
 * with the reason {@code --explain} shows. Clamped graphs run on inputs scaled by {@link #BIG} so the
 * clamps bind, and each such test first proves that they do.
 */
class FusionRulesTest {
    static final Map<String, Long> DIMS = Map.of("T", 5L, "S", 3L, "B", 2L, "H", 6L, "I", 3L);
    static final long[] SEEDS = {1, 2, 3};
    /** Input scale for clamped graphs: gate and up reach ~10x the limit 7. */
    static final double BIG = 20;

    /** Fuses {@code source}, checks the printed result is exactly {@code expected}, and validates it. */
    private static Fused assertFusesTo(String label, String source, String expected, double scale) {
        Graph g = parse(source);
        Fused f = fuse(g);
        assertEquals(expected, IrPrinter.print(Pipeline.fuse(g)), label + ": fused IR");
        assertEquals(expected, IrPrinter.print(f.graph()), label + ": fused IR, verified after every pass");
        assertRoundTrips(f.graph());
        for (long seed : SEEDS) {
            assertAgree(label + " (seed " + seed + ")", g, f.graph(), DIMS, seed, scale);
        }
        return f;
    }

    private static Fused assertFusesTo(String label, String source, String expected) {
        return assertFusesTo(label, source, expected, 1);
    }

    /**
     * {@code rule} never fired, at least one of its near misses says {@code reason}, and the graph the
     * pipeline left still computes what the source does.
     */
    private static Fused assertNotFired(String label, String source, String rule, String reason, double scale) {
        Graph g = parse(source);
        Fused f = fuse(g);
        List<Event> ev = events(f.ctx(), rule);
        assertTrue(ev.stream().noneMatch(Event::fired), label + ": " + rule + " fired: " + ev);
        assertTrue(ev.stream().anyMatch(e -> !e.fired() && e.detail().contains(reason)),
                label + ": no near miss of " + rule + " saying '" + reason + "' in " + f.ctx().events());
        assertEquals(0, f.ctx().hits().getOrDefault(rule, 0), label + ": hit count of " + rule);
        assertRoundTrips(f.graph());
        for (long seed : SEEDS) {
            assertAgree(label + " (seed " + seed + ")", g, f.graph(), DIMS, seed, scale);
        }
        return f;
    }

    private static Fused assertNotFired(String label, String source, String rule, String reason) {
        return assertNotFired(label, source, rule, reason, 1);
    }

    private static void assertFiredOnce(Fused f, String... rules) {
        for (String r : rules) {
            assertEquals(1, f.ctx().hits().getOrDefault(r, 0), r + " hits in " + f.ctx().events());
        }
    }

    /** The clamps of {@code source} change its result at scale {@link #BIG}: they bind, so a lost limit would show. */
    private static void assertClampsBind(String source) {
        Graph clamped = parse(source);
        Graph loose = parse(source.replace("7.0", "1000000.0"));
        double d = worstRelativeDifference(clamped, loose, inputs(clamped, DIMS, 1, BIG));
        assertTrue(d > 0.1, "clamps at 7 barely bind at scale " + BIG + " (difference " + d + ")");
    }

    // ---- gate-up merge and epilogue ----

    static final String LLAMA = """
            graph ffn(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
              gate = matmul(x, w_gate)
              up = matmul(x, w_up)
              act = silu(gate)
              h = mul(act, up)
              y = matmul(h, w_down)
              return y
            }
            """;

    @Test
    void llamaFfnBecomesGateUpSwiGlu() {
        Fused f = assertFusesTo("llama ffn", LLAMA, """
                graph ffn(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
                  h = gate_up_swiglu(x, w_gate, w_up)
                  y = matmul(h, w_down)
                  return y
                }
                """);
        assertFiredOnce(f, "gate-up-merge", "swiglu", "gate-up-swiglu");
        assertEquals(3, f.ctx().hits().values().stream().mapToInt(Integer::intValue).sum(), "only those three fire");
    }

    @Test
    void bf16FfnAgreesWithinBf16Rounding() {
        // Unfused, gate, up and silu(gate) are each rounded to bf16 (8 bits) when stored; fused, they stay in
        // registers. So the two differ by a few bf16 steps, not by f32 noise: tolerance 4 * 2^-8.
        Graph g = parse(LLAMA.replace("f32", "bf16"));
        Fused f = fuse(g);
        assertEquals(List.of("gate_up_swiglu", "matmul"), TranslationValidation.opNames(f.graph()));
        double worst = 0;
        for (long seed : SEEDS) {
            worst = Math.max(worst, assertAgree("bf16 llama ffn (seed " + seed + ")", g, f.graph(), DIMS, seed, 1, 4.0 / 256));
        }
        assertTrue(worst > TranslationValidation.TOLERANCE, "bf16 rounding should show: " + worst);
    }

    @Test
    void symbolicWidths() {
        Fused f = assertFusesTo("symbolic H, I", """
                graph g(x: f32[T, H], w_gate: f32[H, I], w_up: f32[H, I], y2: f32[T, 2*I], b: f32[2*I]) -> (h: f32[T, I], k: f32[T, I]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  h = mul(silu(gate), up)
                  z = add(y2, b)
                  p = reshape(z, shape=[T, I, 2])
                  a, c = split(p, parts=2, axis=-1)
                  k = mul(silu(reshape(a, shape=[T, I])), reshape(c, shape=[T, I]))
                  return h, k
                }
                """, """
                graph g(
                    x: f32[T, H],
                    w_gate: f32[H, I],
                    w_up: f32[H, I],
                    y2: f32[T, 2*I],
                    b: f32[2*I],
                ) -> (h: f32[T, I], k: f32[T, I]) {
                  h = gate_up_swiglu(x, w_gate, w_up)
                  k = bias_swiglu(y2, b, layout=interleaved)
                  return h, k
                }
                """);
        assertFiredOnce(f, "gate-up-merge", "bias-swiglu", "gate-up-swiglu");
        assertEquals(2, f.ctx().hits().get("swiglu"));
    }

    @Test
    void fusedNodeListsTheSourceNodesItAbsorbed() {
        Graph g = parse(LLAMA);
        Node fused = fuse(g).graph().nodes().get(0);
        // gate 2:10, up 3:8, act 4:9, h 5:7: the four statements the fused node replaces, in source order.
        assertEquals(g.nodes().subList(0, 4), fused.absorbed());
        assertEquals(List.of("matmul 2:10", "matmul 3:8", "silu 4:9", "mul 5:7"),
                fused.absorbed().stream().map(n -> n.op().opName() + " " + n.pos().lineCol()).toList());
        assertEquals("5:7", fused.pos().lineCol(), "a fused node sits where its root (the mul) was written");
        assertTrue(g.nodes().get(4).absorbed().isEmpty());
    }

    @Test
    void hfLinearWithoutBiasBecomesTransposedGateUpSwiGlu() {
        Fused f = assertFusesTo("hf linear", """
                graph hf(x: f32[T, 8], w_gate: f32[4, 8], w_up: f32[4, 8]) -> (h: f32[T, 4]) {
                  gate = linear(x, w_gate)
                  up = linear(x, w_up)
                  h = mul(silu(gate), up)
                  return h
                }
                """, """
                graph hf(x: f32[T, 8], w_gate: f32[4, 8], w_up: f32[4, 8]) -> (h: f32[T, 4]) {
                  h = gate_up_swiglu(x, w_gate, w_up, transpose_b=true)
                  return h
                }
                """);
        assertEquals(2, f.ctx().hits().get("linear-to-matmul"));
    }

    @Test
    void hfLinearWithBiasMergesOnlyTheMatmuls() {
        // The biases are added per half after the split, so no swiglu pattern appears; gate_up still saves a pass over x.
        Fused f = assertFusesTo("hf linear + bias", """
                graph hf(x: f32[T, 8], w_gate: f32[4, 8], b_gate: f32[4], w_up: f32[4, 8], b_up: f32[4]) -> (h: f32[T, 4]) {
                  gate = linear(x, w_gate, b_gate)
                  up = linear(x, w_up, b_up)
                  h = mul(silu(gate), up)
                  return h
                }
                """, """
                graph hf(
                    x: f32[T, 8],
                    w_gate: f32[4, 8],
                    b_gate: f32[4],
                    w_up: f32[4, 8],
                    b_up: f32[4],
                ) -> (h: f32[T, 4]) {
                  gate_mm_up_mm = gate_up(x, w_gate, w_up, transpose_b=true)
                  gate_mm, up_mm = split(gate_mm_up_mm, parts=2, axis=-1)
                  gate = add(gate_mm, b_gate)
                  up = add(up_mm, b_up)
                  silu_1 = silu(gate)
                  h = mul(silu_1, up)
                  return h
                }
                """);
        assertFiredOnce(f, "gate-up-merge");
        assertTrue(events(f.ctx(), "swiglu").stream().anyMatch(e -> !e.fired()
                && e.detail().contains("not two halves of one split")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mul(gate, sigmoid(gate))", "mul(sigmoid(gate), gate)"})
    void siluSpelledWithSigmoid(String spelling) {
        Fused f = assertFusesTo(spelling, """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  act = %s
                  h = mul(act, up)
                  return h
                }
                """.formatted(spelling), """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4]) {
                  h = gate_up_swiglu(x, w_gate, w_up)
                  return h
                }
                """);
        assertFiredOnce(f, "silu-from-sigmoid", "gate-up-merge", "swiglu", "gate-up-swiglu");
    }

    @Test
    void commutedMulWithUpDefinedFirst() {
        Fused f = assertFusesTo("up * silu(gate)", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4]) {
                  up = matmul(x, w_up)
                  gate = matmul(x, w_gate)
                  h = mul(up, silu(gate))
                  return h
                }
                """, """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4]) {
                  h = gate_up_swiglu(x, w_gate, w_up)
                  return h
                }
                """);
        assertFiredOnce(f, "activation-first", "gate-up-swiglu");
    }

    @Test
    void anotherProjectionOfXDoesNotStealTheGate() {
        // q reads x with the same weight shape; pairing it with gate (first come) once left up unmerged and no SwiGLU.
        Fused f = assertFusesTo("q, gate, up of one x", """
                graph g(x: f32[T, 8], wq: f32[8, 4], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4], q: f32[T, 4]) {
                  q = matmul(x, wq)
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  h = mul(silu(gate), up)
                  return h, q
                }
                """, """
                graph g(
                    x: f32[T, 8],
                    wq: f32[8, 4],
                    w_gate: f32[8, 4],
                    w_up: f32[8, 4],
                ) -> (h: f32[T, 4], q: f32[T, 4]) {
                  q = matmul(x, wq)
                  h = gate_up_swiglu(x, w_gate, w_up)
                  return h, q
                }
                """);
        assertFiredOnce(f, "gate-up-merge", "gate-up-swiglu");
    }

    @Test
    void twoFfnsOfOneInputPairUpCorrectly() {
        // Interleaved definitions: each gate must meet its own up, whatever the order.
        assertFusesTo("two ffns of x", """
                graph g(x: f32[T, 8], wg1: f32[8, 4], wg2: f32[8, 4], wu1: f32[8, 4], wu2: f32[8, 4]) -> (h: f32[T, 4]) {
                  g1 = matmul(x, wg1)
                  g2 = matmul(x, wg2)
                  u2 = matmul(x, wu2)
                  u1 = matmul(x, wu1)
                  h = add(mul(silu(g1), u1), mul(u2, silu(g2)))
                  return h
                }
                """, """
                graph g(
                    x: f32[T, 8],
                    wg1: f32[8, 4],
                    wg2: f32[8, 4],
                    wu1: f32[8, 4],
                    wu2: f32[8, 4],
                ) -> (h: f32[T, 4]) {
                  mul_1 = gate_up_swiglu(x, wg1, wu1)
                  mul_3 = gate_up_swiglu(x, wg2, wu2)
                  h = add(mul_1, mul_3)
                  return h
                }
                """);
    }

    @Test
    void sameWeightInTheOtherLayoutIsNoDuplicate() {
        assertNotFired("w and w^T", """
                graph g(x: f32[T, 8], w: f32[8, 8]) -> (h: f32[T, 8]) {
                  gate = matmul(x, w)
                  up = matmul(x, w, transpose_b=true)
                  h = mul(silu(gate), up)
                  return h
                }
                """, "gate-up-merge", "matmul at 3:8 stores its weight in the other layout (transpose_b differs)");
    }

    // ---- the swiglu family over an explicit split ----

    @Test
    void splitBySizesOnAxisOne() {
        Fused f = assertFusesTo("split sizes=[I, I], axis=1", """
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  gate, up = split(y, sizes=[4, 4], axis=1)
                  h = mul(silu(gate), up)
                  return h
                }
                """, """
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  h = swiglu(y)
                  return h
                }
                """);
        assertFiredOnce(f, "split-canonical", "swiglu");
    }

    @ParameterizedTest
    @ValueSource(strings = {"add(y, bias)", "add(bias, y)"})
    void biasSwiGluOnThreeDims(String add) {
        Fused f = assertFusesTo(add, """
                graph g(y: f32[S, B, 8], bias: f32[8]) -> (h: f32[S, B, 4]) {
                  z = %s
                  z1, z2 = split(z, parts=2, axis=-1)
                  h = mul(silu(z1), z2)
                  return h
                }
                """.formatted(add), """
                graph g(y: f32[S, B, 8], bias: f32[8]) -> (h: f32[S, B, 4]) {
                  h = bias_swiglu(y, bias)
                  return h
                }
                """);
        assertFiredOnce(f, "swiglu", "bias-swiglu");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"T; mul(h, w)", "T; mul(w, h)", "S, B; mul(h, w)", "S, B; mul(w, h)"})
    void weightedSwiGluWithOneWeightPerToken(String tokens, String mul) {
        assertFusesTo(mul + " [" + tokens + ", 1]", """
                graph g(y: f32[%1$s, 8], w: f32[%1$s, 1]) -> (out: f32[%1$s, 4]) {
                  g1, u1 = split(y, parts=2, axis=-1)
                  h = mul(silu(g1), u1)
                  out = %2$s
                  return out
                }
                """.formatted(tokens, mul), """
                graph g(y: f32[%1$s, 8], w: f32[%1$s, 1]) -> (out: f32[%1$s, 4]) {
                  out = weighted_swiglu(y, w)
                  return out
                }
                """.formatted(tokens));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"T; mul(h, w); add(y, bias)", "T; mul(w, h); add(bias, y)",
            "S, B; mul(h, w); add(bias, y)", "S, B; mul(w, h); add(y, bias)"})
    void weightedBiasSwiGlu(String tokens, String mul, String add) {
        Fused f = assertFusesTo(mul + " [" + tokens + ", 1], " + add, """
                graph g(y: f32[%1$s, 8], bias: f32[8], w: f32[%1$s, 1]) -> (out: f32[%1$s, 4]) {
                  z = %3$s
                  g1, u1 = split(z, parts=2, axis=-1)
                  h = mul(silu(g1), u1)
                  out = %2$s
                  return out
                }
                """.formatted(tokens, mul, add), """
                graph g(y: f32[%1$s, 8], bias: f32[8], w: f32[%1$s, 1]) -> (out: f32[%1$s, 4]) {
                  out = weighted_bias_swiglu(y, bias, w)
                  return out
                }
                """.formatted(tokens));
        assertFiredOnce(f, "swiglu", "bias-swiglu", "weighted-swiglu");
    }

    @Test
    void secondHalfGatedIsSwapped() {
        String source = """
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  a, b = split(y, parts=2, axis=-1)
                  h = mul(silu(b), a)
                  return h
                }
                """;
        assertFusesTo("silu(second half)", source, """
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  h = swiglu(y, layout=swapped)
                  return h
                }
                """);
        // The layout matters: reading halves instead would be caught.
        Graph wrong = parse(source.replace("h = mul(silu(b), a)", "h = swiglu(y)").replace("  a, b = split(y, parts=2, axis=-1)\n", ""));
        assertTrue(worstRelativeDifference(parse(source), wrong, inputs(wrong, DIMS, 1, 1)) > 0.1);
    }

    @Test
    void swappedSwiGluOverGateUpSwapsTheWeights() {
        String source = """
                graph g(x: f32[T, 8], wa: f32[8, 4], wb: f32[8, 4]) -> (out: f32[T, 4]) {
                  gu = gate_up(x, wa, wb)
                  a, b = split(gu, parts=2, axis=-1)
                  out = mul(silu(b), a)
                  return out
                }
                """;
        String expected = """
                graph g(x: f32[T, 8], wa: f32[8, 4], wb: f32[8, 4]) -> (out: f32[T, 4]) {
                  out = gate_up_swiglu(x, wb, wa)
                  return out
                }
                """;
        Fused f = assertFusesTo("swapped swiglu over gate_up", source, expected);
        assertTrue(events(f.ctx(), "swiglu").get(0).detail().startsWith("swiglu(gu, layout=swapped)"));
        // Had the epilogue kept the weights in place, the numbers would say so.
        Graph unswapped = parse(expected.replace("(x, wb, wa)", "(x, wa, wb)"));
        assertTrue(worstRelativeDifference(parse(source), unswapped, inputs(unswapped, DIMS, 1, 1)) > 0.1);
    }

    @Test
    void interleavedPairsThroughReshape() {
        String source = """
                graph g(x: f32[T, 8], w: f32[8, 8]) -> (out: f32[T, 4]) {
                  y = matmul(x, w)
                  p = reshape(y, shape=[T, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  g0 = reshape(a, shape=[T, 4])
                  u0 = reshape(b, shape=[T, 4])
                  out = mul(silu(g0), u0)
                  return out
                }
                """;
        String expected = """
                graph g(x: f32[T, 8], w: f32[8, 8]) -> (out: f32[T, 4]) {
                  y = matmul(x, w)
                  out = swiglu(y, layout=interleaved)
                  return out
                }
                """;
        assertFusesTo("interleaved", source, expected);
        Graph halves = parse(expected.replace("swiglu(y, layout=interleaved)", "swiglu(y)"));
        assertTrue(worstRelativeDifference(parse(source), halves, inputs(halves, DIMS, 1, 1)) > 0.1);
    }

    static final String CLAMPED = """
            graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
              gate, up = split(y, parts=2, axis=-1)
              gc = clamp(gate, max=7.0)
              uc = clamp(up, min=-7.0, max=7.0)
              h = mul(silu(gc), uc)
              return h
            }
            """;

    @Test
    void clampsBecomeLimit() {
        assertClampsBind(CLAMPED);
        assertFusesTo("clamped swiglu", CLAMPED, """
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  h = swiglu(y, limit=7.0)
                  return h
                }
                """, BIG);
    }

    @Test
    void clampedGateUpWithUpFirstIsSwappedThenFused() {
        // The clamp hides which matmul is gated, so gate_up takes source order ([up; gate]): swiglu reads it
        // swapped and the epilogue puts w_gate first again.
        String source = """
                graph g(x: f32[T, 8], w_up: f32[8, 4], w_gate: f32[8, 4]) -> (out: f32[T, 4]) {
                  up = matmul(x, w_up)
                  gate = matmul(x, w_gate)
                  gc = clamp(gate, max=7.0)
                  uc = clamp(up, min=-7.0, max=7.0)
                  out = mul(silu(gc), uc)
                  return out
                }
                """;
        assertClampsBind(source);
        Fused f = assertFusesTo("clamped gate_up, up first", source, """
                graph g(x: f32[T, 8], w_up: f32[8, 4], w_gate: f32[8, 4]) -> (out: f32[T, 4]) {
                  out = gate_up_swiglu(x, w_gate, w_up, limit=7.0)
                  return out
                }
                """, BIG);
        assertTrue(events(f.ctx(), "swiglu").get(0).detail().contains("layout=swapped, limit=7.0"));
    }

    @Test
    void clampBehindTheTrailingOneReshape() {
        // [clamp] reshape [clamp]: the clamp may sit on either side of the reshape that drops the pair axis.
        String source = """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4]) {
                  p = reshape(y, shape=[T, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  ac = clamp(a, max=7.0)
                  bc = clamp(b, min=-7.0, max=7.0)
                  g0 = reshape(ac, shape=[T, 4])
                  u0 = reshape(bc, shape=[T, 4])
                  out = mul(silu(g0), u0)
                  return out
                }
                """;
        assertClampsBind(source);
        assertFusesTo("clamp inside reshape", source, """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4]) {
                  out = swiglu(y, layout=interleaved, limit=7.0)
                  return out
                }
                """, BIG);
    }

    /** y [T, 8] as interleaved pairs, split from its [T, 4, 2] view into a and b [T, 4, 1]; out is the first %s. */
    static final String PAIRS = """
            graph g(y: f32[T, 8]) -> (out: %s) {
              p = reshape(y, shape=[T, 4, 2])
              a, b = split(p, parts=2, axis=-1)
              out = %s
              return out
            }
            """;

    /**
     * Every spelling of the interleaved layout reaches swiglu(y, layout=interleaved) on y [T, 8] itself,
     * and the explanation says which spelling it met: each half squeezed to [T, 4] before the mul (silu
     * and the clamps on either side of the squeeze), or the product of the [T, 4, 1] halves reshaped
     * back to [T, 4] after it.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            halves squeezed before the mul | mul(silu(reshape(a, shape=[T, 4])), reshape(b, shape=[T, 4])) | before
            silu before the squeeze        | mul(reshape(silu(a), shape=[T, 4]), reshape(b, shape=[T, 4])) | before
            squeezed, then clamped         | mul(silu(clamp(reshape(a, shape=[T, 4]), max=7.0)), clamp(reshape(b, shape=[T, 4]), min=-7.0, max=7.0)) | before
            clamped, silu, then squeezed   | mul(reshape(silu(clamp(a, max=7.0)), shape=[T, 4]), reshape(clamp(b, min=-7.0, max=7.0), shape=[T, 4])) | before
            product reshaped after the mul | reshape(mul(silu(a), b), shape=[T, 4]) | after
            after, up first, shape [T, -1] | reshape(mul(b, silu(a)), shape=[T, -1]) | after
            after, clamped                 | reshape(mul(silu(clamp(a, max=7.0)), clamp(b, min=-7.0, max=7.0)), shape=[T, 4]) | after
            after, written as a swiglu     | reshape(swiglu(p), shape=[T, 4]) | after
            """)
    void everySpellingOfInterleavedPairs(String label, String out, String where) {
        String source = PAIRS.formatted("f32[T, 4]", out);
        boolean clamped = out.contains("clamp");
        if (clamped) {
            assertClampsBind(source);
        }
        Fused f = assertFusesTo(label, source, """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4]) {
                  out = swiglu(y, layout=interleaved%s)
                  return out
                }
                """.formatted(clamped ? ", limit=7.0" : ""), clamped ? BIG : 1);
        String spelling = where.equals("before")
                ? "interleaved spelled as reshape to [T, 4, 2] + split, each half reshaped to [T, 4] before the mul"
                : "interleaved spelled as reshape to [T, 4, 2] + split, the product reshaped back to [T, 4] after the mul";
        String rule = where.equals("before") ? "swiglu" : "interleaved-swiglu";
        assertTrue(events(f.ctx(), rule).stream().anyMatch(e -> e.fired() && e.detail().contains(spelling)),
                label + ": no " + rule + " event says '" + spelling + "' in " + f.ctx().events());
    }

    /** Interleaved GeGLU: the spellings above with gelu (either formula) in silu's place reach the same op with act=. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            halves squeezed before the mul | mul(gelu(reshape(a, shape=[T, 4])), reshape(b, shape=[T, 4])) | gelu
            gelu before the squeeze        | mul(reshape(gelu(a), shape=[T, 4]), reshape(b, shape=[T, 4])) | gelu
            tanh gelu before the squeeze   | mul(reshape(gelu(a, approximate=tanh), shape=[T, 4]), reshape(b, shape=[T, 4])) | gelu_tanh
            product reshaped after the mul | reshape(mul(gelu(a), b), shape=[T, 4]) | gelu
            tanh gelu, product reshaped    | reshape(mul(gelu(a, approximate=tanh), b), shape=[T, 4]) | gelu_tanh
            """)
    void everySpellingOfInterleavedGeGlu(String label, String out, String act) {
        assertFusesTo(label, PAIRS.formatted("f32[T, 4]", out), """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4]) {
                  out = swiglu(y, act=%s, layout=interleaved)
                  return out
                }
                """.formatted(act), 1);
    }

    @Test
    void interleavedProductOnThreeDims() {
        assertFusesTo("[S, B, 4, 2] pairs, product reshaped after", """
                graph g(y: f32[S, B, 8]) -> (out: f32[S, B, 4]) {
                  p = reshape(y, shape=[S, B, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  out = reshape(mul(silu(a), b), shape=[S, B, 4])
                  return out
                }
                """, """
                graph g(y: f32[S, B, 8]) -> (out: f32[S, B, 4]) {
                  out = swiglu(y, layout=interleaved)
                  return out
                }
                """);
    }

    // ---- GeGLU: the same rules with gelu in silu's place ----

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"gelu(gate); act=gelu", "gelu(gate, approximate=none); act=gelu",
            "gelu(gate, approximate=tanh); act=gelu_tanh"})
    void gegluFfnBecomesGateUpSwiGluWithAct(String spelling, String act) {
        String source = """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
                  up = matmul(x, w_up)
                  gate = matmul(x, w_gate)
                  a = %s
                  h = mul(up, a)
                  y = matmul(h, w_down)
                  return y
                }
                """.formatted(spelling);
        String expected = """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
                  h = gate_up_swiglu(x, w_gate, w_up, %s)
                  y = matmul(h, w_down)
                  return y
                }
                """.formatted(act);
        Fused f = assertFusesTo(spelling, source, expected);
        assertFiredOnce(f, "activation-first", "gate-up-merge", "swiglu", "gate-up-swiglu");
        assertTrue(events(f.ctx(), "swiglu").get(0).detail().startsWith("swiglu(gate_up, " + act + ") absorbed"),
                events(f.ctx(), "swiglu").toString());
        assertTrue(events(f.ctx(), "gate-up-swiglu").get(0).detail().startsWith("gate_up_swiglu(x, w_gate, w_up, " + act + ") absorbed"));
        // The activation matters: the SiLU or the other GELU would be caught.
        for (String other : List.of("act=gelu_tanh", "act=gelu")) {
            if (!other.equals(act)) {
                Graph wrong = parse(expected.replace(act, other));
                assertTrue(worstRelativeDifference(parse(source), wrong, inputs(wrong, DIMS, 1, 3)) > 1e-4, other + " for " + act);
            }
        }
        Graph silu = parse(expected.replace(", " + act, ""));
        assertTrue(worstRelativeDifference(parse(source), silu, inputs(silu, DIMS, 1, 1)) > 0.01, "silu for " + act);
    }

    @Test
    void t5GatedGeluWithLinearWeights() {
        // T5 v1.1's T5DenseGatedActDense: wo(gelu_new(wi_0(x)) * wi_1(x)), nn.Linear weights [out, in].
        Fused f = assertFusesTo("t5 gated-gelu", """
                graph t5(x: f32[T, 8], wi_0: f32[4, 8], wi_1: f32[4, 8], wo: f32[8, 4]) -> (y: f32[T, 8]) {
                  h = mul(gelu(linear(x, wi_0), approximate=tanh), linear(x, wi_1))
                  y = linear(h, wo)
                  return y
                }
                """, """
                graph t5(x: f32[T, 8], wi_0: f32[4, 8], wi_1: f32[4, 8], wo: f32[8, 4]) -> (y: f32[T, 8]) {
                  h = gate_up_swiglu(x, wi_0, wi_1, transpose_b=true, act=gelu_tanh)
                  y = matmul(h, wo, transpose_b=true)
                  return y
                }
                """);
        assertEquals(3, f.ctx().hits().get("linear-to-matmul"));
    }

    @Test
    void gegluOverASplitInEverySpelling() {
        assertFusesTo("bias geglu, second half gated", """
                graph g(y: f32[S, B, 8], b: f32[8]) -> (h: f32[S, B, 4]) {
                  z1, z2 = split(add(b, y), parts=2, axis=-1)
                  h = mul(z1, gelu(z2))
                  return h
                }
                """, """
                graph g(y: f32[S, B, 8], b: f32[8]) -> (h: f32[S, B, 4]) {
                  h = bias_swiglu(y, b, act=gelu, layout=swapped)
                  return h
                }
                """);
        assertFusesTo("weighted geglu, tanh form", """
                graph g(y: f32[T, 8], w: f32[T, 1]) -> (out: f32[T, 4]) {
                  g1, u1 = split(y, sizes=[4, 4], axis=1)
                  out = mul(w, mul(gelu(g1, approximate=tanh), u1))
                  return out
                }
                """, """
                graph g(y: f32[T, 8], w: f32[T, 1]) -> (out: f32[T, 4]) {
                  out = weighted_swiglu(y, w, act=gelu_tanh)
                  return out
                }
                """);
        assertFusesTo("interleaved geglu", """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4]) {
                  p = reshape(y, shape=[T, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  out = mul(gelu(reshape(a, shape=[T, 4])), reshape(b, shape=[T, 4]))
                  return out
                }
                """, """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4]) {
                  out = swiglu(y, act=gelu, layout=interleaved)
                  return out
                }
                """);
        String clamped = CLAMPED.replace("silu(gc)", "gelu(gc, approximate=tanh)");
        assertClampsBind(clamped);
        assertFusesTo("clamped geglu", clamped, """
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  h = swiglu(y, act=gelu_tanh, limit=7.0)
                  return h
                }
                """, BIG);
    }

    @Test
    void geluAlsoReturnedBlocksGeGlu() {
        assertNotFired("gelu returned", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4], act: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  act = gelu(gate, approximate=tanh)
                  h = mul(act, up)
                  return h, act
                }
                """, "swiglu", "'act' has other uses (it is a graph output); fusing would compute gelu twice");
        Fused f = assertNotFired("gelu of no split", """
                graph g(x: f32[T, 4], u: f32[T, 4]) -> (h: f32[T, 4]) {
                  h = mul(gelu(x, approximate=tanh), u)
                  return h
                }
                """, "swiglu", "gelu(x, approximate=tanh) * u: operands are not two halves of one split on the last axis");
        assertEquals(List.of("gelu", "mul"), TranslationValidation.opNames(f.graph()));
    }

    @Test
    void sigmoidGatesNoGlu() {
        // GLU proper (a * sigmoid(b)) is no SwiGLU-family op: nothing fires, nothing changes.
        Graph g = parse("""
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  a, b = split(y, parts=2, axis=-1)
                  h = mul(sigmoid(a), b)
                  return h
                }
                """);
        Fused f = fuse(g);
        assertEquals(List.of("split", "sigmoid", "mul"), TranslationValidation.opNames(f.graph()));
        assertTrue(events(f.ctx(), "swiglu").isEmpty(), f.ctx().events().toString());
    }

    // ---- near misses: the rule does not fire, and says why ----

    @Test
    void siluAlsoReturnedBlocksSwiGlu() {
        Fused f = assertNotFired("silu returned", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4], act: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  act = silu(gate)
                  h = mul(act, up)
                  return h, act
                }
                """, "swiglu", "'act' has other uses (it is a graph output); fusing would compute silu twice");
        assertEquals("""
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4], act: f32[T, 4]) {
                  gate_up = gate_up(x, w_gate, w_up)
                  gate, up = split(gate_up, parts=2, axis=-1)
                  act = silu(gate)
                  h = mul(act, up)
                  return h, act
                }
                """, IrPrinter.print(f.graph()));
    }

    @Test
    void siluUsedTwiceBlocksSwiGlu() {
        Fused f = assertNotFired("silu used twice", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (out: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  act = silu(gate)
                  h = mul(act, up)
                  out = add(h, act)
                  return out
                }
                """, "swiglu", "'act' has other uses (used by add at 6:9)");
        assertEquals(1, TranslationValidation.count(f.graph(), op -> op.opName().equals("silu") ? 1 : 0));
    }

    @Test
    void matmulsReadingDifferentInputsStayApart() {
        assertNotFired("different x", """
                graph g(x: f32[T, 8], x2: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x2, w_up)
                  h = mul(silu(gate), up)
                  return h
                }
                """, "gate-up-merge", "matmul at 3:8 has the same weight type but reads 'x2', not 'x'");
    }

    @Test
    void matmulsWithDifferentTransposeBStayApart() {
        assertNotFired("different transpose_b", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[4, 8]) -> (h: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up, transpose_b=true)
                  h = mul(silu(gate), up)
                  return h
                }
                """, "gate-up-merge", "matmul at 3:8 stores its weight in the other layout (transpose_b differs)");
    }

    @Test
    void weightsOfDifferentShapesStayApart() {
        assertNotFired("different weight shapes", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 1]) -> (h: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  h = mul(silu(gate), up)
                  return h
                }
                """, "gate-up-merge", "weights differ in shape: w_gate [8, 4] and w_up [8, 1]");
    }

    @Test
    void weightsOfDifferentDtypesStayApart() {
        // A matmul's operands share one dtype, so weights of two dtypes never meet the same x: the graph
        // that would need the rule's dtype check is rejected before any pass runs ...
        CompileError e = assertThrows(CompileError.class, () -> ShapeInference.infer(parse("""
                graph g(x: f32[T, 8], w_gate: bf16[8, 4], w_up: f32[8, 4]) -> (up: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  return up
                }
                """)));
        assertTrue(e.getMessage().contains("operands mix dtypes"), e.getMessage());
        // ... and a legal graph with a bf16 and an f32 projection reads two inputs: nothing merges, silently.
        Graph g = parse("""
                graph g(x: bf16[T, 8], w_gate: bf16[8, 4], xf: f32[T, 8], w_up: f32[8, 4]) -> (act: bf16[T, 4], up: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(xf, w_up)
                  act = silu(gate)
                  return act, up
                }
                """);
        Fused f = fuse(g);
        assertTrue(f.ctx().events().isEmpty(), "no rule comes near: " + f.ctx().events());
        assertEquals(g.withoutPositions(), f.graph().withoutPositions());
        assertAgree("bf16 + f32 projections", g, f.graph(), DIMS, 1, 1);
    }

    @Test
    void biasSwiGluOverGateUpKeepsGateUp() {
        Fused f = assertNotFired("bias_swiglu over gate_up", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], b: f32[8]) -> (h: f32[T, 4]) {
                  gu = gate_up(x, w_gate, w_up)
                  z = add(gu, b)
                  gate, up = split(z, parts=2, axis=-1)
                  h = mul(silu(gate), up)
                  return h
                }
                """, "gate-up-swiglu", "gate_up_swiglu has no bias operand; bias_swiglu stays after gate_up");
        assertEquals("""
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], b: f32[8]) -> (h: f32[T, 4]) {
                  gu = gate_up(x, w_gate, w_up)
                  h = bias_swiglu(gu, b)
                  return h
                }
                """, IrPrinter.print(f.graph()));
    }

    @Test
    void weightedSwiGluOverGateUpKeepsGateUp() {
        Fused f = assertNotFired("weighted_swiglu over gate_up", """
                graph g(x: f32[S, B, 8], w_gate: f32[8, 4], w_up: f32[8, 4], r: f32[S, B, 1]) -> (out: f32[S, B, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  h = mul(silu(gate), up)
                  out = mul(r, h)
                  return out
                }
                """, "gate-up-swiglu", "gate_up_swiglu has no per-token weight operand; weighted_swiglu stays after gate_up");
        assertEquals(List.of("gate_up", "weighted_swiglu"), TranslationValidation.opNames(f.graph()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gate", "up"})
    void clampOnOneHalfOnly(String half) {
        String clamp = half.equals("gate") ? "clamp(gate, max=7.0)" : "clamp(up, min=-7.0, max=7.0)";
        String source = """
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  gate, up = split(y, parts=2, axis=-1)
                  c = %s
                  h = mul(silu(%s), %s)
                  return h
                }
                """.formatted(clamp, half.equals("gate") ? "c" : "gate", half.equals("gate") ? "up" : "c");
        assertClampsBind(source);
        assertNotFired("clamp on " + half, source, "swiglu",
                "only " + half + " is clamped; limit= clamps gate above and up on both sides", BIG);
    }

    @Test
    void gateClampWithALowerBound() {
        String source = CLAMPED.replace("clamp(gate, max=7.0)", "clamp(gate, min=-7.0, max=7.0)");
        assertClampsBind(source);
        assertNotFired("gate clamp with min", source, "swiglu", "gate clamp must be clamp(max=L) alone to be limit=L", BIG);
    }

    @Test
    void upClampOfAnotherLimit() {
        String source = CLAMPED.replace("clamp(up, min=-7.0, max=7.0)", "clamp(up, min=-5.0, max=5.0)");
        assertNotFired("up clamp 5 vs gate 7", source, "swiglu", "up clamp must be clamp(min=-7.0, max=7.0)", BIG);
    }

    @Test
    void weightsNotOnePerToken() {
        Fused f = assertNotFired("weights [T, 2]", """
                graph g(y: f32[T, 4], w: f32[T, 2]) -> (out: f32[T, 2]) {
                  gate, up = split(y, parts=2, axis=-1)
                  h = mul(silu(gate), up)
                  out = mul(h, w)
                  return out
                }
                """, "weighted-swiglu", "multiplier w is [T, 2], not one weight per token [T, 1]");
        assertEquals(List.of("swiglu", "mul"), TranslationValidation.opNames(f.graph()));
    }

    @Test
    void clampUsedElsewhere() {
        String source = CLAMPED.replace("-> (h: f32[T, 4])", "-> (h: f32[T, 4], uc: f32[T, 4])").replace("return h", "return h, uc");
        assertNotFired("clamp returned", source, "swiglu",
                "'uc' has other uses (it is a graph output); fusing would compute the clamp twice", BIG);
    }

    @Test
    void reshapeOfAClampUsedElsewhere() {
        // The clamp's only user is a reshape, but that reshape is returned: the clamp must stay, so no limit=.
        String source = """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4], g0: f32[T, 4]) {
                  p = reshape(y, shape=[T, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  ac = clamp(a, max=7.0)
                  bc = clamp(b, min=-7.0, max=7.0)
                  g0 = reshape(ac, shape=[T, 4])
                  u0 = reshape(bc, shape=[T, 4])
                  out = mul(silu(g0), u0)
                  return out, g0
                }
                """;
        assertNotFired("reshaped clamp returned", source, "swiglu",
                "'g0' has other uses (it is a graph output); fusing would compute the clamp twice", BIG);
    }

    @Test
    void halvesReadDifferentlyAreNotFused() {
        // Gate goes back to [4, 4]; up stays [4, 4, 1], so the mul broadcasts to [4, 4, 4]: not a swiglu.
        // (This once made the rule build a graph of the wrong output shape.)
        assertNotFired("halves read differently", """
                graph g(y: f32[4, 8]) -> (out: f32[4, 4, 4]) {
                  p = reshape(y, shape=[4, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  g0 = reshape(a, shape=[4, 4])
                  out = mul(silu(g0), b)
                  return out
                }
                """, "swiglu", "gate and up are not read alike: only gate is reshaped from [..., I, 1] to [..., I]");
    }

    @Test
    void interleavedProductReshapedToAnotherShape() {
        // The [T, 4, 1] product as [T, 2, 2]: the interleaved swiglu(y) is [T, 4] and cannot take its place.
        Fused f = assertNotFired("product reshaped to [T, 2, 2]",
                PAIRS.formatted("f32[T, 2, 2]", "reshape(mul(silu(a), b), shape=[T, 2, 2])"), "interleaved-swiglu",
                "the product is reshaped to [T, 2, 2], not back to [T, 4] (the inverse of the [T, 4, 2] view of y);"
                        + " it stays a swiglu of one element per half");
        assertEquals(List.of("reshape", "swiglu", "reshape"), TranslationValidation.opNames(f.graph()));
    }

    @Test
    void interleavedProductWithTheOddElementGated() {
        Fused f = assertNotFired("odd element gated", PAIRS.formatted("f32[T, 4]", "reshape(mul(silu(b), a), shape=[T, 4])"),
                "interleaved-swiglu", "the second element of each pair is gated; no layout describes [u0, g0, u1, g1, ...]");
        assertTrue(IrPrinter.print(f.graph()).contains("swiglu(p, layout=swapped)"), IrPrinter.print(f.graph()));
    }

    @Test
    void interleavedProductAlsoReturned() {
        assertNotFired("[T, 4, 1] product returned", """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4], h3: f32[T, 4, 1]) {
                  p = reshape(y, shape=[T, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  h3 = mul(silu(a), b)
                  out = reshape(h3, shape=[T, 4])
                  return out, h3
                }
                """, "interleaved-swiglu", "'h3' has other uses (it is a graph output); fusing would compute the swiglu twice");
    }

    @Test
    void pairsViewOfAnotherAxis() {
        // [T, 2, 4] read as [T, 4, 2]: the pairs straddle y's last two axes, which no layout of y [.., 2I] describes.
        assertNotFired("pairs across two axes", """
                graph g(y: f32[T, 2, 4]) -> (out: f32[T, 4]) {
                  p = reshape(y, shape=[T, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  out = reshape(mul(silu(a), b), shape=[T, 4])
                  return out
                }
                """, "interleaved-swiglu",
                "swiglu reads reshape(y) from [T, 2, 4] to [T, 4, 2], which is not the last axis [.., 2I] viewed as [.., I, 2] pairs");
    }

    @Test
    void siluAlsoReturnedStaysBeforeItsReshape() {
        Fused f = assertNotFired("silu of a half returned", """
                graph g(y: f32[T, 8]) -> (out: f32[T, 4], s: f32[T, 4, 1]) {
                  p = reshape(y, shape=[T, 4, 2])
                  a, b = split(p, parts=2, axis=-1)
                  s = silu(a)
                  out = mul(reshape(s, shape=[T, 4]), reshape(b, shape=[T, 4]))
                  return out, s
                }
                """, "reshape-before-activation", "'s' has other uses (it is a graph output); moving the reshape before silu would compute it twice");
        assertEquals(0, f.ctx().hits().getOrDefault("swiglu", 0), f.ctx().events().toString());
    }

    @Test
    void linearOfAVectorStaysLinear() {
        // matmul needs [M, K]; turning this linear into one once produced an invalid graph.
        Fused f = assertNotFired("1-D linear", """
                graph g(x: f32[8], w: f32[4, 8], b: f32[4]) -> (out: f32[4]) {
                  out = linear(x, w, b)
                  return out
                }
                """, "linear-to-matmul", "input x is [8]; matmul needs at least [M, K]");
        assertEquals(List.of("linear"), TranslationValidation.opNames(f.graph()));
    }

    @Test
    void disabledRuleNeverFires() {
        Fused f = fuse(parse(LLAMA), java.util.Set.of("gate-up-merge"));
        assertTrue(events(f.ctx(), "gate-up-merge").isEmpty());
        // swiglu finds no split, so nothing downstream fires either.
        assertEquals(List.of("matmul", "matmul", "silu", "mul", "matmul"), TranslationValidation.opNames(f.graph()));
        assertFalse(f.ctx().hits().containsKey("swiglu"));
    }
}
