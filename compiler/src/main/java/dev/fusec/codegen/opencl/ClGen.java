package dev.fusec.codegen.opencl;

import dev.fusec.ir.Node;
import dev.fusec.ir.OpSyntax;
import dev.fusec.ir.Shape;
import dev.fusec.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a generator knows about the node it writes kernels for, and where it writes them. Kernel
 * names are {@code k<index>_<op>[_<variant>]}, from the fixed op vocabulary; the IR's own names
 * appear only in the comment above each kernel.
 */
record ClGen(Node node, List<Node> sharing, Map<String, TensorType> types, ClText text, String graph, String prefix,
             ClWriter out) {
    Shape shapeOf(String value) {
        return types.get(value).shape();
    }

    Shape operand(int i) {
        return shapeOf(node.op().operands().get(i));
    }

    Shape result(int i) {
        return shapeOf(node.results().get(i));
    }

    /** The element count of a shape at a binding. */
    static long count(Shape s, Map<String, Long> binding) {
        long c = 1;
        for (var d : s.dims()) {
            c *= d.evaluate(binding).orElseThrow();
        }
        return c;
    }

    /** The product of the dims before the last (rows of a [.., N] view) at a binding. */
    static long rows(Shape s, Map<String, Long> binding) {
        long c = 1;
        for (int i = 0; i < s.rank() - 1; i++) {
            c *= s.dim(i).evaluate(binding).orElseThrow();
        }
        return c;
    }

    String name(String variant) {
        return variant.isEmpty() ? prefix : prefix + "_" + variant;
    }

    /**
     * Opens a kernel: a comment with the statement it computes (and every statement sharing it), the
     * operand and result types and the algorithm, then the signature with {@code params} and the
     * symbols.
     */
    void begin(String variant, List<String> params, String... algorithm) {
        out.line("");
        out.comment(String.join(", ", node.results()) + " = " + OpSyntax.print(node.op()) + "  (graph " + graph + ", line "
                + node.pos().lineCol() + ")");
        for (Node other : sharing.subList(1, sharing.size())) {
            out.comment("also " + String.join(", ", other.results()) + " = " + OpSyntax.print(other.op()) + "  (line "
                    + other.pos().lineCol() + "): same op and shapes, one kernel");
        }
        List<String> io = new ArrayList<>();
        for (String o : node.op().operands()) {
            io.add(types.get(o).toString());
        }
        List<String> res = new ArrayList<>();
        for (String r : node.results()) {
            res.add(types.get(r).toString());
        }
        out.comment(String.join(", ", io) + " -> " + String.join(", ", res));
        for (int i = 0; i < algorithm.length; i++) {
            out.comment((i + 1) + ". " + algorithm[i]);
        }
        out.open("__kernel void " + name(variant) + "(" + String.join(", ", params) + text.symbolParams() + ")");
    }

    void end() {
        out.close();
    }

    static String in(String name) {
        return "__global const float* restrict " + name;
    }

    static String outParam(String name) {
        return "__global float* restrict " + name;
    }
}
