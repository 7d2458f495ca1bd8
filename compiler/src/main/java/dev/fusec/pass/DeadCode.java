package dev.fusec.pass;

import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Param;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** dce: removes nodes none of whose results is used or returned. */
final class DeadCode implements Pass {
    @Override
    public String name() {
        return "dce";
    }

    @Override
    public String description() {
        return "remove nodes whose results are never used or returned";
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Graph out = removeUnused(g, null);
        Set<Node> kept = new HashSet<>(out.nodes());
        for (Node n : g.nodes()) {
            if (!kept.contains(n)) {
                ctx.record(new Event(name(), "dead-code", n.pos(), n.op().opName(), true,
                        "removed unused " + n.op().opName() + " defining " + String.join(", ", n.results())));
            }
        }
        return out;
    }

    /** Drops unused nodes, walking backwards so chains go at once; only {@code among} when given. */
    static Graph removeUnused(Graph g, Set<Node> among) {
        Set<String> live = new HashSet<>();
        g.outputs().stream().map(Param::name).forEach(live::add);
        List<Node> kept = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            boolean used = n.results().stream().anyMatch(live::contains);
            if (used || (among != null && !among.contains(n))) {
                kept.add(n);
                live.addAll(n.op().operands());
            }
        }
        Collections.reverse(kept);
        return kept.size() == nodes.size() ? g : g.withNodes(kept);
    }
}
