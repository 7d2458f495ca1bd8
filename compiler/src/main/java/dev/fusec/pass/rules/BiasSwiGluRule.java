package dev.fusec.pass.rules;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/** swiglu(add(y, b)) -> bias_swiglu(y, b), b a [2I] bias (either add operand order). */
public final class BiasSwiGluRule implements Rule {
    public String name() { return "bias-swiglu"; }
    public String algebra() { return "swiglu(add(y, b)) -> bias_swiglu(y, b)"; }
    public Class<? extends Op> root() { return Op.SwiGlu.class; }

    @Override
    public Match match(Site s) {
        Op.SwiGlu sw = (Op.SwiGlu) s.op();
        var add = s.producer(sw.y(), Op.Binary.class).filter(p -> p.op().kind() == Op.BinaryKind.ADD);
        if (add.isEmpty()) {
            return Match.NOT_APPLICABLE;
        }
        Shape full = s.type(sw.y()).shape();
        Shape bias = Shape.of(full.last());
        Op.Binary a = add.get().op();
        String y;
        String b;
        if (s.type(a.b()).shape().equals(bias) && s.type(a.a()).shape().equals(full)) {
            y = a.a();
            b = a.b();
        } else if (s.type(a.a()).shape().equals(bias) && s.type(a.b()).shape().equals(full)) {
            y = a.b();
            b = a.a();
        } else {
            return Match.fail("the add before swiglu is not input + a " + bias + " bias ("
                    + s.type(a.a()).shape() + " + " + s.type(a.b()).shape() + ")");
        }
        Optional<String> busy = s.otherUses(sw.y(), s.node());
        if (busy.isPresent()) {
            return Match.fail(busy.get() + "; fusing would compute the add twice");
        }
        List<Node> absorbed = List.of(add.get().node(), s.node());
        Node fused = new Node(s.node().results(), new Op.BiasSwiGlu(y, b, sw.glu()), s.node().pos(), Site.provenance(absorbed));
        return new Match.Fired(List.of(s.node()), List.of(fused), absorbed,
                dev.fusec.ir.OpSyntax.print(fused.op()) + " absorbed " + Site.describe(absorbed));
    }
}
