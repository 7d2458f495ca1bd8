package dev.fusec.pass.rules;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.OpSyntax;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/**
 * reshape(act(x), s) -> act(reshape(x, s)) for a gating activation (silu, gelu, gelu_tanh): an
 * activation is elementwise and a reshape is a view, so one order is canonical. It lets the GLU
 * rules meet {@code act(reshape(g, [.., I]))} however an interleaved gate was squeezed
 * ({@code F.silu(g).squeeze(-1)} as well as {@code F.silu(g.squeeze(-1))}, and GeGLU's alike).
 */
public final class ReshapeBeforeActivation implements Rule {
    public String name() { return "reshape-before-activation"; }
    public String algebra() { return "reshape(act(x), s) -> act(reshape(x, s)), act = silu | gelu | gelu_tanh"; }
    public Class<? extends Op> root() { return Op.Reshape.class; }

    @Override
    public Match match(Site s) {
        Op.Reshape r = (Op.Reshape) s.op();
        var act = s.producer(r.x(), Op.Unary.class).filter(p -> p.op().kind().activation().isPresent());
        if (act.isEmpty()) {
            return Match.NOT_APPLICABLE;
        }
        Op.UnaryKind kind = act.get().op().kind();
        Optional<String> busy = s.otherUses(r.x(), s.node());
        if (busy.isPresent()) {
            return Match.fail(busy.get() + "; moving the reshape before " + kind.opCode().spelling() + " would compute it twice");
        }
        String viewed = s.freshName("reshape");
        Node view = new Node(List.of(viewed), new Op.Reshape(act.get().op().x(), r.shape()), s.node().pos(), List.of());
        Node applied = new Node(s.node().results(), new Op.Unary(kind, viewed), act.get().node().pos(), List.of());
        return new Match.Fired(List.of(s.node()), List.of(view, applied), List.of(act.get().node()),
                OpSyntax.print(applied.op()).replace(viewed, OpSyntax.print(view.op())));
    }
}
