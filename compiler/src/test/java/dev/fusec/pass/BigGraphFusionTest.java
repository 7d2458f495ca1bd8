package dev.fusec.pass;

import static dev.fusec.pass.TranslationValidation.assertAgree;
import static dev.fusec.pass.TranslationValidation.assertRoundTrips;
import static dev.fusec.pass.TranslationValidation.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.bench.ScalingGraphs;
import dev.fusec.bench.ScalingGraphs.Kind;
import dev.fusec.codegen.KernelGenerator;
import dev.fusec.codegen.Species;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.ShapeInference;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Fusion at the size of an imported model: generated layer stacks of 10,000 statements
 * ({@link ScalingGraphs}) fuse under the suite's heap, and every block becomes what it should, reading
 * its own layer's weights. Not timed (bench/compiler-scaling measures); the small stacks are checked
 * by the interpreter too.
 */
class BigGraphFusionTest {
    static final int STATEMENTS = 10_000;

    private record Fused(Graph source, Graph graph, PassContext ctx) {
        long count(Class<? extends Op> kind) {
            return graph.nodes().stream().filter(n -> kind.isInstance(n.op())).count();
        }

        List<Node> of(Class<? extends Op> kind) {
            return graph.nodes().stream().filter(n -> kind.isInstance(n.op())).toList();
        }
    }

    private static Fused fuse(Kind kind, int layers) {
        Graph g = parse(ScalingGraphs.generate(kind, layers));
        PassContext ctx = PassContext.defaults();
        Graph out = Pipeline.run(g, Set.of(), Set.of(), ctx, (p, after) -> { });
        ShapeInference.infer(out);
        return new Fused(g, out, ctx);
    }

    /** The value layer {@code l} reads: the graph's input, then each layer's residual sum. */
    private static String layerInput(int l) {
        return l == 0 ? "x" : "x" + l;
    }

    @Test
    void tenThousandStatementsOfLlamaLayersBecomeOneGateUpSwiGluEach() {
        int layers = ScalingGraphs.layersFor(Kind.LLAMA, STATEMENTS);
        Fused f = fuse(Kind.LLAMA, layers);
        assertTrue(f.source().nodes().size() >= STATEMENTS, "statements: " + f.source().nodes().size());
        assertEquals(layers, f.count(Op.GateUpSwiGlu.class));
        // Each layer is left as gate_up_swiglu, the down matmul and the residual add.
        assertEquals(3 * layers, f.graph().nodes().size());
        List<Node> fused = f.of(Op.GateUpSwiGlu.class);
        for (int l = 0; l < layers; l++) {
            Op.GateUpSwiGlu op = (Op.GateUpSwiGlu) fused.get(l).op();
            assertEquals(List.of(layerInput(l), "wg" + l, "wu" + l), op.operands(), "layer " + l);
            assertEquals(4, fused.get(l).absorbed().size(), "layer " + l + " absorbed " + fused.get(l).absorbed());
        }
        assertEquals(Map.of("gate-up-merge", layers, "swiglu", layers, "gate-up-swiglu", layers), f.ctx().hits());
        assertTrue(f.ctx().events().stream().allMatch(Event::fired), "near misses on plain Llama layers");
        assertRoundTrips(f.graph());
    }

    @Test
    void tenThousandStatementsOfMoeLayersFuseEveryExpert() {
        int layers = ScalingGraphs.layersFor(Kind.MOE, STATEMENTS);
        Fused f = fuse(Kind.MOE, layers);
        int experts = 8;
        assertEquals((long) layers * experts, f.count(Op.GateUpSwiGlu.class));
        List<Node> fused = f.of(Op.GateUpSwiGlu.class);
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                Op.GateUpSwiGlu op = (Op.GateUpSwiGlu) fused.get(l * experts + e).op();
                String s = l + "_" + e;
                assertEquals(List.of(layerInput(l), "w1_" + s, "w3_" + s), op.operands(), "layer " + l + " expert " + e);
                assertTrue(op.transposeB());
            }
        }
        // Per layer: the router matmul and its split, and per expert gate_up_swiglu, down, routing mul, add.
        assertEquals((long) layers * (2 + 4 * experts), f.graph().nodes().size());
        assertEquals(0, f.count(Op.Linear.class));
    }

    @Test
    void tenThousandStatementsOfMixedSpellingsFuseEachToItsOp() {
        int layers = ScalingGraphs.layersFor(Kind.MIXED, STATEMENTS);
        Fused f = fuse(Kind.MIXED, layers);
        long llama = (layers + 3) / 4;
        long bias = (layers + 2) / 4;
        long weighted = (layers + 1) / 4;
        long sigmoid = layers / 4;
        assertEquals(llama + sigmoid, f.count(Op.GateUpSwiGlu.class));
        assertEquals(bias, f.count(Op.BiasSwiGlu.class));
        assertEquals(weighted, f.count(Op.WeightedSwiGlu.class));
        assertEquals(0, f.count(Op.Unary.class));
        assertEquals(0, f.count(Op.Split.class));
    }

    @Test
    void kernelsOfTenThousandStatementsAreGeneratedOncePerDistinctComputation() {
        Fused f = fuse(Kind.LLAMA, ScalingGraphs.layersFor(Kind.LLAMA, STATEMENTS));
        KernelGenerator.Kernels k = KernelGenerator.generate(f.graph(), new Species(8));
        // gate_up_swiglu, the down matmul and the add: every layer has the same shapes.
        assertEquals(3, k.sources().size());
        assertEquals(f.graph().nodes().size(), k.kernelOf().length);
        // No two layers of DISTINCT share a shape: a gate_up_swiglu and a down kernel per layer, one add.
        int layers = 200;
        Fused d = fuse(Kind.DISTINCT, layers);
        assertEquals(2 * layers + 1, KernelGenerator.generate(d.graph(), new Species(8)).sources().size());
    }

    @Test
    void smallStacksComputeWhatTheirSourceComputes() {
        for (Kind kind : Kind.values()) {
            Fused f = fuse(kind, 4);
            assertAgree(kind + " x4", f.source(), f.graph(), Map.of("T", 3L), 1, 1);
        }
    }
}
