package dev.fusec.pass.rules;

import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.HashSet;
import java.util.List;

/** split(z, sizes=[n, n, ...], axis=rank-1) -> split(z, parts=k, axis=-1): equal slices that cover z are one split. */
public final class SplitCanonical implements Rule {
    public String name() { return "split-canonical"; }
    public String algebra() { return "split(z, sizes=[n, n], axis=last) -> split(z, parts=2, axis=-1)"; }
    public Class<? extends Op> root() { return Op.Split.class; }

    @Override
    public Match match(Site s) {
        Op.Split sp = (Op.Split) s.op();
        int rank = s.type(sp.x()).shape().rank();
        int axis = sp.axis() == rank - 1 ? -1 : sp.axis();
        boolean equalSizes = !sp.sizes().isEmpty() && new HashSet<>(sp.sizes()).size() == 1;
        if (axis == sp.axis() && !equalSizes) {
            return Match.NOT_APPLICABLE;
        }
        Op.Split canonical = equalSizes ? new Op.Split(sp.x(), axis, sp.sizes().size(), List.of())
                : new Op.Split(sp.x(), axis, sp.parts(), sp.sizes());
        return new Match.Fired(List.of(s.node()), List.of(s.node().withOp(canonical)), List.of(),
                dev.fusec.ir.OpSyntax.print(canonical));
    }
}
