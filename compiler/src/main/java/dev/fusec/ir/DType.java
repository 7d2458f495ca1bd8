package dev.fusec.ir;

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
            case BF16 -> {
                if (Float.isNaN(x)) {
                    yield x;
                }
                int bits = Float.floatToRawIntBits(x);
                bits += 0x7FFF + ((bits >>> 16) & 1);
                yield Float.intBitsToFloat(bits & 0xFFFF0000);
            }
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(x));
            case F8E4M3 -> roundE4M3(x);
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

    private static final float E4M3_MAX = 448f;

    private static float roundE4M3(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        float a = Math.abs(x);
        if (a >= E4M3_MAX) {
            return Math.copySign(E4M3_MAX, x);
        }
        // 3 mantissa bits: the spacing is 2^(e-3) for normal numbers (e >= -6), 2^-9 below.
        int e = Math.max(Math.getExponent(a), -6);
        double quantum = Math.scalb(1.0, e - 3);
        double r = Math.rint(a / quantum) * quantum;
        return (float) Math.copySign(Math.min(r, E4M3_MAX), x);
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
