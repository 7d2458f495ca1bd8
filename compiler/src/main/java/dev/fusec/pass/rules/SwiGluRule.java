package dev.fusec.pass.rules;

import dev.fusec.ir.Activation;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * mul(silu(split(y).0), split(y).1) -> swiglu(y) (with gelu in silu's place, GeGLU: swiglu(y, act=gelu),
 * or act=gelu_tanh for gelu(x, approximate=tanh)), and its spellings: the second half gated
 * ({@code layout=swapped}), gate and up interleaved through {@code reshape [..., I, 2]} + split
 * ({@code layout=interleaved}), gate/up clamped at a limit ({@code limit=}), and gpt-oss's activation,
 * mul(add(up, const b), swish(gate, alpha)) -> swiglu(y, alpha=alpha, beta=b).
 */
public final class SwiGluRule implements Rule {
    public String name() { return "swiglu"; }
    public String algebra() { return "mul(act(split(y).0), split(y).1) -> swiglu(y, act=act)   (act: silu, gelu, gelu_tanh)"; }
    public Class<? extends Op> root() { return Op.Binary.class; }

    /**
     * One operand traced back to a half of y: which split result, through which clamp and reshapes;
     * {@code chain} lists those nodes from the operand inwards, so each one's consumer is the one before.
     */
    private record Half(String y, Node split, int index, boolean interleaved, Optional<Op.Clamp> clamp, List<Node> chain) {}

    @Override
    public Match match(Site s) {
        Op.Binary mul = (Op.Binary) s.op();
        if (mul.kind() != Op.BinaryKind.MUL) {
            return Match.NOT_APPLICABLE;
        }
        String reason = null;
        for (int side = 0; side < 2; side++) {
            String act = side == 0 ? mul.a() : mul.b();
            String other = side == 0 ? mul.b() : mul.a();
            var silu = s.producer(act, Op.Unary.class);
            var swish = s.producer(act, Op.Swish.class);
            Optional<Activation> activation = swish.isPresent() ? Optional.of(Activation.SILU)
                    : silu.flatMap(p -> p.op().kind().activation());
            if (activation.isEmpty()) {
                continue;
            }
            Node actNode = swish.isPresent() ? swish.get().node() : silu.get().node();
            String gateValue = swish.isPresent() ? swish.get().op().x() : silu.get().op().x();
            double alpha = swish.isPresent() ? swish.get().op().alpha() : 1.0;
            // up + b, b a scalar constant: gpt-oss's (up + 1).
            Node upAdd = null;
            double beta = 0.0;
            var add = s.producer(other, Op.Binary.class).filter(p -> p.op().kind() == Op.BinaryKind.ADD);
            if (add.isPresent()) {
                for (int k = 0; k < 2 && upAdd == null; k++) {
                    String c = k == 0 ? add.get().op().b() : add.get().op().a();
                    var konst = s.producer(c, Op.Const.class);
                    if (konst.isPresent()) {
                        upAdd = add.get().node();
                        beta = konst.get().op().value();
                        other = k == 0 ? add.get().op().a() : add.get().op().b();
                    }
                }
            }
            Optional<Half> gate = trace(s, gateValue);
            Optional<Half> up = trace(s, other);
            if (gate.isEmpty() || up.isEmpty()) {
                reason = dev.fusec.ir.OpSyntax.print(actNode.op()) + " * " + other
                        + ": operands are not two halves of one split on the last axis";
                continue;
            }
            if (upAdd != null) {
                Optional<String> addBusy = s.otherUses(upAdd.result(), s.node());
                if (addBusy.isPresent()) {
                    reason = addBusy.get() + "; fusing would compute up + " + beta + " twice";
                    continue;
                }
            }
            Match m = fuse(s, actNode, activation.get(), gate.get(), up.get(), alpha, beta, upAdd);
            if (m instanceof Match.Fired) {
                return m;
            }
            reason = ((Match.Failed) m).reason();
        }
        return reason == null ? Match.NOT_APPLICABLE : Match.fail(reason);
    }

