package dev.fusec.pass.rules;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/**
 * reshape(silu(x), s) -> silu(reshape(x, s)): silu is elementwise and a reshape is a view, so one order
 * is canonical. It lets the SwiGLU rules meet {@code silu(reshape(g, [.., I]))} however an interleaved
 * gate was squeezed ({@code F.silu(g).squeeze(-1)} as well as {@code F.silu(g.squeeze(-1))}).
 */
public final class ReshapeBeforeSilu implements Rule {
    public String name() { return "reshape-before-silu"; }
    public String algebra() { return "reshape(silu(x), s) -> silu(reshape(x, s))"; }
    public Class<? extends Op> root() { return Op.Reshape.class; }

    @Override
    public Match match(Site s) {
        Op.Reshape r = (Op.Reshape) s.op();
        var silu = s.producer(r.x(), Op.Unary.class).filter(p -> p.op().kind() == Op.UnaryKind.SILU);
        if (silu.isEmpty()) {
            return Match.NOT_APPLICABLE;
        }
        Optional<String> busy = s.otherUses(r.x(), s.node());
        if (busy.isPresent()) {
            return Match.fail(busy.get() + "; moving the reshape before silu would compute silu twice");
        }
        String viewed = s.freshName("reshape");
        Node view = new Node(List.of(viewed), new Op.Reshape(silu.get().op().x(), r.shape()), s.node().pos(), List.of());
        Node act = new Node(s.node().results(), new Op.Unary(Op.UnaryKind.SILU, viewed), silu.get().node().pos(), List.of());
        return new Match.Fired(List.of(s.node()), List.of(view, act), List.of(silu.get().node()),
                "silu(" + dev.fusec.ir.OpSyntax.print(view.op()) + ")");
    }
}
