package dev.fusec.runtime;

/**
 * Rounding of f32 values to the narrower storage types, ties to even: what storing to bf16, f16 or
 * f8e4m3 (the "fn" variant: no infinities, max 448, saturating) does. Tensors stay f32 arrays.
 */
public final class Rounding {
    private Rounding() {}

    private static final float E4M3_MAX = 448f;

    public static float bf16(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        int bits = Float.floatToRawIntBits(x);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    /** The bf16 nearest to {@code x} (ties to even) as its 16 bits: the top half of the rounded float. */
    public static short bf16Bits(float x) {
        if (Float.isNaN(x)) {
            return (short) ((Float.floatToRawIntBits(x) >>> 16) | 0x40);
        }
        return (short) (Float.floatToRawIntBits(bf16(x)) >>> 16);
    }

    public static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    public static float e4m3(float x) {
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

    /** Rounds {@code n} values in place; {@code kind} is "bf16", "f16" or "f8e4m3". */
    public static void inPlace(float[] data, int n, String kind) {
        for (int i = 0; i < n; i++) {
            data[i] = switch (kind) {
                case "bf16" -> bf16(data[i]);
                case "f16" -> f16(data[i]);
                case "f8e4m3" -> e4m3(data[i]);
                default -> throw new IllegalArgumentException("unknown storage type " + kind);
            };
        }
    }
}