    private Match fuse(Site s, Node siluNode, Activation activation, Half gate, Half up, double alpha, double beta, Node upAdd) {
        if (gate.split() != up.split() || gate.index() == up.index()) {
            return Match.fail("gate and up do not come from the two halves of one split");
        }
        // One half reshaped back to [..., I] and the other left [..., I, 1] broadcast to another shape.
        if (gate.interleaved() != up.interleaved()) {
            return Match.fail("gate and up are not read alike: only " + (gate.interleaved() ? "gate" : "up")
                    + " is reshaped from [..., I, 1] to [..., I]");
        }
        Layout layout;
        if (gate.interleaved()) {
            if (gate.index() != 0) {
                return Match.fail("gate is the odd elements of an interleaved pair; no layout describes [u0, g0, u1, g1, ...]");
            }
            layout = Layout.INTERLEAVED;
        } else {
            layout = gate.index() == 0 ? Layout.HALVES : Layout.SWAPPED;
        }
        OptionalDouble limit = OptionalDouble.empty();
        if (gate.clamp().isPresent() || up.clamp().isPresent()) {
            if (gate.clamp().isEmpty() || up.clamp().isEmpty()) {
                return Match.fail("only " + (gate.clamp().isPresent() ? "gate" : "up")
                        + " is clamped; limit= clamps gate above and up on both sides");
            }
            Op.Clamp gc = gate.clamp().get();
            Op.Clamp uc = up.clamp().get();
            if (gc.min().isPresent() || gc.max().isEmpty()) {
                return Match.fail("gate clamp must be clamp(max=L) alone to be limit=L");
            }
            double l = gc.max().getAsDouble();
            if (!(l > 0) || uc.max().isEmpty() || uc.min().isEmpty()
                    || uc.max().getAsDouble() != l || uc.min().getAsDouble() != -l) {
                return Match.fail("up clamp must be clamp(min=-" + l + ", max=" + l + ") to match gate's limit " + l);
            }
            limit = OptionalDouble.of(l);
        }
        // Computation that would be repeated if it stayed alive: silu and the clamps.
        Optional<String> busy = s.otherUses(siluNode.result(), s.node());
        if (busy.isPresent()) {
            return Match.fail(busy.get() + "; fusing would compute " + siluNode.op().opName() + " twice");
        }
        // A clamp stays alive if it, or any chain node between it and silu/mul, has another user.
        for (Half h : List.of(gate, up)) {
            Node first = h == gate ? siluNode : upAdd != null ? upAdd : s.node();
            int lastClamp = -1;
            for (int i = 0; i < h.chain().size(); i++) {
                if (h.chain().get(i).op() instanceof Op.Clamp) {
                    lastClamp = i;
                }
            }
            for (int i = 0; i <= lastClamp; i++) {
                Node consumer = i > 0 ? h.chain().get(i - 1) : first;
                Optional<String> clampBusy = s.otherUses(h.chain().get(i).result(), consumer);
                if (clampBusy.isPresent()) {
                    return Match.fail(clampBusy.get() + "; fusing would compute the clamp twice");
                }
            }
        }
        var unique = new java.util.LinkedHashSet<Node>();
        unique.add(gate.split());
        unique.addAll(gate.chain());
        unique.addAll(up.chain());
        unique.add(siluNode);
        if (upAdd != null) {
            unique.add(upAdd);
        }
        unique.add(s.node());
        List<Node> absorbed = List.copyOf(unique);
        Glu glu = new Glu(activation, layout, limit, false, false, alpha, beta);
        Node fused = new Node(s.node().results(), new Op.SwiGlu(gate.y(), glu), s.node().pos(), Site.provenance(absorbed));
        Node[] fusedNodes = absorbed.toArray(Node[]::new);
        String kept = gate.split().results().stream().anyMatch(r -> s.otherUses(r, fusedNodes).isPresent())
                ? "; split kept for its other users" : "";
        // The other spelling, the product reshaped back after the mul, is InterleavedSwiGluRule's.
        String spelling = !gate.interleaved() ? "" : "; interleaved spelled as reshape to "
                + s.type(((Op.Split) gate.split().op()).x()).shape() + " + split, each half reshaped to "
                + s.type(s.node().result()).shape() + " before the mul";
        return new Match.Fired(List.of(s.node()), List.of(fused), absorbed,
                dev.fusec.ir.OpSyntax.print(fused.op()) + " absorbed " + Site.describe(absorbed) + spelling + kept);
    }

    /**
     * value = [clamp] ([reshape to drop a trailing 1]) [clamp] (split(z, parts=2, axis=-1).k), where z is y
     * (halves) or reshape(y, [..., I, 2]) (interleaved).
     */
    private static Optional<Half> trace(Site s, String value) {
        List<Node> chain = new ArrayList<>();
        Optional<Op.Clamp> clamp = Optional.empty();
        String v = value;
        var c = s.producer(v, Op.Clamp.class);
        if (c.isPresent()) {
            clamp = Optional.of(c.get().op());
            chain.add(c.get().node());
            v = c.get().op().x();
        }
        boolean droppedOne = false;
        var r = s.producer(v, Op.Reshape.class);
        if (r.isPresent() && dropsTrailingOne(s.type(r.get().op().x()).shape(), s.type(v).shape())) {
            chain.add(r.get().node());
            v = r.get().op().x();
            droppedOne = true;
            var c2 = s.producer(v, Op.Clamp.class);
            if (c2.isPresent() && clamp.isEmpty()) {
                clamp = Optional.of(c2.get().op());
                chain.add(c2.get().node());
                v = c2.get().op().x();
            }
        }
        var sp = s.producer(v, Op.Split.class);
        if (sp.isEmpty() || sp.get().op().resultCount() != 2 || !sp.get().op().sizes().isEmpty()) {
            return Optional.empty();
        }
        Op.Split split = sp.get().op();
        Shape z = s.type(split.x()).shape();
        if (z.axis(split.axis()).orElse(-1) != z.rank() - 1) {
            return Optional.empty();
        }
        if (!droppedOne) {
            return Optional.of(new Half(split.x(), sp.get().node(), sp.get().resultIndex(), false, clamp, chain));
        }
        var pairs = s.producer(split.x(), Op.Reshape.class);
        if (pairs.isEmpty() || !z.last().equals(Dim.of(2))) {
            return Optional.empty();
        }
        Shape y = s.type(pairs.get().op().x()).shape();
        boolean pairsLastDim = y.rank() == z.rank() - 1
                && y.dims().subList(0, y.rank() - 1).equals(z.dims().subList(0, z.rank() - 2))
                && z.dim(z.rank() - 2).times(Dim.of(2)).map(y.last()::equals).orElse(false);
        if (!pairsLastDim) {
            return Optional.empty();
        }
        chain.add(pairs.get().node());
        return Optional.of(new Half(pairs.get().op().x(), sp.get().node(), sp.get().resultIndex(), true, clamp, chain));
    }

    /** reshape [..., I, 1] -> [..., I]. */
    private static boolean dropsTrailingOne(Shape in, Shape out) {
        return in.rank() >= 2 && in.last().equals(Dim.of(1)) && out.dims().equals(in.dims().subList(0, in.rank() - 1));
    }
}
