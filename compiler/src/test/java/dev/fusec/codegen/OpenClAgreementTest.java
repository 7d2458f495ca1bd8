package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.codegen.opencl.OpenClGraph;
import dev.fusec.interp.Interpreter;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.DType;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Tensor;
import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.ProgramCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OpenCL kernels against the reference interpreter: every case of {@link CodegenAgreementTest}
 * and every example graph of {@link ExamplesAgreementTest}, unfused and fused, at the same bindings
 * and the same tolerances as the Java kernels ({@link Agreement#F32}, {@link Agreement#BF16}). A second
 * run of the same executor (buffers and weights kept on the device) must give the same bits. Runs on
 * the device {@link OpenClDevice} gives (PoCL in CI); skipped, with the reason, without OpenCL.
 */
class OpenClAgreementTest {
    @TempDir
    static Path cacheDir;

    /**
     * The Java kernels' cases, and one more for the OpenCL kernels' 128 x 128 tiles, which only a
     * result of enough such tiles gets (the other cases are too small): 1536 rows, results 9 tiles wide,
     * K ragged against the tile's step in one product and not in the other.
     */
    static Stream<CodegenAgreementTest.Case> cases() {
        CodegenAgreementTest.Case big = new CodegenAgreementTest.Case("big tiles: plain, transposed and dual, K ragged and not", """
                graph big_tiles(x: f32[T, 37], w: f32[37, 1030], x2: f32[T, 40], wt: f32[1030, 40], b: f32[1030],
                                wg: f32[40, 520], wu: f32[40, 520])
                    -> (y: f32[T, 1030], yt: f32[T, 1030], h: f32[T, 520]) {
                  y = matmul(x, w)
                  yt = linear(x2, wt, b)
                  h = gate_up_swiglu(x2, wg, wu, limit=0.5)
                  return y, yt, h
                }
                """, List.of(Map.of("T", 1536L)), null);
        return Stream.concat(CodegenAgreementTest.cases(), Stream.of(big));
    }

    static Stream<Path> examples() throws java.io.IOException {
        return ExamplesAgreementTest.examples();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void kernelsAgreeWithTheInterpreter(CodegenAgreementTest.Case c) {
        DeviceContext ctx = OpenClDevice.get();
        Graph g = IrParser.parse(c.name().replaceAll("[^A-Za-z0-9]+", "_") + ".fir", c.ir());
        List<String> problems = agree(ctx, g, c.bindings(), 7, false);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void examplesAgreeWithTheInterpreter(Path file) {
        DeviceContext ctx = OpenClDevice.get();
        Graph g = IrParser.parseFile(file);
        List<String> problems = agree(ctx, g, ExamplesAgreementTest.bindings(g), 5, true);
        assertTrue(problems.isEmpty(), file + ":\n" + String.join("\n", problems));
    }

    /** Unfused and fused OpenCL runs of {@code g} against the interpreter at each binding; one line per disagreement. */
    static List<String> agree(DeviceContext ctx, Graph g, List<Map<String, Long>> bindings, long seed, boolean reuseWeights) {
        Graph fused = Pipeline.fuse(g);
        boolean f32 = g.inputs().stream().allMatch(p -> p.type().dtype() == DType.F32);
        double tol = f32 ? Agreement.F32 : Agreement.BF16;
        ProgramCache cache = new ProgramCache(cacheDir);
        Map<String, OpenClGraph> compiled = new LinkedHashMap<>();
        compiled.put("unfused", OpenClGraph.compile(g, ctx, cache, OpenClDevice.options()));
        compiled.put("fused", OpenClGraph.compile(fused, ctx, cache, OpenClDevice.options()));
        List<String> problems = new ArrayList<>();
        compiled.forEach((mode, cg) -> cg.built().log().lines().filter(l -> l.contains("warning"))
                .forEach(w -> problems.add(mode + " program: the compiler warns: " + w)));
        Map<String, Tensor> weights = new HashMap<>();
        try {
            for (Map<String, Long> binding : bindings) {
                Map<String, Tensor> in = RandomInputs.generate(g, binding, seed, reuseWeights ? weights : Map.of());
                if (reuseWeights) {
                    for (Param p : g.inputs()) {
                        if (p.type().shape().dims().stream().allMatch(d -> d.isStatic())) {
                            weights.put(p.name(), in.get(p.name()));
                        }
                    }
                }
                Map<String, Tensor> asWritten = Interpreter.run(g, in, binding);
                for (var e : compiled.entrySet()) {
                    String what = "opencl " + e.getKey() + " " + binding;
                    Map<String, Tensor> want = e.getKey().equals("fused") ? Interpreter.run(fused, in, binding) : asWritten;
                    Map<String, Tensor> one;
                    Map<String, Tensor> again;
                    try (OpenClGraph.Bound b = e.getValue().executor(binding)) {
                        one = b.run(in, true);
                        again = b.run(in, true);
                    }
                    problems.addAll(Agreement.compare(what, want, one, tol));
                    problems.addAll(Agreement.identical(what + " second run of the executor", one, again));
                    problems.addAll(Agreement.storedAsTheirTypes(what, g, one));
                    if (f32 && e.getKey().equals("fused")) {
                        problems.addAll(Agreement.compare(what + " vs the graph as written", asWritten, one, tol));
                    }
                }
            }
        } finally {
            compiled.values().forEach(OpenClGraph::close);
        }
        return problems;
    }
}
