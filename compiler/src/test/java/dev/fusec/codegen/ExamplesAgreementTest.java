package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Interpreter;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.DType;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every graph in {@code ir-examples/}: fused kernels, unfused kernels and the interpreter agree at
 * one token (T = 1, or S = B = 1) and at a few (T = 3, or S = 2, B = 3). Weights are model-sized,
 * so each graph runs at these two bindings only and its weights are generated once.
 * Tolerance: {@link Agreement#F32} (or {@link Agreement#BF16} for graphs with narrower inputs).
 */
class ExamplesAgreementTest {
    static final Path EXAMPLES = Path.of(System.getProperty("basedir", ".")).resolve("../ir-examples").normalize();

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<Path> fir = files.filter(p -> p.getFileName().toString().endsWith(".fir")).sorted().toList();
            assertFalse(fir.isEmpty(), "no .fir files in " + EXAMPLES);
            return fir.stream();
        }
    }

    /**
     * The bindings to run at: one token (every symbol 1: T = 1, or S = B = 1), then T = 3, S = 2,
     * B = 3 and any other symbol 2, so every example runs as a decode step and as a small batch.
     */
    static List<Map<String, Long>> bindings(Graph g) {
        List<String> symbols = KernelGenerator.symbols(ShapeInference.infer(g));
        if (symbols.isEmpty()) {
            return List.of(Map.of());
        }
        Map<String, Long> one = new HashMap<>();
        Map<String, Long> few = new HashMap<>();
        for (String s : symbols) {
            one.put(s, 1L);
            few.put(s, switch (s) {
                case "T" -> 3L;
                case "B" -> 3L;
                default -> 2L;
            });
        }
        return List.of(one, few);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void fusedUnfusedAndInterpreterAgree(Path file) {
        Graph g = IrParser.parseFile(file);
        Graph fused = Pipeline.fuse(g);
        boolean f32 = g.inputs().stream().allMatch(p -> p.type().dtype() == DType.F32);
        double tol = f32 ? Agreement.F32 : Agreement.BF16;
        CompiledGraph unfusedKernels = CompiledGraph.compile(g, Species.preferred(), null);
        CompiledGraph fusedKernels = CompiledGraph.compile(fused, Species.preferred(), null);
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> weights = new HashMap<>();
        for (Map<String, Long> binding : bindings(g)) {
            // Inputs whose shape has no symbol (the weights) are generated once and reused.
            Map<String, Tensor> in = RandomInputs.generate(g, binding, 5, weights);
            for (Param p : g.inputs()) {
                if (p.type().shape().dims().stream().allMatch(d -> d.isStatic())) {
                    weights.put(p.name(), in.get(p.name()));
                }
            }
            Map<String, Tensor> want = Interpreter.run(g, in, binding);
            problems.addAll(Agreement.compare("unfused " + binding, want, Agreement.run(unfusedKernels, binding, in, 2), tol));
            problems.addAll(Agreement.compare("fused " + binding, f32 ? want : Interpreter.run(fused, in, binding),
                    Agreement.run(fusedKernels, binding, in, 2), tol));
        }
        assertTrue(problems.isEmpty(), file + ":\n" + String.join("\n", problems));
    }

    /** Guards the directory walk: the examples the task names are found. */
    @org.junit.jupiter.api.Test
    void theLlamaExampleIsFound() throws IOException {
        Map<String, Path> byName = new LinkedHashMap<>();
        examples().forEach(p -> byName.put(p.getFileName().toString(), p));
        assertTrue(byName.containsKey("llama2_7b_ffn.fir"), byName.keySet().toString());
    }
}
