package dev.fusec.viz;

import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.OpSyntax;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Graphviz DOT for a graph: inputs and outputs as ellipses, each op as a box with its result type, and
 * each fused node drawn as a cluster holding the source ops it absorbed (with their line:col).
 */
public final class DotWriter {
    private DotWriter() {}

    public static String write(Graph g) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        Map<String, String> nodeOf = new HashMap<>();
        StringBuilder sb = new StringBuilder();
        sb.append("digraph ").append(quote(g.name())).append(" {\n");
        sb.append("  rankdir=TB;\n");
        sb.append("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n");
        sb.append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        for (Param p : g.inputs()) {
            String id = "in_" + p.name();
            nodeOf.put(p.name(), id);
            sb.append("  ").append(quote(id)).append(" [shape=ellipse, label=")
                    .append(quote(p.name() + "\n" + p.type())).append("];\n");
        }
        int clusters = 0;
        for (Node n : g.nodes()) {
            String id = "op_" + n.result();
            n.results().forEach(r -> nodeOf.put(r, id));
            String results = String.join(", ", n.results());
            String typeText = String.join(", ", n.results().stream().map(r -> types.get(r).toString()).toList());
            String label = results + " = " + OpSyntax.print(n.op()) + "\n" + typeText;
            if (n.absorbed().isEmpty()) {
                sb.append("  ").append(quote(id)).append(" [label=").append(quote(label)).append("];\n");
                continue;
            }
            sb.append("  subgraph ").append(quote("cluster_" + clusters++)).append(" {\n");
            sb.append("    label=").append(quote("fused " + n.op().opName() + " (" + n.pos().lineCol() + ")")).append(";\n");
            sb.append("    style=dashed; color=\"#3060c0\"; fontcolor=\"#3060c0\";\n");
            sb.append("    ").append(quote(id)).append(" [label=").append(quote(label))
                    .append(", style=\"rounded,filled\", fillcolor=\"#dde8ff\"];\n");
            List<Node> absorbed = n.absorbed();
            for (int i = 0; i < absorbed.size(); i++) {
                Node a = absorbed.get(i);
                // ':' is in no IR name, so this id cannot meet another node's "op_" + name.
                String aid = id + ":absorbed:" + i;
                sb.append("    ").append(quote(aid)).append(" [label=")
                        .append(quote(String.join(", ", a.results()) + " = " + a.op().opName() + "  @" + a.pos().lineCol()))
                        .append(", style=dotted, fontsize=9];\n");
                sb.append("    ").append(quote(aid)).append(" -> ").append(quote(id)).append(" [style=invis];\n");
            }
            sb.append("  }\n");
        }
        for (Node n : g.nodes()) {
            String id = "op_" + n.result();
            for (String o : n.op().operands()) {
                sb.append("  ").append(quote(nodeOf.get(o))).append(" -> ").append(quote(id))
                        .append(" [label=").append(quote(o)).append("];\n");
            }
        }
        for (Param p : g.outputs()) {
            String id = "out_" + p.name();
            sb.append("  ").append(quote(id)).append(" [shape=ellipse, style=bold, label=")
                    .append(quote("return " + p.name() + "\n" + p.type())).append("];\n");
            sb.append("  ").append(quote(nodeOf.get(p.name()))).append(" -> ").append(quote(id)).append(";\n");
        }
        sb.append("}\n");
        return sb.toString();
    }

    /** A DOT string literal; IR names are identifiers, but labels hold brackets and newlines. */
    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
