package dev.fusec.pass.rules;

import dev.fusec.ir.Glu;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/**
 * Epilogue fusion: swiglu(gate_up(x, w_g, w_u)) -> gate_up_swiglu(x, w_g, w_u), act= kept (GeGLU
 * fuses as SwiGLU does). The kernel applies the GLU to the matmul's accumulators, so gate and up are
 * never stored. A swapped SwiGLU over a
 * halves gate_up swaps the weights; biased and weighted SwiGLUs stay unfused (the fused op has no
 * bias or per-token weight), and the explanation says so.
 */
public final class GateUpSwiGluRule implements Rule {
    public String name() { return "gate-up-swiglu"; }
    public String algebra() { return "swiglu(gate_up(x, w_g, w_u)) -> gate_up_swiglu(x, w_g, w_u)"; }
    public Class<? extends Op> root() { return Op.class; }

    @Override
    public Match match(Site s) {
        String input = switch (s.op()) {
            case Op.SwiGlu sw -> sw.y();
            case Op.BiasSwiGlu sw -> sw.y();
            case Op.WeightedSwiGlu sw -> sw.y();
            case Op.WeightedBiasSwiGlu sw -> sw.y();
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _,
                 Op.Transpose _, Op.GateUp _, Op.GateUpSwiGlu _, Op.SwiGluBack _, Op.BiasSwiGluBack _,
                 Op.WeightedSwiGluBack _ -> null;
        };
        if (input == null) {
            return Match.NOT_APPLICABLE;
        }
        var gu = s.producer(input, Op.GateUp.class);
        if (gu.isEmpty()) {
            return Match.NOT_APPLICABLE;
        }
        // The fused op has neither bias nor per-token weight: only plain swiglu fuses (every op listed).
        String lacking = switch (s.op()) {
            case Op.SwiGlu _ -> null;
            case Op.BiasSwiGlu _, Op.WeightedBiasSwiGlu _ -> "bias";
            case Op.WeightedSwiGlu _ -> "per-token weight";
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _,
                 Op.Transpose _, Op.GateUp _, Op.GateUpSwiGlu _, Op.SwiGluBack _, Op.BiasSwiGluBack _,
                 Op.WeightedSwiGluBack _ -> null;
        };
        if (lacking != null) {
            return Match.fail("gate_up_swiglu has no " + lacking + " operand; " + s.op().opName() + " stays after gate_up");
        }
        Op.SwiGlu sw = (Op.SwiGlu) s.op();
        Op.GateUp g = gu.get().op();
        Layout produced = g.layout();
        Layout read = sw.glu().layout();
        String wGate;
        String wUp;
        if (produced == read) {
            wGate = g.wGate();
            wUp = g.wUp();
        } else if (produced != Layout.INTERLEAVED && read != Layout.INTERLEAVED) {
            wGate = g.wUp();
            wUp = g.wGate();
        } else {
            return Match.fail("gate_up writes layout=" + produced + " but swiglu reads layout=" + read);
        }
        Optional<String> busy = s.otherUses(input, s.node());
        if (busy.isPresent()) {
            return Match.fail(busy.get() + "; gate and up must be stored for it");
        }
        Glu glu = sw.glu().withLayout(Layout.HALVES);
        List<Node> absorbed = List.of(gu.get().node(), s.node());
        Node fused = new Node(s.node().results(), new Op.GateUpSwiGlu(g.x(), wGate, wUp, g.transposeB(), glu),
                s.node().pos(), Site.provenance(absorbed));
        return new Match.Fired(List.of(s.node()), List.of(fused), absorbed,
                dev.fusec.ir.OpSyntax.print(fused.op()) + " absorbed " + Site.describe(absorbed));
    }
}
