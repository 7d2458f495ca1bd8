package dev.fusec.pass.rules;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/** mul(x, sigmoid(x)) -> silu(x), and mul(sigmoid(x), x) -> silu(x). */
public final class SiluFromSigmoid implements Rule {
    public String name() { return "silu-from-sigmoid"; }
    public String algebra() { return "mul(x, sigmoid(x)) | mul(sigmoid(x), x) -> silu(x)"; }
    public Class<? extends Op> root() { return Op.Binary.class; }

    @Override
    public Match match(Site s) {
        return MulOperands.eitherOrder(s, (other, sig) -> {
            var p = s.producer(sig, Op.Unary.class);
            if (p.isEmpty() || p.get().op().kind() != Op.UnaryKind.SIGMOID || !p.get().op().x().equals(other)) {
                return null;
            }
            Optional<String> busy = s.otherUses(sig, s.node());
            if (busy.isPresent()) {
                return Match.fail(busy.get() + "; silu would compute sigmoid(" + other + ") a second time");
            }
            Node silu = new Node(s.node().results(), new Op.Unary(Op.UnaryKind.SILU, other), s.node().pos(),
                    Site.provenance(List.of(p.get().node(), s.node())));
            return new Match.Fired(List.of(s.node()), List.of(silu), List.of(p.get().node()),
                    "silu(" + other + ") absorbed " + Site.describe(List.of(p.get().node(), s.node())));
        });
    }
}
