package dev.fusec.pass.rules;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Rule;
import dev.fusec.pass.Site;
import java.util.List;

/** mul(a, act(b)) -> mul(act(b), a) when a is no activation: one canonical order for commuted muls. */
public final class ActivationFirst implements Rule {
    public String name() { return "activation-first"; }
    public String algebra() { return "mul(a, act(b)) -> mul(act(b), a)   (act: silu, gelu, swiglu family)"; }
    public Class<? extends Op> root() { return Op.Binary.class; }

    /**
     * Whether value is the result of a GLU gating activation (silu, gelu in either formula) or of the
     * unweighted GLU ops a per-token weight may still multiply. Every op is listed, so a new one is
     * decided here rather than left out by a default.
     */
    static boolean isActivation(Site s, String value) {
        return s.definingNode(value).map(n -> switch (n.op()) {
            case Op.Unary u -> u.kind().activation().isPresent();
            case Op.Swish _ -> true;
            case Op.Const _ -> false;
            case Op.SwiGlu _, Op.BiasSwiGlu _, Op.GateUpSwiGlu _ -> true;
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _,
                 Op.Transpose _, Op.WeightedSwiGlu _, Op.WeightedBiasSwiGlu _, Op.GateUp _, Op.SwiGluBack _,
                 Op.BiasSwiGluBack _, Op.WeightedSwiGluBack _ -> false;
        }).orElse(false);
    }

    @Override
    public Match match(Site s) {
        Op.Binary mul = (Op.Binary) s.op();
        if (mul.kind() != Op.BinaryKind.MUL || !isActivation(s, mul.b()) || isActivation(s, mul.a())) {
            return Match.NOT_APPLICABLE;
        }
        Node swapped = s.node().withOp(new Op.Binary(Op.BinaryKind.MUL, mul.b(), mul.a()));
        return new Match.Fired(List.of(s.node()), List.of(swapped), List.of(), "mul(" + mul.b() + ", " + mul.a() + ")");
    }
}
