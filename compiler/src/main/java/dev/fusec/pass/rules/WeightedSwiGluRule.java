package dev.fusec.pass.rules;

import dev.fusec.ir.Dim;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;
import java.util.Optional;

/**
 * mul(swiglu(y), w) -> weighted_swiglu(y, w) and mul(bias_swiglu(y, b), w) -> weighted_bias_swiglu(y, b, w),
 * w one weight per token ([..., 1]), as MoE routers produce.
 */
public final class WeightedSwiGluRule implements Rule {
    public String name() { return "weighted-swiglu"; }
    public String algebra() { return "mul(swiglu(y), w[T,1]) -> weighted_swiglu(y, w)"; }
    public Class<? extends Op> root() { return Op.Binary.class; }

    @Override
    public Match match(Site s) {
        return MulOperands.eitherOrder(s, (act, w) -> {
            Optional<Node> def = s.definingNode(act);
            Optional<Op> fusedOp = def.flatMap(d -> weighted(d.op(), w));
            if (fusedOp.isEmpty()) {
                return null;
            }
            Shape out = s.type(act).shape();
            Shape perToken = out.withDim(out.rank() - 1, Dim.of(1));
            if (!s.type(w).shape().equals(perToken)) {
                return Match.fail("multiplier " + w + " is " + s.type(w).shape() + ", not one weight per token " + perToken);
            }
            Optional<String> busy = s.otherUses(act, s.node());
            if (busy.isPresent()) {
                return Match.fail(busy.get() + "; the unweighted activation must stay");
            }
            List<Node> absorbed = List.of(def.get(), s.node());
            Node fused = new Node(s.node().results(), fusedOp.get(), s.node().pos(), Site.provenance(absorbed));
            return new Match.Fired(List.of(s.node()), List.of(fused), absorbed,
                    dev.fusec.ir.OpSyntax.print(fusedOp.get()) + " absorbed " + Site.describe(absorbed));
        });
    }

    /** {@code op} with a per-token weight {@code w}, for the ops that have a weighted form; every op listed. */
    private static Optional<Op> weighted(Op op, String w) {
        return switch (op) {
            case Op.SwiGlu sw -> Optional.of(new Op.WeightedSwiGlu(sw.y(), w, sw.glu()));
            case Op.BiasSwiGlu bs -> Optional.of(new Op.WeightedBiasSwiGlu(bs.y(), bs.bias(), w, bs.glu()));
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _,
                 Op.Transpose _, Op.WeightedSwiGlu _, Op.WeightedBiasSwiGlu _, Op.GateUp _, Op.GateUpSwiGlu _,
                 Op.SwiGluBack _, Op.BiasSwiGluBack _, Op.WeightedSwiGluBack _ -> Optional.empty();
        };
    }
}
