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
 * The generic rewrite driver; it knows no rule.
 *
 * <ol>
 *   <li>Scan nodes in order; offer each to the enabled rules whose root kind it has, in list order.</li>
 *   <li>On the first rule that fires: apply it (removed nodes out, inserted nodes in at the first removed
 *       node's place), drop absorbed nodes left without users, re-verify the graph, record the event,
 *       and start the scan again.</li>
 *   <li>When a whole scan fires nothing, the graph is at a fixpoint: the near misses of that last scan
 *       are recorded (they are final) and the graph returned.</li>
 * </ol>
 * More than {@link #MAX_REWRITES} rewrites in one pass means rules that undo each other: an error.
 */
public final class RewriteDriver {
    static final int MAX_REWRITES = 10_000;

    private RewriteDriver() {}

    public static Graph fixpoint(Graph g, String passName, List<Rule> rules, PassContext ctx) {
        for (int round = 0; round <= MAX_REWRITES; round++) {
            Site.Index index = new Site.Index(g);
            List<Event> nearMisses = new ArrayList<>();
            Graph next = null;
            scan:
            for (Node node : g.nodes()) {
                for (Rule rule : rules) {
                    if (!rule.root().isInstance(node.op()) || !ctx.enabled(rule)) {
                        continue;
                    }
                    Match m = rule.match(new Site(g, node, index));
                    switch (m) {
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
        throw new CompileError(g.pos(), "pass " + passName + " did not converge after " + MAX_REWRITES
                + " rewrites (rules undo each other)");
    }

    static Graph apply(Graph g, Match.Fired f, Rule rule) {
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
