package dev.fusec.pass;

import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Param;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * cse: a node computing the same op on the same operands as an earlier one is removed and its
 * results renamed to the earlier node's. Every op is pure, so this never changes results. A node
 * whose result is a graph output keeps its name and stays.
 */
final class CommonSubexpressions implements Pass {
    @Override
    public String name() {
        return "cse";
    }

    @Override
    public String description() {
        return "merge nodes that compute the same op on the same operands";
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Set<String> outputs = g.outputs().stream().map(Param::name).collect(Collectors.toSet());
        Map<String, String> rename = new HashMap<>();
        Map<Op, Node> seen = new HashMap<>();
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            Op op = n.op().withOperands(n.op().operands().stream().map(o -> rename.getOrDefault(o, o)).toList());
            Node renamed = n.withOp(op);
            Node earlier = seen.get(op);
            if (earlier != null && n.results().stream().noneMatch(outputs::contains)) {
                for (int i = 0; i < n.results().size(); i++) {
                    rename.put(n.results().get(i), earlier.results().get(i));
                }
                ctx.record(new Event(name(), "common-subexpression", n.pos(), n.op().opName(), true,
                        "reused " + String.join(", ", earlier.results()) + " (" + earlier.pos().lineCol() + ") for "
                                + String.join(", ", n.results())));
                continue;
            }
            seen.putIfAbsent(op, renamed);
            out.add(renamed);
        }
        return rename.isEmpty() ? g : g.withNodes(out);
    }
}
