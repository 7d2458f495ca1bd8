package dev.fusec.ir;

import dev.fusec.runtime.Rounding;
import java.util.Optional;

/** Element types of the IR. Storage at run time is f32; narrower types are rounded to their grid on store. */
public enum DType {
    F32("f32", 4),
    BF16("bf16", 2),
    F16("f16", 2),
    F8E4M3("f8e4m3", 1);

    private final String spelling;
    private final int bytes;

    DType(String spelling, int bytes) {
        this.spelling = spelling;
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /**
     * Rounds a float to the nearest value of this type (ties to even), as storing it would.
     * f8e4m3 is the "fn" variant (no infinities, max 448) and saturates out-of-range values to +-448.
     */
    public float round(float x) {
        return switch (this) {
            case F32 -> x;
            case BF16 -> Rounding.bf16(x);
            case F16 -> Rounding.f16(x);
            case F8E4M3 -> Rounding.e4m3(x);
        };
    }

    /**
     * Rounds a double to the nearest value of this type once, as if directly. Casting to float first
     * would round twice and can turn a value just above a tie of a narrow type into the tie itself.
     */
    public float round(double x) {
        float f = (float) x;
        if (this == F32) {
            return f;
        }
        // Round to odd into f32: f32 carries more than two extra bits of every narrower type, so
        // rounding that result to nearest-even again equals rounding x directly.
        if (f != x && !Double.isNaN(x) && (Float.floatToRawIntBits(f) & 1) == 0) {
            f = Math.nextAfter(f, x);
        }
        return round(f);
    }

    public static Optional<DType> parse(String text) {
        for (DType t : values()) {
            if (t.spelling.equals(text)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return spelling;
    }
}
