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
 * T = 1 (decode) and T = 3 (an odd prefill), with S = 2, B = 3 for [S, B, ..] graphs. Weights are
 * model-sized, so each graph runs at two bindings only and its weights are generated once.
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

    /** The bindings to run at: T in {1, 3}; S = 2, B = 3; any other symbol 2. */
    static List<Map<String, Long>> bindings(Graph g) {
        List<String> symbols = KernelGenerator.symbols(ShapeInference.infer(g));
        List<Map<String, Long>> out = new ArrayList<>();
        for (long t : symbols.contains("T") ? new long[] {1, 3} : new long[] {0}) {
            Map<String, Long> b = new HashMap<>();
            for (String s : symbols) {
                b.put(s, switch (s) {
                    case "T" -> t;
                    case "S" -> 2L;
                    case "B" -> 3L;
                    default -> 2L;
                });
            }
            out.add(b);
        }
        return out;
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
