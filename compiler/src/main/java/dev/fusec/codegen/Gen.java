package dev.fusec.codegen;

import dev.fusec.ir.Node;
import dev.fusec.ir.OpSyntax;
import dev.fusec.ir.Shape;
import dev.fusec.ir.TensorType;
import java.util.List;
import java.util.Map;

/** What a generator knows about the node it writes a kernel for. */
record Gen(Node node, List<Node> sharing, Map<String, TensorType> types, Extents ext, Species species, String graph, String className) {
    Shape shapeOf(String value) {
        return types.get(value).shape();
    }

    Shape operand(int i) {
        return shapeOf(node.op().operands().get(i));
    }

    Shape result(int i) {
        return shapeOf(node.results().get(i));
    }

    /** A kernel class with the standard header: the node, its shapes, the species, then the algorithm. */
    KernelClass start(String... algorithm) {
        KernelClass k = new KernelClass(className, species);
        k.header("Kernel for {@code " + String.join(", ", node.results()) + " = " + OpSyntax.print(node.op())
                + "} (graph " + graph + ", line " + node.pos().lineCol() + ").");
        for (Node other : sharing.subList(1, sharing.size())) {
            k.header("<br>also computes {@code " + String.join(", ", other.results()) + " = " + OpSyntax.print(other.op())
                    + "} (line " + other.pos().lineCol() + "): same op and shapes, one class");
        }
        k.header("");
        for (String o : node.op().operands()) {
            k.header("<br>operand " + o + ": " + types.get(o));
        }
        for (String r : node.results()) {
            k.header("<br>result " + r + ": " + types.get(r));
        }
        k.header("<br>vector species: " + species + "; static extents are constants, symbolic ones come in sym[].");
        k.header("");
        k.header("<p>Algorithm:");
        k.header("<ol>");
        for (String step : algorithm) {
            k.header("<li>" + step + "</li>");
        }
        k.header("</ol>");
        return k;
    }

    /** The run-method lines that name operand and result arrays a0.., r0.. (in args order). */
    String arrays() {
        StringBuilder sb = new StringBuilder();
        int n = node.op().operands().size();
        for (int i = 0; i < n; i++) {
            sb.append("final float[] a").append(i).append(" = args[").append(i).append("];\n");
        }
        for (int i = 0; i < node.results().size(); i++) {
            sb.append("final float[] r").append(i).append(" = args[").append(n + i).append("];\n");
        }
        return sb.toString();
    }

    static List<String> params(String... p) {
        return List.of(p);
    }
}
