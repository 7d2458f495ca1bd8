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
 */
public record Glu(Activation act, Layout layout, OptionalDouble limit, boolean fp8InputStore, boolean cpuOffloadInput) {
    public static final Glu DEFAULT = new Glu(Activation.SILU, Layout.HALVES, OptionalDouble.empty(), false, false);

    public Glu {
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
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Unary _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _,
                 Op.Transpose _, Op.GateUp _ -> Optional.empty();
        };
    }

    public Glu withAct(Activation a) {
        return new Glu(a, layout, limit, fp8InputStore, cpuOffloadInput);
    }

    public Glu withLayout(Layout l) {
        return new Glu(act, l, limit, fp8InputStore, cpuOffloadInput);
    }

    public Glu withLimit(double l) {
        return new Glu(act, layout, OptionalDouble.of(l), fp8InputStore, cpuOffloadInput);
    }
}
