package dev.fusec.pass;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.ShapeInference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The naive rewrite driver, the oracle for {@link RewriteDriver}: after every rewrite, rebuild
 * everything and scan again from the first node; the first rule that fires at the first node wins.
 * Quadratic and obviously right. Tests only.
 */
final class RescanningDriver {
    private RescanningDriver() {}

    /** The standard pipeline, its rule passes driven by this driver. */
    static Graph pipeline(Graph g, PassContext ctx) {
        for (Pass p : Pipeline.standard()) {
            g = p instanceof Pass.RulePass rp ? fixpoint(g, rp.name(), rp.rules(), ctx) : p.run(g, ctx);
        }
        return g;
    }

    static Graph fixpoint(Graph g, String passName, List<Rule> rules, PassContext ctx) {
        while (true) {
            GraphIndex index = new GraphIndex(g, e -> { });
            List<Event> nearMisses = new ArrayList<>();
            Graph next = null;
            scan:
            for (Node node : g.nodes()) {
                for (Rule rule : rules) {
                    if (!rule.root().isInstance(node.op()) || !ctx.enabled(rule)) {
                        continue;
                    }
                    switch (rule.match(new Site(index, node, new Site.Reads()))) {
                        case Match.Fired f -> {
                            next = apply(g, f, rule);
                            ctx.record(new Event(passName, rule.name(), node.pos(), node.op().opName(), true, f.summary()));
                            break scan;
                        }
                        case Match.Failed failed -> nearMisses.add(
                                new Event(passName, rule.name(), node.pos(), node.op().opName(), false, failed.reason()));
                        case Match.NotApplicable na -> { }
                    }
                }
            }
            if (next == null) {
                nearMisses.forEach(ctx::record);
                return g;
            }
            g = next;
        }
    }

    private static Graph apply(Graph g, Match.Fired f, Rule rule) {
        Set<Node> removed = new HashSet<>(f.removed());
        List<Node> nodes = new ArrayList<>();
        boolean inserted = false;
        for (Node n : g.nodes()) {
            if (removed.contains(n)) {
                if (!inserted) {
                    nodes.addAll(f.inserted());
                    inserted = true;
                }
            } else {
                nodes.add(n);
            }
        }
        if (!inserted) {
            throw new IllegalStateException("rule " + rule.name() + " removed no node of the graph");
        }
        Graph out = DeadCode.removeUnused(g.withNodes(nodes), new HashSet<>(f.absorbed()));
        try {
            ShapeInference.infer(out);
        } catch (CompileError e) {
            throw new IllegalStateException("rule " + rule.name() + " produced an invalid graph: " + e.render(), e);
        }
        return out;
    }
}
