package dev.fusec.interp;

import static dev.fusec.interp.Tensors.assertExact;
import static dev.fusec.interp.Tensors.of;
import static dev.fusec.interp.Tensors.random;
import static dev.fusec.interp.Tensors.run;
import static dev.fusec.interp.Tensors.run1;
import static dev.fusec.interp.Tensors.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.ir.DType;
import dev.fusec.runtime.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * DType.round against hand-listed values and independent references (bf16: nearest of the two
 * 16-bit truncations, ties to even; f8e4m3: every one of its 256 codes decoded from the bit layout),
 * and the interpreter storing results of narrow graphs on their grid, rounded once from the double
 * result. Tolerance: none; rounding is exact by definition, so every comparison is bit for bit.
 */
class DTypeTest {
    static final float E = 0x1p-8f; // half an ulp of bf16 at 1

    static void assertRounds(DType t, float in, float want) {
        float got = t.round(in);
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                () -> t + ".round(" + in + " = " + Float.toHexString(in) + ") = " + got + " (" + Float.toHexString(got)
                        + "), expected " + want + " (" + Float.toHexString(want) + ")");
    }

    // ---- bf16 ----

    @Test
    void bf16HandListed() {
        assertRounds(DType.BF16, 1f, 1f);
        assertRounds(DType.BF16, 1 + E, 1f); // tie between 1 and 1 + 2^-7: to even (1)
        assertRounds(DType.BF16, 1 + 3 * E, 1 + 4 * E); // tie between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
        assertRounds(DType.BF16, 1 + E + 0x1p-20f, 1 + 2 * E); // just above the tie
        assertRounds(DType.BF16, 1 + E - 0x1p-20f, 1f); // just below it
        assertRounds(DType.BF16, -(1 + 3 * E), -(1 + 4 * E));
        assertRounds(DType.BF16, (float) Math.PI, 3.140625f);
        assertRounds(DType.BF16, -0f, -0f);
        assertRounds(DType.BF16, Float.MIN_VALUE, 0f); // bf16's smallest step is 2^-133
        assertRounds(DType.BF16, 0x1p-133f, 0x1p-133f);
        assertRounds(DType.BF16, Float.intBitsToFloat(0x7F7F0000), Float.intBitsToFloat(0x7F7F0000)); // bf16 max
        assertRounds(DType.BF16, Float.MAX_VALUE, Float.POSITIVE_INFINITY); // past bf16 max + half a step
        assertRounds(DType.BF16, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY);
        assertRounds(DType.BF16, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
        // NaN stays NaN, also one whose payload sits only in the low 16 bits (truncating would give Inf).
        for (int nan : new int[] {0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001}) {
            float got = DType.BF16.round(Float.intBitsToFloat(nan));
            assertTrue(Float.isNaN(got), () -> "bf16 round of NaN " + Integer.toHexString(nan) + " gave " + got);
        }
    }

    /** Independent bf16 reference: the nearer of the truncation and the next bf16 up, ties to even. */
    static float bf16Reference(float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = bits & 0x80000000;
        int lo = bits & 0x7FFF0000;
        int hi = lo + 0x10000;
        double ax = Math.abs((double) x);
        double dLo = ax - Float.intBitsToFloat(lo);
        double dHi = (hi == 0x7F800000 ? 0x1p128 : Float.intBitsToFloat(hi)) - ax;
        int pick = dLo < dHi ? lo : dLo > dHi ? hi : (lo & 0x10000) == 0 ? lo : hi;
        return Float.intBitsToFloat(sign | pick);
    }

    @Test
    void bf16MatchesReferenceOnRandomBitPatterns() {
        SplittableRandom rng = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(rng.nextInt());
            if (Float.isNaN(x) || Float.isInfinite(x)) {
                continue;
            }
            assertRounds(DType.BF16, x, bf16Reference(x));
        }
        // Exact ties at every exponent: odd truncation rounds up, even stays.
        for (int exp = 1; exp < 254; exp++) {
            int base = exp << 23;
            assertRounds(DType.BF16, Float.intBitsToFloat(base | 0x8000), Float.intBitsToFloat(base));
            assertRounds(DType.BF16, Float.intBitsToFloat(base | 0x18000), Float.intBitsToFloat(base + 0x20000));
        }
    }

    // ---- f16 ----

    @Test
    void f16HandListed() {
        assertRounds(DType.F16, 1f, 1f);
        assertRounds(DType.F16, 1 + 0x1p-11f, 1f); // tie: to even
        assertRounds(DType.F16, 1 + 3 * 0x1p-11f, 1 + 0x1p-9f); // tie: to even, up
        assertRounds(DType.F16, 0.1f, 0.0999755859375f);
        assertRounds(DType.F16, 65504f, 65504f); // f16 max
        assertRounds(DType.F16, 65519f, 65504f);
        assertRounds(DType.F16, 65520f, Float.POSITIVE_INFINITY); // tie between max and 2^16: to even (Inf)
        assertRounds(DType.F16, -70000f, Float.NEGATIVE_INFINITY);
        assertRounds(DType.F16, 0x1p-24f, 0x1p-24f); // smallest subnormal
        assertRounds(DType.F16, 0x1p-25f, 0f); // tie: to even (0)
        assertRounds(DType.F16, 3 * 0x1p-25f, 0x1p-23f); // tie between 2^-24 (odd) and 2^-23 (even)
        assertRounds(DType.F16, -0f, -0f);
        assertTrue(Float.isNaN(DType.F16.round(Float.NaN)));
    }

    // ---- f8e4m3 (e4m3fn) ----

    /** Code c of e4m3fn: sign, 4 exponent bits (bias 7), 3 mantissa bits; S.1111.111 is NaN, no infinities. */
    static float decodeE4M3(int c) {
        int s = c >> 7 & 1;
        int e = c >> 3 & 15;
        int m = c & 7;
        if (e == 15 && m == 7) {
            return Float.NaN;
        }
        double mag = e == 0 ? m * 0x1p-9 : (1 + m / 8.0) * Math.scalb(1.0, e - 7);
        return (float) (s == 1 ? -mag : mag);
    }

    @Test
    void f8e4m3HandListed() {
        assertRounds(DType.F8E4M3, 1f, 1f);
        assertRounds(DType.F8E4M3, 0.3f, 0.3125f); // step 2^-5 in [0.25, 0.5): 9.6 steps -> 10
        assertRounds(DType.F8E4M3, 1.0625f, 1f); // tie between 1 and 1.125: to even
        assertRounds(DType.F8E4M3, 1.1875f, 1.25f); // tie between 1.125 (odd) and 1.25 (even)
        assertRounds(DType.F8E4M3, 17f, 16f); // step 2 in [16, 32): tie, to even
        assertRounds(DType.F8E4M3, 19f, 20f);
        assertRounds(DType.F8E4M3, 240f, 240f);
        assertRounds(DType.F8E4M3, 448f, 448f); // max
        assertRounds(DType.F8E4M3, 449f, 448f); // saturating
        assertRounds(DType.F8E4M3, 464f, 448f); // would be the tie with 480, which e4m3fn does not have
        assertRounds(DType.F8E4M3, 1000f, 448f);
        assertRounds(DType.F8E4M3, -1000f, -448f);
        assertRounds(DType.F8E4M3, Float.POSITIVE_INFINITY, 448f);
        assertRounds(DType.F8E4M3, Float.NEGATIVE_INFINITY, -448f);
        assertRounds(DType.F8E4M3, 0x1p-6f, 0x1p-6f); // smallest normal
        assertRounds(DType.F8E4M3, 0x1p-9f, 0x1p-9f); // smallest subnormal: the subnormal step is 2^-9
        assertRounds(DType.F8E4M3, 5 * 0x1p-9f, 5 * 0x1p-9f);
        assertRounds(DType.F8E4M3, 0x1p-10f, 0f); // tie between 0 and 2^-9: to even (0)
        assertRounds(DType.F8E4M3, 3 * 0x1p-10f, 0x1p-8f); // tie between 2^-9 (odd) and 2^-8 (even)
        assertRounds(DType.F8E4M3, 15 * 0x1p-10f, 0x1p-6f); // tie between 7 * 2^-9 and 2^-6: to even
        assertRounds(DType.F8E4M3, 1e-5f, 0f);
        assertRounds(DType.F8E4M3, -0f, -0f);
        assertRounds(DType.F8E4M3, -0.3f, -0.3125f);
        assertTrue(Float.isNaN(DType.F8E4M3.round(Float.NaN)));
    }

    @Test
    void f8e4m3EveryCodeIsFixedAndEveryMidpointGoesToTheEvenCode() {
        for (int c = 0; c < 256; c++) {
            float v = decodeE4M3(c);
            if (!Float.isNaN(v)) {
                assertRounds(DType.F8E4M3, v, v);
            }
        }
        // Positive codes 0..126 are increasing; between neighbours c and c + 1 the midpoint goes to the
        // even code, and anything off the midpoint to the nearer one.
        for (int c = 0; c < 126; c++) {
            float lo = decodeE4M3(c);
            float hi = decodeE4M3(c + 1);
            float mid = (lo + hi) / 2; // exact: e4m3 values have few bits
            assertRounds(DType.F8E4M3, mid, (c & 1) == 0 ? lo : hi);
            assertRounds(DType.F8E4M3, Math.nextDown(mid), lo);
            assertRounds(DType.F8E4M3, Math.nextUp(mid), hi);
            assertRounds(DType.F8E4M3, -mid, -((c & 1) == 0 ? lo : hi));
        }
    }

    // ---- rounding a double once ----

    /**
     * For adjacent values lo < hi of a type: a double just below their midpoint goes to lo, just above to
     * hi, exactly on it to the one with the even code. "Just" is 2^-40 relative: well inside one f32
     * ulp, where rounding through f32 first would land on the midpoint.
     */
    static void assertTiesOfDouble(DType t, double lo, double hi, boolean loIsEven) {
        double mid = (lo + hi) / 2;
        double tiny = Math.abs(mid) * 0x1p-40;
        assertRoundsDouble(t, mid - tiny, (float) lo);
        assertRoundsDouble(t, mid + tiny, (float) hi);
        assertRoundsDouble(t, mid, (float) (loIsEven ? lo : hi));
        assertRoundsDouble(t, -(mid + tiny), (float) -hi);
    }

    static void assertRoundsDouble(DType t, double in, float want) {
        float got = t.round(in);
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                () -> t + ".round((double) " + Double.toHexString(in) + ") = " + Float.toHexString(got)
                        + ", expected " + Float.toHexString(want));
    }

    @Test
    void roundingADoubleIsOneRoundingAtEveryTie() {
        for (int c = 0; c < 126; c++) { // every pair of neighbouring positive f8e4m3 codes
            assertTiesOfDouble(DType.F8E4M3, decodeE4M3(c), decodeE4M3(c + 1), (c & 1) == 0);
        }
        for (short c = 1; c < 0x7BFF; c++) { // every pair of neighbouring positive finite f16 values
            assertTiesOfDouble(DType.F16, Float.float16ToFloat(c), Float.float16ToFloat((short) (c + 1)), (c & 1) == 0);
        }
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 50_000; i++) { // neighbouring bf16 values at random places, subnormals included
            int c = rng.nextInt(1, 0x7F7F);
            assertTiesOfDouble(DType.BF16, Float.intBitsToFloat(c << 16), Float.intBitsToFloat((c + 1) << 16), (c & 1) == 0);
        }
        // f32 itself: the plain cast, already a single rounding.
        assertRoundsDouble(DType.F32, 1 + 0x1p-24 + 0x1p-50, 1 + 0x1p-23f);
        assertRoundsDouble(DType.F32, 1 + 0x1p-24, 1f);
        // Beyond f32's range: saturates for f8e4m3, overflows to Inf for the others, and Inf and NaN pass.
        assertRoundsDouble(DType.F8E4M3, 1e300, 448f);
        assertRoundsDouble(DType.BF16, 1e300, Float.POSITIVE_INFINITY);
        assertRoundsDouble(DType.F16, -1e300, Float.NEGATIVE_INFINITY);
        assertRoundsDouble(DType.BF16, Double.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
        assertRoundsDouble(DType.BF16, 1e-300, 0f);
        assertRoundsDouble(DType.F16, -1e-300, -0f);
        assertTrue(Float.isNaN(DType.BF16.round(Double.NaN)));
    }

    // ---- the interpreter on narrow graphs ----

    @Test
    void bf16GraphRoundsInputsAndResults() {
        // Inputs are rounded on entry: 1 + 2^-9 is not bf16 and becomes 1. 1 + 3 * 2^-8 is a tie: to 1 + 2^-6.
        Tensor s = run1("""
                graph g(a: bf16[2], b: bf16[2]) -> (s: bf16[2]) {
                  s = add(a, b)
                  return s
                }""", "a", of(shape(2), 1, 1 + 0x1p-9), "b", of(shape(2), 3 * 0x1p-8, 0));
        assertExact("bf16 add", shape(2), new double[] {1 + 0x1p-6, 1}, s);
    }

    @Test
    void bf16GraphResultsLieOnTheGridAndEqualRoundedF32() {
        // A chain of ops in bf16 against the same chain in f32 on the same (bf16) inputs, rounding every
        // f32 intermediate to bf16 here: silu(x @ w) then swiglu.
        Tensor x = roundedTo(DType.BF16, random(800, 1, 4, 6));
        Tensor w = roundedTo(DType.BF16, random(801, 1, 6, 8));
        String ir = """
                graph g(x: %1$s[4, 6], w: %1$s[6, 8]) -> (h: %1$s[4, 8], o: %1$s[4, 4]) {
                  h = silu(matmul(x, w))
                  o = swiglu(h, layout=interleaved)
                  return h, o
                }""";
        Map<String, Tensor> narrow = run(ir.formatted("bf16"), "x", x, "w", w);
        for (Tensor t : narrow.values()) {
            for (float v : t.data()) {
                assertEquals(0, Float.floatToRawIntBits(v) & 0xFFFF, () -> v + " is not a bf16 value");
            }
        }
        // Step by step in f32 with a rounding to bf16 after every node, as the bf16 graph stores them.
        Tensor mm = roundedTo(DType.BF16, run1("""
                graph g(x: f32[4, 6], w: f32[6, 8]) -> (m: f32[4, 8]) {
                  m = matmul(x, w)
                  return m
                }""", "x", x, "w", w));
        Tensor h = roundedTo(DType.BF16, run1("""
                graph g(m: f32[4, 8]) -> (h: f32[4, 8]) {
                  h = silu(m)
                  return h
                }""", "m", mm));
        Tensor o = roundedTo(DType.BF16, run1("""
                graph g(h: f32[4, 8]) -> (o: f32[4, 4]) {
                  o = swiglu(h, layout=interleaved)
                  return o
                }""", "h", h));
        assertExact("bf16 silu(matmul)", shape(4, 8), Tensors.doubles(h), narrow.get("h"));
        assertExact("bf16 swiglu", shape(4, 4), Tensors.doubles(o), narrow.get("o"));
    }

    static Tensor roundedTo(DType t, Tensor x) {
        float[] d = x.data().clone();
        for (int i = 0; i < d.length; i++) {
            d[i] = t.round(d[i]);
        }
        return new Tensor(x.shape(), d);
    }

    @Test
    void narrowResultsAreRoundedOnceFromTheDoubleResult() {
        // Each dot product lies just above a tie of its type by less than half an f32 ulp. Rounded once,
        // it goes up; rounded to f32 first it would land on the tie and go to even (down).
        // bf16: 1 + 2^-8 + 2^-30 -> 1 + 2^-7 (not 1).
        Tensor bf16 = run1("""
                graph g(a: bf16[1, 3], b: bf16[3, 1]) -> (c: bf16[1, 1]) {
                  c = matmul(a, b)
                  return c
                }""", "a", of(shape(1, 3), 1, 0x1p-8, 0x1p-30), "b", of(shape(3, 1), 1, 1, 1));
        assertExact("bf16 matmul just above a tie", shape(1, 1), new double[] {1 + 0x1p-7}, bf16);
        // f16: 1 + 2^-11 + 2^-14 * 2^-14 -> 1 + 2^-10 (not 1).
        Tensor f16 = run1("""
                graph g(a: f16[1, 3], b: f16[3, 1]) -> (c: f16[1, 1]) {
                  c = matmul(a, b)
                  return c
                }""", "a", of(shape(1, 3), 1, 0x1p-11, 0x1p-14), "b", of(shape(3, 1), 1, 1, 0x1p-14));
        assertExact("f16 matmul just above a tie", shape(1, 1), new double[] {1 + 0x1p-10}, f16);
        // f8e4m3: 256 + 16 + 2^-9 * 2^-9 -> 288 (not 256; the step is 32 there).
        Tensor f8 = run1("""
                graph g(a: f8e4m3[1, 3], b: f8e4m3[3, 1]) -> (c: f8e4m3[1, 1]) {
                  c = matmul(a, b)
                  return c
                }""", "a", of(shape(1, 3), 256, 16, 0x1p-9), "b", of(shape(3, 1), 1, 1, 0x1p-9));
        assertExact("f8e4m3 matmul just above a tie", shape(1, 1), new double[] {288}, f8);
    }

    @Test
    void f16AndF8GraphsRoundAndSaturate() {
        Map<String, Tensor> r = run("""
                graph g(a: f8e4m3[3], b: f8e4m3[3]) -> (s: f8e4m3[3], p: f8e4m3[3]) {
                  s = add(a, b)
                  p = mul(a, b)
                  return s, p
                }""", "a", of(shape(3), 1, 20, -24), "b", of(shape(3), 0.0625, 30, 30));
        // 1 + 0.0625 is a tie: to 1; 50 -> 48 (step 8, 6.25 steps); 6; products 0.0625, 600 -> 448, -720 -> -448.
        assertExact("f8e4m3 add", shape(3), new double[] {1, 48, 6}, r.get("s"));
        assertExact("f8e4m3 mul", shape(3), new double[] {0.0625, 448, -448}, r.get("p"));
        Tensor h = run1("""
                graph g(a: f16[2], b: f16[2]) -> (s: f16[2]) {
                  s = add(a, b)
                  return s
                }""", "a", of(shape(2), 1, 60000), "b", of(shape(2), 3 * 0x1p-11, 10000));
        assertExact("f16 add", shape(2), new double[] {1 + 0x1p-9, Double.POSITIVE_INFINITY}, h);
    }
}
