package dev.fusec.pass.rules;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;

/** linear(x, w) -> matmul(x, w, transpose_b=true); linear(x, w, b) -> add(matmul(x, w, transpose_b=true), b). */
public final class LinearToMatmul implements Rule {
    public String name() { return "linear-to-matmul"; }
    public String algebra() { return "linear(x, w[, b]) -> matmul(x, w, transpose_b=true) [+ b]"; }
    public Class<? extends Op> root() { return Op.Linear.class; }

    @Override
    public Match match(Site s) {
        Node n = s.node();
        Op.Linear l = (Op.Linear) n.op();
        if (s.type(l.x()).shape().rank() < 2) {
            // linear accepts a 1-D x; matmul does not, so a vector input stays a linear.
            return Match.fail(l.x() + " is 1-D, and matmul needs at least 2-D");
        }
        Op.MatMul mm = new Op.MatMul(l.x(), l.w(), true);
        if (l.bias().isEmpty()) {
            Node out = new Node(n.results(), mm, n.pos());
            return new Match.Fired(List.of(n), List.of(out), List.of(), "matmul(" + l.x() + ", " + l.w() + ", transpose_b=true)");
        }
        String product = s.freshName(n.result() + "_mm");
        Node first = new Node(List.of(product), mm, n.pos());
        Node add = new Node(n.results(), new Op.Binary(Op.BinaryKind.ADD, product, l.bias().get()), n.pos());
        return new Match.Fired(List.of(n), List.of(first, add), List.of(),
                "matmul(" + l.x() + ", " + l.w() + ", transpose_b=true) + " + l.bias().get());
    }
}
