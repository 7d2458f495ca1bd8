package dev.fusec.pass.rules;

import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.TensorType;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Horizontal fusion: two matmuls reading the same x become one matmul over the concatenated weight,
 * gate = x @ w_g, up = x @ w_u -> gate, up = split(gate_up(x, w_g, w_u), 2, -1).
 * The matmul whose result is gated (by silu, or gelu in either formula) is the gate; the split keeps
 * both names, so users are untouched.
 * Side conditions: same x, same weight layout, shape and dtype, distinct weights, and neither weight
 * computed from the other matmul or after the first one (so nothing is reordered).
 */
public final class GateUpMerge implements Rule {
    public String name() { return "gate-up-merge"; }
    public String algebra() { return "matmul(x, w_g), matmul(x, w_u) -> split(gate_up(x, w_g, w_u), 2, -1)"; }
    public Class<? extends Op> root() { return Op.MatMul.class; }

    @Override
    public Match match(Site s) {
        Node first = s.node();
        Op.MatMul m1 = (Op.MatMul) first.op();
        List<Node> partners = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (Node n : candidates(s, first, m1)) {
            if (n == first || !(n.op() instanceof Op.MatMul m2) || s.position(n) < s.position(first)) {
                continue;
            }
            TensorType t1 = s.type(m1.b());
            TensorType t2 = s.type(m2.b());
            if (!m2.a().equals(m1.a())) {
                if (t1.equals(t2) && m1.transposeB() == m2.transposeB() && !m2.b().equals(m1.b())) {
                    reasons.add("matmul at " + n.pos().lineCol() + " has the same weight type but reads '" + m2.a()
                            + "', not '" + m1.a() + "'");
                }
                continue;
            }
            if (m2.b().equals(m1.b()) && m2.transposeB() == m1.transposeB()) {
                reasons.add("matmul at " + n.pos().lineCol() + " uses the same weight (a duplicate, left to cse)");
            } else if (m1.transposeB() != m2.transposeB()) {
                reasons.add("matmul at " + n.pos().lineCol() + " stores its weight in the other layout (transpose_b differs)");
            } else if (t1.dtype() != t2.dtype()) {
                reasons.add("weights differ in dtype: " + t1 + " and " + t2);
            } else if (!t1.shape().equals(t2.shape())) {
                reasons.add("weights differ in shape: " + m1.b() + " " + t1.shape() + " and " + m2.b() + " " + t2.shape());
            } else if (s.dependencies(m2.b()).contains(first.result())) {
                reasons.add("weight " + m2.b() + " is computed from " + first.result() + "; the matmuls are not independent");
            } else if (s.definingNode(m2.b()).map(d -> s.position(d) > s.position(first)).orElse(false)) {
                reasons.add("weight " + m2.b() + " is computed after " + first.result() + " (" + first.pos().lineCol()
                        + "); merging would reorder the graph");
            } else {
                partners.add(n);
            }
        }
        if (partners.isEmpty()) {
            return reasons.isEmpty() ? Match.NOT_APPLICABLE : Match.fail(String.join("; ", reasons));
        }
        Node second = partners.stream().filter(p -> gated(s, first, p) || gated(s, p, first)).findFirst().orElse(null);
        if (second == null) {
            // first is neither gate nor up of a SwiGLU: taking a partner that is would leave its own pair unmerged.
            List<Node> free = partners.stream().filter(p -> partners.stream()
                    .noneMatch(o -> o != p && (gated(s, p, o) || gated(s, o, p)))).toList();
            if (free.isEmpty()) {
                return Match.fail("the other matmuls of " + m1.a() + " pair up as gate and up of a SwiGLU; "
                        + first.result() + " is not merged into their gate_up");
            }
            second = free.get(0);
        }
        boolean secondIsGate = gated(s, second, first) && !gated(s, first, second);
        Node gate = secondIsGate ? second : first;
        Node up = secondIsGate ? first : second;
        Op.MatMul g = (Op.MatMul) gate.op();
        Op.MatMul u = (Op.MatMul) up.op();
        String merged = s.freshName(gate.result() + "_" + up.result());
        List<Node> absorbed = List.of(first, second);
        Node gu = new Node(List.of(merged), new Op.GateUp(g.a(), g.b(), u.b(), g.transposeB(), Layout.HALVES), first.pos(),
                Site.provenance(absorbed));
        Node split = new Node(List.of(gate.result(), up.result()), Op.Split.halves(merged, -1), first.pos(),
                Site.provenance(absorbed));
        return new Match.Fired(List.of(first, second), List.of(gu, split), absorbed,
                merged + " = " + dev.fusec.ir.OpSyntax.print(gu.op()) + " absorbed " + Site.describe(absorbed));
    }

    /**
     * The matmuls worth a look from {@code first}, in graph order: those reading the same x (partners),
     * and those a SwiGLU or GeGLU pairs with it (gate or up), so that one reading another x is a near miss.
     * Looking up the def-use chains instead of scanning the graph keeps a match local.
     */
    private static List<Node> candidates(Site s, Node first, Op.MatMul m1) {
        java.util.Set<Node> out = new java.util.LinkedHashSet<>(s.users(m1.a()));
        for (Node u : s.users(first.result())) {
            if (u.op() instanceof Op.Unary un && un.kind().activation().isPresent()) {
                for (Node mul : s.users(u.result())) {
                    if (mul.op() instanceof Op.Binary b && b.kind() == Op.BinaryKind.MUL) {
                        b.operands().forEach(o -> s.definingNode(o).ifPresent(out::add));
                    }
                }
            } else if (u.op() instanceof Op.Binary b && b.kind() == Op.BinaryKind.MUL) {
                for (String o : b.operands()) {
                    s.producer(o, Op.Unary.class).filter(p -> p.op().kind().activation().isPresent())
                            .flatMap(p -> s.definingNode(p.op().x())).ifPresent(out::add);
                }
            }
        }
        List<Node> sorted = new ArrayList<>(out);
        sorted.sort(java.util.Comparator.comparingLong(s::position));
        return sorted;
    }

    /** Whether {@code gate}'s result feeds a gating activation whose result is multiplied by {@code up}'s. */
    private static boolean gated(Site s, Node gate, Node up) {
        for (Node silu : s.users(gate.result())) {
            if (silu.op() instanceof Op.Unary un && un.kind().activation().isPresent()) {
                for (Node mul : s.users(silu.result())) {
                    if (mul.op() instanceof Op.Binary b && b.kind() == Op.BinaryKind.MUL && b.operands().contains(up.result())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
