package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * VectorMath against Math.exp in double, over every 97th float of the range where the result is a
 * normal float, and at the clamps. The bound is relative (to the smallest normal float where the
 * result is smaller): 2.5e-7 is about two float ulps.
 */
class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final double REL = 2.5e-7;

    /** Asserts |got - want| / |want| <= REL for f over the floats in [lo, hi], stepping through bit patterns. */
    private static void worstRelative(UnaryOperator<FloatVector> f, DoubleUnaryOperator want, float lo, float hi) {
        float[] xs = new float[S.length()];
        float[] got = new float[S.length()];
        double worst = 0;
        float worstAt = Float.NaN;
        int n = 0;
        for (float x = lo; x <= hi; x = stepUp(x)) {
            xs[n++] = x;
            if (n == xs.length) {
                f.apply(FloatVector.fromArray(S, xs, 0)).intoArray(got, 0);
                for (int i = 0; i < n; i++) {
                    double w = want.applyAsDouble(xs[i]);
                    // Below the normal range float has fewer significant bits: measure against its smallest normal.
                    double rel = Math.abs(got[i] - w) / Math.max(Math.abs(w), Float.MIN_NORMAL);
                    if (!(rel <= worst)) {
                        worst = rel;
                        worstAt = xs[i];
                    }
                }
                n = 0;
            }
        }
        assertTrue(worst <= REL, "worst relative error " + worst + " at x = " + worstAt);
    }

    private static float stepUp(float x) {
        int bits = Float.floatToRawIntBits(x);
        // Walk bit patterns (97 apart) so every binade is visited, small and large magnitudes alike.
        float next = x < 0 ? Float.intBitsToFloat(bits - 97) : Float.intBitsToFloat(bits + 97);
        return x < 0 && next >= 0 || next <= x ? Math.nextUp(x) : next;
    }

    @Test
    void expIsWithinTwoUlpsWhereTheResultIsNormal() {
        worstRelative(VectorMath::exp, Math::exp, -86f, 88.7f);
    }

    @Test
    void sigmoidAndSiluAreWithinTwoUlpsOverTheFloatRangeThatMatters() {
        worstRelative(VectorMath::sigmoid, x -> 1 / (1 + Math.exp(-x)), -80f, 80f);
        worstRelative(VectorMath::silu, x -> x / (1 + Math.exp(-x)), -80f, 80f);
    }

    @Test
    void clampsGiveFiniteSaturatedResultsAndNaNPropagates() {
        float[] x = new float[S.length()];
        float[] out = new float[S.length()];
        float[] probes = {-1000f, 1000f, Float.NaN, 0f, -0f, 88.72283f, -86f, 1e-30f};
        System.arraycopy(probes, 0, x, 0, Math.min(probes.length, x.length));
        VectorMath.exp(FloatVector.fromArray(S, x, 0)).intoArray(out, 0);
        assertEquals((float) Math.exp(-86), out[0], 1e-44, "below the clamp: exp(-86)");
        assertTrue(Float.isFinite(out[1]) && out[1] > 3.3e38f, "above the clamp: the largest finite value, got " + out[1]);
        assertTrue(Float.isNaN(out[2]), "NaN in, NaN out");
        assertEquals(1f, out[3]);
        assertEquals(1f, out[4]);
        VectorMath.silu(FloatVector.fromArray(S, x, 0)).intoArray(out, 0);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(out[0]), "silu of a large negative number is -0");
        assertEquals(1000f, out[1], "silu of a large positive number is itself");
        assertTrue(Float.isNaN(out[2]));
        VectorMath.sigmoid(FloatVector.fromArray(S, x, 0)).intoArray(out, 0);
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(out[0]), "sigmoid(-1000) is 0");
        assertEquals(1f, out[1]);
        assertEquals(0.5f, out[3]);
    }

    /**
     * silu clamps on the bits, exp by compare-and-blend: the same bits for every float of silu's fast
     * range (from -88 up; a vector with a lane below is computed by ColdLanes), NaN for NaN.
     */
    @Test
    void siluIsBitForBitXOverOnePlusExpOfMinusX() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        float[] x = new float[S.length()];
        float[] got = new float[S.length()];
        float[] want = new float[S.length()];
        float[] edges = {Float.NaN, Float.intBitsToFloat(0xFFC00000), Float.intBitsToFloat(0x7F80000C), Float.POSITIVE_INFINITY, 0f, -0f,
            86f, -86f, 88.72283f, -88f, Math.nextUp(86f), Math.nextUp(-88f), Float.MIN_VALUE, Float.MAX_VALUE};
        for (int round = 0; round < 100_000; round++) {
            for (int i = 0; i < x.length; i++) {
                // Random bit patterns cover every binade; one round in ten mixes in the edges.
                x[i] = round % 10 == 0 ? edges[(round / 10 + i) % edges.length] : Float.intBitsToFloat(rng.nextInt());
                x[i] = x[i] < -88f ? -x[i] : x[i];
            }
            FloatVector v = FloatVector.fromArray(S, x, 0);
            VectorMath.silu(v).intoArray(got, 0);
            v.div(VectorMath.exp(v.neg()).add(1f)).intoArray(want, 0);
            for (int i = 0; i < x.length; i++) {
                if (Float.isNaN(x[i])) {
                    assertTrue(Float.isNaN(got[i]), "silu(NaN) = " + got[i]);
                } else {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "silu(" + x[i] + ")");
                }
            }
        }
    }

    /**
     * e4m3 against {@link Rounding#e4m3}, bit for bit: every 65536th bit pattern and 2^17 random ones
     * (all binades, both signs, NaNs and infinities among them), and around every e4m3 value and
     * every midpoint between two neighbours (the ties), up to four float ulps either side, where
     * rounding changes its mind. (Few enough that the check runs in seconds before C2 compiles it.)
     */
    @Test
    void e4m3IsBitForBitTheScalarRounding() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
        float[] patterns = new float[(1 << 16) + (1 << 17)];
        for (int i = 0; i < 1 << 16; i++) {
            patterns[i] = Float.intBitsToFloat(i << 16);
        }
        for (int i = 1 << 16; i < patterns.length; i++) {
            patterns[i] = Float.intBitsToFloat(rng.nextInt());
        }
        java.util.TreeSet<Float> codes = new java.util.TreeSet<>(java.util.List.of(0f));
        for (int e = -9; e <= 8; e++) {
            for (int m = 0; m < 16; m++) {
                codes.add(Rounding.e4m3((float) Math.scalb(1 + m / 16.0, e)));
            }
        }
        float[] near = new float[codes.size() * 2 * 9 * 2];
        int n = 0;
        Float previous = null;
        for (float c : codes) {
            for (float at : previous == null ? new float[] {c} : new float[] {c, (previous + c) / 2}) {
                float x = at;
                for (int k = 0; k < 4; k++) {
                    x = Math.nextDown(x);
                }
                for (int k = 0; k < 9; k++, x = Math.nextUp(x)) {
                    near[n++] = x;
                    near[n++] = -x;
                }
            }
            previous = c;
        }
        assertEquals(patterns.length, checkE4m3(patterns, patterns.length));
        assertTrue(checkE4m3(near, n) > 4000, "values near codes and ties: " + n);
    }

    /** Compares the first n values (whole vectors of them) and returns how many were compared. */
    private static int checkE4m3(float[] xs, int n) {
        float[] got = new float[S.length()];
        int checked = 0;
        for (int i = 0; i + S.length() <= n; i += S.length()) {
            VectorMath.e4m3(FloatVector.fromArray(S, xs, i)).intoArray(got, 0);
            for (int j = 0; j < got.length; j++) {
                float x = xs[i + j];
                float want = Rounding.e4m3(x);
                if (Float.isNaN(want) ? !Float.isNaN(got[j]) : Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got[j])) {
                    assertEquals(want, got[j], "e4m3(" + x + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(x)) + ")");
                }
                checked++;
            }
        }
        return checked;
    }

    @Test
    void sixteenBitPairsWidenExactlyForEveryBitPattern() {
        int lanes = S.length();
        int[] pairs = new int[lanes];
        float[] lo = new float[lanes];
        float[] hi = new float[lanes];
        for (int base = 0; base < 1 << 16; base += lanes) {
            for (int j = 0; j < lanes; j++) {
                int a = base + j;
                int b = (a * 40503) & 0xffff; // another pattern in the high half
                pairs[j] = a | b << 16;
            }
            jdk.incubator.vector.IntVector q = jdk.incubator.vector.IntVector.fromArray(jdk.incubator.vector.IntVector.SPECIES_PREFERRED, pairs, 0);
            for (boolean f16 : new boolean[] {false, true}) {
                (f16 ? VectorMath.f16Lo(q) : VectorMath.bf16Lo(q)).intoArray(lo, 0);
                (f16 ? VectorMath.f16Hi(q) : VectorMath.bf16Hi(q)).intoArray(hi, 0);
                for (int j = 0; j < lanes; j++) {
                    short a = (short) pairs[j];
                    short b = (short) (pairs[j] >>> 16);
                    float wantLo = f16 ? Float.float16ToFloat(a) : Float.intBitsToFloat((a & 0xffff) << 16);
                    float wantHi = f16 ? Float.float16ToFloat(b) : Float.intBitsToFloat((b & 0xffff) << 16);
                    assertEquals(Float.isNaN(wantLo) ? "NaN" : Integer.toHexString(Float.floatToRawIntBits(wantLo)),
                            Float.isNaN(lo[j]) ? "NaN" : Integer.toHexString(Float.floatToRawIntBits(lo[j])), "low " + Integer.toHexString(a & 0xffff));
                    assertEquals(Float.isNaN(wantHi) ? "NaN" : Integer.toHexString(Float.floatToRawIntBits(wantHi)),
                            Float.isNaN(hi[j]) ? "NaN" : Integer.toHexString(Float.floatToRawIntBits(hi[j])), "high " + Integer.toHexString(b & 0xffff));
                }
            }
        }
    }
}
