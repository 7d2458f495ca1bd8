package dev.fusec.ir;

import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The attributes every GLU-family op takes.
 *
 * @param act             the gating activation: silu (SwiGLU), gelu or gelu_tanh (GeGLU)
 * @param layout          where gate and up sit in the input
 * @param limit           clamped GLU: gate clamped above at limit, up to [-limit, limit]
 * @param fp8InputStore   the input saved for backward is kept as f8e4m3 (backward ops read it rounded)
 * @param cpuOffloadInput the saved input lives in host memory on a device target (no numeric effect)
 * @param alpha           silu's input scale inside the sigmoid: gate * sigmoid(alpha * gate) (gpt-oss: 1.702)
 * @param beta            added to up before the product: act(gate) * (up + beta) (gpt-oss: 1); TensorRT-LLM's
 *                        and FlashInfer's swiglu_alpha and swiglu_beta
 */
public record Glu(Activation act, Layout layout, OptionalDouble limit, boolean fp8InputStore, boolean cpuOffloadInput,
                  double alpha, double beta) {
    public static final Glu DEFAULT = new Glu(Activation.SILU, Layout.HALVES, OptionalDouble.empty(), false, false);

    public Glu(Activation act, Layout layout, OptionalDouble limit, boolean fp8InputStore, boolean cpuOffloadInput) {
        this(act, layout, limit, fp8InputStore, cpuOffloadInput, 1.0, 0.0);
    }

    public Glu {
        if (!Double.isFinite(alpha) || alpha == 0) {
            throw new IllegalArgumentException("alpha must be a finite non-zero number, got " + alpha);
        }
        if (!Double.isFinite(beta)) {
            throw new IllegalArgumentException("beta must be a finite number, got " + beta);
        }
        if (alpha != 1.0 && act != Activation.SILU) {
            throw new IllegalArgumentException("alpha= scales silu's sigmoid; it does not go with act=" + act);
        }
        java.util.Objects.requireNonNull(act, "act");
        java.util.Objects.requireNonNull(layout, "layout");
        if (limit.isPresent() && !(limit.getAsDouble() > 0 && Double.isFinite(limit.getAsDouble()))) {
            throw new IllegalArgumentException("limit must be a positive finite number, got " + limit.getAsDouble());
        }
    }

    /** The GLU attributes of {@code op}, for the eight GLU-family ops; every op is listed. */
    public static Optional<Glu> of(Op op) {
        return switch (op) {
            case Op.SwiGlu s -> Optional.of(s.glu());
            case Op.BiasSwiGlu s -> Optional.of(s.glu());
            case Op.WeightedSwiGlu s -> Optional.of(s.glu());
            case Op.WeightedBiasSwiGlu s -> Optional.of(s.glu());
            case Op.GateUpSwiGlu s -> Optional.of(s.glu());
            case Op.SwiGluBack s -> Optional.of(s.glu());
            case Op.BiasSwiGluBack s -> Optional.of(s.glu());
            case Op.WeightedSwiGluBack s -> Optional.of(s.glu());
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _,
                 Op.Transpose _, Op.GateUp _ -> Optional.empty();
        };
    }

    public Glu withAct(Activation a) {
        return new Glu(a, layout, limit, fp8InputStore, cpuOffloadInput, alpha, beta);
    }

    public Glu withLayout(Layout l) {
        return new Glu(act, l, limit, fp8InputStore, cpuOffloadInput, alpha, beta);
    }

    public Glu withLimit(double l) {
        return new Glu(act, layout, OptionalDouble.of(l), fp8InputStore, cpuOffloadInput, alpha, beta);
    }

    public Glu withAlphaBeta(double a, double b) {
        return new Glu(act, layout, limit, fp8InputStore, cpuOffloadInput, a, b);
    }

    /** Whether the gate is swish(alpha) or up is offset: gpt-oss's activation rather than plain SwiGLU. */
    public boolean hasAlphaBeta() {
        return alpha != 1.0 || beta != 0.0;
    }

    /** The backward ops differentiate plain act(gate) * up: they refuse alpha= and beta=. */
    void requireForwardOnlyDefaults() {
        if (hasAlphaBeta()) {
            throw new IllegalArgumentException("alpha= and beta= are for the forward ops only; the backward ops do not take them");
        }
    }
}
