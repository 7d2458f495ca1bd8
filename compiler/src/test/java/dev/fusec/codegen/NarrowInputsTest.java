package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Interpreter;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * bf16 inputs over several runs of one executor: a weight (static dims) is rounded once per array it
 * comes in, so it is packed once too; an activation is rounded again on every run, since a caller may
 * refill the same array. Each run is checked against the interpreter, within {@link Agreement#BF16}.
 */
class NarrowInputsTest {
    private static final String FFN = """
            graph ffn(x: bf16[T, 24], w_gate: bf16[24, 37], w_up: bf16[24, 37], w_down: bf16[37, 24]) -> (y: bf16[T, 24]) {
              y = matmul(mul(silu(matmul(x, w_gate)), matmul(x, w_up)), w_down)
              return y
            }
            """;

    @Test
    void newWeightArraysAndRefilledActivationsAreBothSeen() {
        Graph g = IrParser.parse("ffn.fir", FFN);
        Map<String, Long> binding = Map.of("T", 3L);
        List<String> problems = new ArrayList<>();
        for (Graph graph : List.of(g, Pipeline.fuse(g))) {
            CompiledGraph cg = CompiledGraph.compile(graph, Species.preferred(), null);
            Executor ex = cg.executor(binding);
            Map<String, Tensor> first = Agreement.inputs(g, binding, 1);
            Map<String, Tensor> second = Agreement.inputs(g, binding, 2);
            try (Parallel par = new Parallel(2)) {
                problems.addAll(Agreement.compare(graph.name() + " first weights", Interpreter.run(g, first, binding),
                        cg.run(ex, first, binding, par), Agreement.BF16));
                // The same weight arrays again, x refilled in place with other values.
                float[] x = first.get("x").data();
                System.arraycopy(second.get("x").data(), 0, x, 0, x.length);
                problems.addAll(Agreement.compare(graph.name() + " refilled x", Interpreter.run(g, first, binding),
                        cg.run(ex, first, binding, par), Agreement.BF16));
                // New weight arrays with new values.
                problems.addAll(Agreement.compare(graph.name() + " second weights", Interpreter.run(g, second, binding),
                        cg.run(ex, second, binding, par), Agreement.BF16));
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
