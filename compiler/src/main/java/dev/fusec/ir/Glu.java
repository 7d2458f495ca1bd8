package dev.fusec.ir;

import java.util.OptionalDouble;

/**
 * The attributes every SwiGLU-family op takes.
 *
 * @param layout          where gate and up sit in the input
 * @param limit           clamped SwiGLU: gate clamped above at limit, up to [-limit, limit]
 * @param fp8InputStore   the input saved for backward is kept as f8e4m3 (backward ops read it rounded)
 * @param cpuOffloadInput the saved input lives in host memory on a device target (no numeric effect)
 */
public record Glu(Layout layout, OptionalDouble limit, boolean fp8InputStore, boolean cpuOffloadInput) {
    public static final Glu DEFAULT = new Glu(Layout.HALVES, OptionalDouble.empty(), false, false);

    public Glu {
        if (limit.isPresent() && !(limit.getAsDouble() > 0 && Double.isFinite(limit.getAsDouble()))) {
            throw new IllegalArgumentException("limit must be a positive finite number, got " + limit.getAsDouble());
        }
    }

    public Glu withLayout(Layout l) {
        return new Glu(l, limit, fp8InputStore, cpuOffloadInput);
    }

    public Glu withLimit(double l) {
        return new Glu(layout, OptionalDouble.of(l), fp8InputStore, cpuOffloadInput);
    }
}
