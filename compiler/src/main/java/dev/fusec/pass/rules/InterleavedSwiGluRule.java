package dev.fusec.pass.rules;

import dev.fusec.ir.Dim;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/**
 * The interleaved layout spelled with the product taken on the pairs view and reshaped back after it:
 * {@code out = reshape(mul(silu(g), u), [.., I])} with {@code g, u = split(reshape(y, [.., I, 2]))}.
 * {@link SwiGluRule} fuses the split, silu and mul first, as a swiglu of the [.., I, 2] view with one
 * element per half; this rule sees through the two reshapes (views, no work) to y itself.
 */
public final class InterleavedSwiGluRule implements Rule {
    public String name() { return "interleaved-swiglu"; }
    public String algebra() { return "reshape(swiglu(reshape(y, [.., I, 2])), [.., I]) -> swiglu(y, layout=interleaved)"; }
    public Class<? extends Op> root() { return Op.Reshape.class; }

    @Override
    public Match match(Site s) {
        Op.Reshape back = (Op.Reshape) s.op();
        var sw = s.producer(back.x(), Op.SwiGlu.class);
        if (sw.isEmpty()) {
            return Match.NOT_APPLICABLE;
        }
        Op.SwiGlu pairsGlu = sw.get().op();
        Shape pairs = s.type(pairsGlu.y()).shape();
        var view = s.producer(pairsGlu.y(), Op.Reshape.class);
        if (pairs.rank() < 2 || !pairs.last().equals(Dim.of(2)) || view.isEmpty()) {
            return Match.NOT_APPLICABLE;
        }
        String y = view.get().op().x();
        Shape full = s.type(y).shape();
        if (!isPairsView(full, pairs)) {
            return Match.fail("swiglu reads reshape(" + y + ") from " + full + " to " + pairs
                    + ", which is not the last axis [.., 2I] viewed as [.., I, 2] pairs");
        }
        // The product is [.., I, 1], and the fused swiglu(y) [.., I] takes the reshape's place, so only the
        // shape that drops that 1 is taken. (Another shape holds the same elements in the same C order, so
        // reshape(swiglu(y, layout=interleaved), S) would be right too; this rule keeps no reshape it absorbs.)
        Shape half = new Shape(pairs.dims().subList(0, pairs.rank() - 1));
        Shape out = s.type(s.node().result()).shape();
        if (!out.equals(half)) {
            return Match.fail("the product is reshaped to " + out + ", not back to " + half + " (the inverse of the "
                    + pairs + " view of " + y + "); it stays a swiglu of one element per half");
        }
        // In a pair, halves and interleaved both gate element 0; swapped gates element 1.
        if (pairsGlu.glu().layout() == Layout.SWAPPED) {
            return Match.fail("the second element of each pair is gated; no layout describes [u0, g0, u1, g1, ...]");
        }
        Optional<String> busy = s.otherUses(back.x(), s.node());
        if (busy.isPresent()) {
            return Match.fail(busy.get() + "; fusing would compute the swiglu twice");
        }
        List<Node> absorbed = List.of(view.get().node(), sw.get().node(), s.node());
        Node fused = new Node(s.node().results(), new Op.SwiGlu(y, pairsGlu.glu().withLayout(Layout.INTERLEAVED)),
                s.node().pos(), Site.provenance(absorbed));
        String kept = s.otherUses(pairsGlu.y(), sw.get().node()).isPresent() ? "; the " + pairs + " view kept for its other users" : "";
        return new Match.Fired(List.of(s.node()), List.of(fused), absorbed,
                dev.fusec.ir.OpSyntax.print(fused.op()) + " absorbed " + Site.describe(absorbed)
                        + "; interleaved spelled as reshape to " + pairs + " + split, the product reshaped back to " + out
                        + " after the mul" + kept);
    }

    /** reshape [.., 2I] -> [.., I, 2]: the leading dims kept, the last one split into pairs. */
    static boolean isPairsView(Shape full, Shape pairs) {
        return full.rank() == pairs.rank() - 1
                && full.dims().subList(0, full.rank() - 1).equals(pairs.dims().subList(0, pairs.rank() - 2))
                && pairs.dim(pairs.rank() - 2).times(Dim.of(2)).map(full.last()::equals).orElse(false);
    }
}
