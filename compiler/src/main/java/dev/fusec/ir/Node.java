package dev.fusec.ir;

import java.util.List;

/**
 * One statement: {@code results = op(operands...)}. A fused node lists the nodes it absorbed, so
 * explanations, pictures and errors can point at the lines the user wrote.
 */
public record Node(List<String> results, Op op, SourcePos pos, List<Node> absorbed) {
    public Node {
        results = List.copyOf(results);
        absorbed = List.copyOf(absorbed);
        if (results.size() != op.resultCount()) {
            throw new IllegalArgumentException(op.opName() + " defines " + op.resultCount()
                    + " value(s) but " + results.size() + " name(s) are bound");
        }
    }

    public Node(List<String> results, Op op, SourcePos pos) {
        this(results, op, pos, List.of());
    }

    public String result() {
        return results.get(0);
    }

    public Node withOp(Op newOp) {
        return new Node(results, newOp, pos, absorbed);
    }

    public Node withoutPositions() {
        return new Node(results, op, SourcePos.NONE, List.of());
    }
}
