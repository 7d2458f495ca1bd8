package dev.fusec.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Interpreter;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import dev.fusec.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test-side checks every fusion test shares: run the pipeline with the verifier after each pass, and
 * translation validation, i.e. the reference interpreter on the graph before and after, on the same
 * random inputs, with the worst difference printed. Not a fuzzer, not a golden-file runner.
 */
final class TranslationValidation {
    /** Outputs agree when max |before - after| <= TOLERANCE * max |before| (per output). */
    static final double TOLERANCE = 1e-5;

    private TranslationValidation() {}

    /** A pipeline run: the fused graph and what the passes said. */
    record Fused(Graph graph, PassContext ctx) {}

    static Graph parse(String text) {
        return IrParser.parse("test.fir", text);
    }

    /**
     * The standard pipeline minus {@code disabledRules}; shapes are re-inferred after every pass, and
     * the rewrite driver re-verifies the graph (and its own bookkeeping) after every rewrite.
     */
    static Fused fuse(Graph g, Set<String> disabledRules) {
        ShapeInference.infer(g);
        PassContext ctx = PassContext.checkingEveryRewrite(disabledRules);
        Graph out = Pipeline.run(g, Set.of(), Set.of(), ctx, (pass, after) -> ShapeInference.infer(after));
        return new Fused(out, ctx);
    }

    static Fused fuse(Graph g) {
        return fuse(g, Set.of());
    }

    /** Printing and parsing back gives the same graph (positions aside). */
    static void assertRoundTrips(Graph g) {
        String text = IrPrinter.print(g);
        assertEquals(g.withoutPositions(), parse(text).withoutPositions(), () -> "does not parse back:\n" + text);
    }

    /** Random inputs for {@code g} at {@code dims}, every element multiplied by {@code scale}. */
    static Map<String, Tensor> inputs(Graph g, Map<String, Long> dims, long seed, double scale) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        RandomInputs.generate(g, dims, seed, Map.of()).forEach((name, t) -> {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (d[i] * scale);
            }
            out.put(name, new Tensor(t.shape(), d));
        });
        return out;
    }

    /**
     * The worst, over outputs, of max |before - after| / max |before| (absolute where before is all
     * zero). Outputs must match by name and shape.
     */
    static double worstRelativeDifference(Graph before, Graph after, Map<String, Tensor> in) {
        Map<String, Tensor> a = Interpreter.run(before, in);
        Map<String, Tensor> b = Interpreter.run(after, in);
        assertEquals(a.keySet(), b.keySet(), "output names differ");
        double worst = 0;
        for (String name : a.keySet()) {
            Tensor x = a.get(name);
            Tensor y = b.get(name);
            assertArrayEquals(x.shape(), y.shape(), "shape of output " + name);
            double maxAbs = 0;
            double maxDiff = 0;
            for (int i = 0; i < x.size(); i++) {
                maxAbs = Math.max(maxAbs, Math.abs(x.data()[i]));
                double d = Math.abs((double) x.data()[i] - y.data()[i]);
                maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(maxDiff, d);
            }
            worst = Math.max(worst, maxAbs == 0 ? maxDiff : maxDiff / maxAbs);
        }
        return worst;
    }

    /** Translation validation: before and after agree within {@link #TOLERANCE}; returns the worst difference. */
    static double assertAgree(String label, Graph before, Graph after, Map<String, Long> dims, long seed, double scale) {
        return assertAgree(label, before, after, dims, seed, scale, TOLERANCE);
    }

    /** {@link #assertAgree} with another tolerance, for graphs whose intermediates round to a narrow dtype. */
    static double assertAgree(String label, Graph before, Graph after, Map<String, Long> dims, long seed, double scale,
                              double tolerance) {
        double worst = worstRelativeDifference(before, after, inputs(before, dims, seed, scale));
        System.out.printf("%-44s worst relative difference %.3e (tolerance %.3g)%n", label, worst, tolerance);
        assertTrue(worst <= tolerance, label + ": fused graph differs from the source by " + worst
                + " relative to the output's max |value| (tolerance " + tolerance + ")");
        return worst;
    }

    /** {@link #assertAgree} without the line of output, for tests that run hundreds of graphs and print a summary. */
    static double assertAgreeQuietly(String label, Graph before, Graph after, Map<String, Long> dims, long seed, double scale) {
        double worst = worstRelativeDifference(before, after, inputs(before, dims, seed, scale));
        assertTrue(worst <= TOLERANCE, label + ": fused graph differs from the source by " + worst
                + " relative to the output's max |value| (tolerance " + TOLERANCE + ")");
        return worst;
    }

    /** How many ops of the graph satisfy {@code counted}, each weighted as it returns. */
    static int count(Graph g, java.util.function.ToIntFunction<Op> counted) {
        return g.nodes().stream().map(Node::op).mapToInt(counted).sum();
    }

    /** Matmul work in single matmuls: gate_up and gate_up_swiglu do two. Every op is listed. */
    static int matmulWork(Op op) {
        return switch (op) {
            case Op.MatMul m -> 1;
            case Op.Linear l -> 1;
            case Op.GateUp g -> 2;
            case Op.GateUpSwiGlu g -> 2;
            case Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _, Op.Transpose _,
                 Op.SwiGlu _, Op.BiasSwiGlu _, Op.WeightedSwiGlu _, Op.WeightedBiasSwiGlu _, Op.SwiGluBack _, Op.BiasSwiGluBack _,
                 Op.WeightedSwiGluBack _ -> 0;
        };
    }

    /**
     * Activation evaluations: silu, sigmoid (x * sigmoid(x) is one), gelu, and every forward GLU-family
     * op. Every op is listed.
     */
    static int siluWork(Op op) {
        return switch (op) {
            case Op.Unary u -> 1;
            case Op.Swish w -> 1;
            case Op.SwiGlu s -> 1;
            case Op.BiasSwiGlu s -> 1;
            case Op.WeightedSwiGlu s -> 1;
            case Op.WeightedBiasSwiGlu s -> 1;
            case Op.GateUpSwiGlu s -> 1;
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _, Op.Transpose _,
                 Op.GateUp _, Op.SwiGluBack _, Op.BiasSwiGluBack _, Op.WeightedSwiGluBack _ -> 0;
        };
    }

    /** The op names of a graph's nodes, in order. */
    static List<String> opNames(Graph g) {
        return g.nodes().stream().map(n -> n.op().opName()).toList();
    }

    /** The events of one rule. */
    static List<Event> events(PassContext ctx, String rule) {
        return ctx.events().stream().filter(e -> e.rule().equals(rule)).toList();
    }
}
