package dev.fusec.pass.rules;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/**
 * mul(x, sigmoid(mul(x, const a))) -> swish(x, alpha=a), either operand order at each mul: gpt-oss's
 * gate * sigmoid(1.702 * gate) as exporters write it (a = 1 is silu, which silu-from-sigmoid already has).
 */
public final class SwishFromSigmoid implements Rule {
    public String name() { return "swish-from-sigmoid"; }
    public String algebra() { return "mul(x, sigmoid(mul(x, const a))) -> swish(x, alpha=a)"; }
    public Class<? extends Op> root() { return Op.Binary.class; }

    @Override
    public Match match(Site s) {
        return MulOperands.eitherOrder(s, (x, sig) -> {
            var p = s.producer(sig, Op.Unary.class).filter(u -> u.op().kind() == Op.UnaryKind.SIGMOID);
            if (p.isEmpty()) {
                return null;
            }
            var scaled = s.producer(p.get().op().x(), Op.Binary.class).filter(b -> b.op().kind() == Op.BinaryKind.MUL);
            if (scaled.isEmpty()) {
                return null;
            }
            Op.Binary sm = scaled.get().op();
            String c = sm.a().equals(x) ? sm.b() : sm.b().equals(x) ? sm.a() : null;
            var alpha = c == null ? Optional.<Site.Producer<Op.Const>>empty() : s.producer(c, Op.Const.class);
            if (alpha.isEmpty() || alpha.get().op().value() == 0) {
                return null;
            }
            Optional<String> busy = s.otherUses(sig, s.node()).or(() -> s.otherUses(scaled.get().node().result(), p.get().node()));
            if (busy.isPresent()) {
                return Match.fail(busy.get() + "; swish would compute the sigmoid again");
            }
            List<Node> absorbed = List.of(scaled.get().node(), p.get().node(), s.node());
            Node swish = new Node(s.node().results(), new Op.Swish(x, alpha.get().op().value()), s.node().pos(), Site.provenance(absorbed));
            return new Match.Fired(List.of(s.node()), List.of(swish), List.of(scaled.get().node(), p.get().node()),
                    dev.fusec.ir.OpSyntax.print(swish.op()) + " absorbed " + Site.describe(absorbed));
        });
    }
}
