package dev.fusec.pass;

import dev.fusec.ir.Graph;
import dev.fusec.pass.rules.ActivationFirst;
import dev.fusec.pass.rules.BiasSwiGluRule;
import dev.fusec.pass.rules.GateUpMerge;
import dev.fusec.pass.rules.GateUpSwiGluRule;
import dev.fusec.pass.rules.InterleavedSwiGluRule;
import dev.fusec.pass.rules.LinearToMatmul;
import dev.fusec.pass.rules.ReshapeBeforeActivation;
import dev.fusec.pass.rules.SiluFromSigmoid;
import dev.fusec.pass.rules.SplitCanonical;
import dev.fusec.pass.rules.SwiGluRule;
import dev.fusec.pass.rules.SwishFromSigmoid;
import dev.fusec.pass.rules.WeightedSwiGluRule;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The fusion pipeline, in order. Canonical forms first so later patterns meet one spelling; the
 * same-input matmul merge before SwiGLU so SwiGLU sees split(gate_up(...)); epilogue fusion last;
 * dead code and common subexpressions cleaned between rounds.
 */
public final class Pipeline {
    private Pipeline() {}

    public static List<Pass> standard() {
        return List.of(
                new Pass.RulePass("canonicalize", "one spelling per computation: silu, matmul, reshape before silu, mul order, splits",
                        List.of(new LinearToMatmul(), new SiluFromSigmoid(), new SwishFromSigmoid(), new ReshapeBeforeActivation(),
                                new ActivationFirst(),
                                new SplitCanonical())),
                new DeadCode(),
                new CommonSubexpressions(),
                new Pass.RulePass("gate-up", "two matmuls reading the same input -> one gate_up matmul",
                        List.of(new GateUpMerge())),
                new Pass.RulePass("swiglu", "split/act/mul (act: silu, gelu; +bias, +per-token weight, +clamp) -> the SwiGLU family, act= kept",
                        List.of(new SwiGluRule(), new InterleavedSwiGluRule(), new BiasSwiGluRule(), new WeightedSwiGluRule())),
                new Pass.RulePass("epilogue", "SwiGLU (or GeGLU) applied to gate_up's accumulators -> gate_up_swiglu",
                        List.of(new GateUpSwiGluRule())),
                new DeadCode(),
                new CommonSubexpressions());
    }

    /** Every distinct pass name of the standard pipeline, in order. */
    public static Set<String> passNames() {
        Set<String> names = new LinkedHashSet<>();
        standard().forEach(p -> names.add(p.name()));
        return names;
    }

    /** Every rule name of the standard pipeline. */
    public static Set<String> ruleNames() {
        Set<String> names = new LinkedHashSet<>();
        standard().forEach(p -> p.rules().forEach(r -> names.add(r.name())));
        return names;
    }

    /**
     * Runs the passes named in {@code only} (all when empty), minus {@code disabled}, in pipeline
     * order; {@code afterEach} sees the graph after every pass that ran.
     */
    public static Graph run(Graph g, Set<String> only, Set<String> disabled, PassContext ctx,
                            BiConsumer<Pass, Graph> afterEach) {
        List<Pass> chosen = new ArrayList<>();
        for (Pass p : standard()) {
            if ((only.isEmpty() || only.contains(p.name())) && !disabled.contains(p.name())) {
                chosen.add(p);
            }
        }
        for (Pass p : chosen) {
            g = p.run(g, ctx);
            afterEach.accept(p, g);
        }
        return g;
    }

    /** The whole standard pipeline with nothing disabled. */
    public static Graph fuse(Graph g) {
        return run(g, Set.of(), Set.of(), PassContext.defaults(), (p, x) -> { });
    }
}
