package dev.fusec.parse;

import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.OpSyntax;
import dev.fusec.ir.Param;
import dev.fusec.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a graph as IR text that {@link IrParser} reads back to an equal graph. With types, each
 * statement carries its inferred type as a trailing comment, so the output still parses.
 */
public final class IrPrinter {
    private static final int WIDTH = 100;

    private IrPrinter() {}

    public static String print(Graph g) {
        return print(g, Map.of());
    }

    /** Prints {@code g}, adding {@code # type} after each statement whose results are in {@code types}. */
    public static String print(Graph g, Map<String, TensorType> types) {
        StringBuilder sb = new StringBuilder();
        String inputs = g.inputs().stream().map(IrPrinter::param).collect(Collectors.joining(", "));
        String outputs = g.outputs().stream().map(IrPrinter::param).collect(Collectors.joining(", "));
        String header = "graph " + g.name() + "(" + inputs + ") -> (" + outputs + ") {";
        if (header.length() <= WIDTH) {
            sb.append(header).append('\n');
        } else {
            sb.append("graph ").append(g.name()).append("(\n");
            for (Param p : g.inputs()) {
                sb.append("    ").append(param(p)).append(",\n");
            }
            sb.append(") -> (").append(outputs).append(") {\n");
        }
        List<String> lines = new ArrayList<>();
        int width = 0;
        for (Node n : g.nodes()) {
            String line = "  " + String.join(", ", n.results()) + " = " + OpSyntax.print(n.op());
            lines.add(line);
            width = Math.max(width, line.length());
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            List<String> results = g.nodes().get(i).results();
            if (types.keySet().containsAll(results)) {
                String ts = results.stream().map(r -> types.get(r).toString()).collect(Collectors.joining(", "));
                line = line + " ".repeat(width - line.length() + 2) + "# " + ts;
            }
            sb.append(line).append('\n');
        }
        sb.append("  return ").append(g.outputs().stream().map(Param::name).collect(Collectors.joining(", "))).append('\n');
        sb.append("}\n");
        return sb.toString();
    }

    private static String param(Param p) {
        return p.name() + ": " + p.type() + p.weight().map(w -> " = " + w).orElse("");
    }
}
