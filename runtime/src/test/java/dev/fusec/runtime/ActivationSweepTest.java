package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * VectorMath's activations (vector, and the scalar twins the kernels' tails use) against the double
 * reference {@link Activations}, over the whole float32 range: every 61st of the 2^32 bit patterns,
 * and exhaustively the regions where something changes (all subnormals, the fast formulas' edges and
 * underflow: [-120, -80] for sigmoid and SiLU, [-17, -12.5] for GELU, [-13, -9.5] for the tanh form;
 * and around the derivatives' roots, near -1.2785 and -0.7518).
 * {@code -Dfusec.sweep=full} visits all 2^32 patterns instead (minutes; the numbers in docs/kernels.md
 * come from such a run).
 *
 * <p>The error is |got - want| in units of the float spacing at want (ulp), the subnormal spacing
 * 2^-149 included: a subnormal result is held to the same absolute grid as the float format itself.
 * Special values are exact: NaN where the reference is NaN and nowhere else, infinities exactly where
 * the reference's are, and the sign of every result (zeros' included) that of the reference (but at a
 * root of an ill-conditioned function, where the truth is below the rounding of its terms); a zero
 * where the reference is not (or the other way) is an error in ulps like any other. Where a function is ill-conditioned, the ulps are divided by its condition as in
 * VectorMath's comments: the tanh form by 1 + |2u| (1 - sigmoid(2u)) (float rounds 2u itself); the
 * derivatives measure on the scale of the larger of their two terms (gelu' = Phi + x phi has a root
 * near x = -0.75, where any float evaluation loses its relative accuracy); the backward steps' SiLU
 * and SiLU', products with a sigmoid that may be subnormal, as {@link #subnormalProduct} says.
 */
class ActivationSweepTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final boolean FULL = "full".equals(System.getProperty("fusec.sweep"));
    private static final long STRIDE = FULL ? 1 : 61;

    /** One function under test: its vector and scalar forms, the reference, and the scale of its ulps. */
    private record Fn(String name, UnaryOperator<FloatVector> vector, DoubleUnaryOperator scalar, DoubleUnaryOperator want,
                      DoubleUnaryOperator scale, double bound, float edgeLo, float edgeHi) {}

    private static final double K2 = 2 * Math.sqrt(2 / Math.PI);
    private static final double C = 0.044715;

    private static double tanhArgument(double x) {
        return K2 * (x + C * x * x * x);
    }

    /** 1 + |2u| (1 - sigmoid(2u)); 1 where 2u is not finite. */
    private static double tanhCondition(double x) {
        double t = tanhArgument(x);
        return !Double.isFinite(t) ? 1 : 1 + Math.abs(t) / (1 + Math.exp(t));
    }

    /** The larger of a derivative's two terms, over the derivative (at least 1). */
    private static double termScale(double first, double sum) {
        double second = Math.abs(sum - first);
        double s = Math.max(Math.abs(first), second) / Math.abs(sum);
        return Double.isFinite(s) ? Math.max(1, s) : 1;
    }

    /**
     * The backward steps' SiLU and SiLU' are products with s = sigmoid(x), which below -87.3 is a
     * subnormal with fewer significant bits than a float: there the error is measured in units of
     * |x| / 2 times 2^-149 (what x times s's half unit is).
     */
    private static double subnormalProduct(double x) {
        return Activations.sigmoid(x) < Float.MIN_NORMAL ? Math.max(1, Math.abs(x) / 2) : 1;
    }

    private static double siluGradScale(double x) {
        if (!Double.isFinite(x)) {
            return 1;
        }
        return subnormalProduct(x) * termScale(Activations.sigmoid(x), Activations.siluGrad(x));
    }

    private static double geluGradScale(double x) {
        return termScale(Erf.normalCdf(x), Activations.geluGrad(x));
    }

    private static double geluTanhGradScale(double x) {
        double t = tanhArgument(Math.min(x, 10));
        if (!Double.isFinite(t) || !Double.isFinite(x)) {
            return 1;
        }
        return tanhCondition(x) * termScale(Activations.sigmoid(t), Activations.geluTanhGrad(x));
    }

    private static final List<Fn> FUNCTIONS = List.of(
            new Fn("sigmoid", VectorMath::sigmoid, x -> (float) Activations.sigmoid((float) x), Activations::sigmoid, x -> 1, 3,
                    -120f, -80f),
            new Fn("silu", VectorMath::silu, x -> (float) Activations.silu((float) x), Activations::silu, x -> 1, 3, -120f, -80f),
            // SiLU and its derivative as the backward steps compute them from their sigmoid s, in
            // SwiGluKernels' expressions (inline there: a VectorMath call after the step's sigmoid
            // would pass C2's inlining budget): gate.mul(s) and s.mul(gate.mul(s.neg().add(1f)).add(1f)).
            new Fn("silu (bwd)", x -> x.mul(VectorMath.sigmoid(x)), x -> (float) Activations.silu((float) x),
                    Activations::silu, ActivationSweepTest::subnormalProduct, 3, -120f, -80f),
            new Fn("silu'", x -> siluGradOfSigmoid(x, VectorMath.sigmoid(x)), x -> (float) Activations.siluGrad((float) x),
                    Activations::siluGrad, ActivationSweepTest::siluGradScale, 9, -120f, -80f),
            new Fn("gelu", VectorMath::gelu, x -> VectorMath.gelu((float) x), Activations::gelu, x -> 1, 7, -17f, -12.5f),
            new Fn("gelu'", VectorMath::geluGrad, x -> VectorMath.geluGrad((float) x), Activations::geluGrad,
                    ActivationSweepTest::geluGradScale, 6, -17f, -12.5f),
            new Fn("gelu_tanh", VectorMath::geluTanh, x -> VectorMath.geluTanh((float) x), Activations::geluTanh,
                    ActivationSweepTest::tanhCondition, 4, -13f, -9.5f),
            new Fn("gelu_tanh'", VectorMath::geluTanhGrad, x -> VectorMath.geluTanhGrad((float) x), Activations::geluTanhGrad,
                    ActivationSweepTest::geluTanhGradScale, 4, -13f, -9.5f));

    private static FloatVector siluGradOfSigmoid(FloatVector x, FloatVector s) {
        return s.mul(x.mul(s.neg().add(1f)).add(1f));
    }

    /** The worst error seen, and where, for the vector form and for the scalar twin. */
    private static final class Worst {
        double vector;
        float vectorAt = Float.NaN;
        double scalar;
        float scalarAt = Float.NaN;
        long checked;
        final List<String> wrongClass = new ArrayList<>();

        /** got (the vector form's) and twin (the scalar's) of f at x. */
        void see(Fn f, float x, float got, float twin) {
            checked++;
            double want = f.want().applyAsDouble(x);
            double ulp = Math.ulp((float) Math.abs(want));
            double scale = 0; // f's scale at x, computed where an error needs it
            for (int form = 0; form < 2; form++) {
                float y = form == 0 ? got : twin;
                String problem = classProblem(want, y);
                boolean exact = problem == null && (Float.isNaN(y) || Float.isInfinite(y) || y == want);
                if (scale == 0 && !exact) {
                    scale = f.scale().applyAsDouble(x);
                }
                double e = exact ? 0 : Math.abs(y - want) / ulp / scale;
                if (WRONG_SIGN.equals(problem) && scale > 1 && e <= f.bound()) {
                    // At a root of an ill-conditioned function (silu' near -1.2785, gelu' near -0.7518)
                    // the truth is smaller than the rounding of its terms: its sign is not the formula's
                    // to give, and the error is measured as any other.
                    problem = null;
                }
                if (problem != null) {
                    if (wrongClass.size() < 5) {
                        wrongClass.add(f.name() + (form == 0 ? "" : " (scalar)") + "(" + x + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(x))
                                + ") = " + y + ", want " + want + ": " + problem);
                    }
                    continue;
                }
                if (exact) {
                    continue;
                }
                if (form == 0 && e > vector) {
                    vector = e;
                    vectorAt = x;
                } else if (form == 1 && e > scalar) {
                    scalar = e;
                    scalarAt = x;
                }
            }
        }
    }

    private static final String WRONG_SIGN = "wrong sign";

    /** What is wrong with got's class or sign against the double want, or null. */
    static String classProblem(double want, float got) {
        float rounded = (float) want;
        if (Double.isNaN(want) != Float.isNaN(got)) {
            return "NaN where the reference is not, or the other way";
        }
        if (Double.isNaN(want)) {
            return null;
        }
        if (Float.isInfinite(rounded) != Float.isInfinite(got)) {
            return "infinite where the reference is not, or the other way";
        }
        if ((Double.doubleToRawLongBits(want) < 0) != (Float.floatToRawIntBits(got) < 0)) {
            return WRONG_SIGN;
        }
        return null;
    }

    private static void sweep(Fn f, Worst w, int fromBits, long count, long stride) {
        float[] xs = new float[S.length()];
        float[] got = new float[S.length()];
        int n = 0;
        for (long i = 0; i < count; i += stride) {
            xs[n++] = Float.intBitsToFloat((int) (fromBits + i));
            if (n == xs.length || i + stride >= count) {
                f.vector().apply(FloatVector.fromArray(S, xs, 0)).intoArray(got, 0);
                for (int k = 0; k < n; k++) {
                    w.see(f, xs[k], got[k], (float) f.scalar().applyAsDouble(xs[k]));
                }
                n = 0;
            }
        }
    }

    /** Every float in [lo, hi] (same sign). */
    private static void range(Fn f, Worst w, float lo, float hi) {
        int a = Float.floatToRawIntBits(lo);
        int b = Float.floatToRawIntBits(hi);
        sweep(f, w, Math.min(a, b), Math.abs((long) b - a) + 1, 1);
    }

    /** f swept: the stride through all bit patterns (or all of them), and its edges. */
    private static Worst sweep(Fn f) {
        Worst w = new Worst();
        sweep(f, w, 0, 1L << 32, STRIDE);
        if (!FULL) {
            range(f, w, Float.MIN_VALUE, Float.intBitsToFloat(0x007FFFFF));
            range(f, w, -Float.MIN_VALUE, -Float.intBitsToFloat(0x007FFFFF));
            range(f, w, f.edgeLo(), f.edgeHi());
            // The derivatives' roots, where the truth is smaller than the rounding of the terms.
            range(f, w, -1.2795f, -1.2775f);
            range(f, w, -0.7528f, -0.7508f);
        }
        return w;
    }

    @Test
    void everyActivationIsWithinItsBoundOverTheWholeFloatRange() {
        // The functions side by side, one a thread: the test's time is the suite's.
        List<Worst> results = FUNCTIONS.parallelStream().map(ActivationSweepTest::sweep).toList();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < FUNCTIONS.size(); i++) {
            Fn f = FUNCTIONS.get(i);
            Worst w = results.get(i);
            System.out.printf("%-11s worst %.2f ulps at x = %s, scalar twin %.2f ulps at x = %s; bound %.0f (%,d values)%n",
                    f.name(), w.vector, w.vectorAt, w.scalar, w.scalarAt, f.bound(), w.checked);
            failures.addAll(w.wrongClass);
            if (!(w.vector <= f.bound() && w.scalar <= f.bound())) {
                failures.add(f.name() + ": " + w.vector + " ulps at x = " + w.vectorAt + ", scalar " + w.scalar + " at x = " + w.scalarAt
                        + ", over the bound " + f.bound());
            }
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }

    /**
     * PyTorch's values where a formula meets infinity: NaN for silu, gelu and gelu_tanh at -inf and for
     * every derivative at both infinities; sigmoid 0 and 1; and the signs of zeros, vector and scalar alike.
     */
    @Test
    void specialValuesAreExactlyPyTorchs() {
        float nan = Float.NaN;
        float inf = Float.POSITIVE_INFINITY;
        float max = Float.MAX_VALUE;
        // x, sigmoid, silu, silu (bwd), silu', gelu, gelu', gelu_tanh, gelu_tanh'
        float[][] table = {
            {-inf, 0f, nan, nan, nan, nan, nan, nan, nan},
            {inf, 1f, inf, inf, nan, inf, nan, inf, nan},
            {nan, nan, nan, nan, nan, nan, nan, nan, nan},
            {-0f, 0.5f, -0f, -0f, 0.5f, -0f, 0.5f, -0f, 0.5f},
            {0f, 0.5f, 0f, 0f, 0.5f, 0f, 0.5f, 0f, 0.5f},
            {-1000f, 0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f},
            {-max, 0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f},
            {max, 1f, max, max, 1f, max, 1f, max, 1f},
        };
        for (float[] row : table) {
            float x = row[0];
            for (int f = 0; f < FUNCTIONS.size(); f++) {
                Fn fn = FUNCTIONS.get(f);
                float want = row[f + 1];
                float[] lanes = new float[S.length()];
                Arrays.fill(lanes, x);
                float vector = fn.vector().apply(FloatVector.fromArray(S, lanes, 0)).lane(0);
                float scalar = (float) fn.scalar().applyAsDouble(x);
                float reference = (float) fn.want().applyAsDouble(x);
                for (float got : new float[] {vector, scalar, reference}) {
                    boolean same = Float.isNaN(want) ? Float.isNaN(got) : Float.floatToRawIntBits(want) == Float.floatToRawIntBits(got);
                    assertTrue(same, fn.name() + "(" + x + ") = " + got + " (vector " + vector + ", scalar " + scalar + ", reference "
                            + reference + "), want " + want);
                }
            }
        }
    }

    /** A vector with one far-out lane is computed lane by lane: its other lanes are as right as before. */
    @Test
    void oneColdLaneLeavesTheOthersRight() {
        float[] lanes = new float[S.length()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = -3f + 0.37f * i;
        }
        lanes[lanes.length - 1] = -500f;
        for (Fn fn : FUNCTIONS) {
            float[] out = fn.vector().apply(FloatVector.fromArray(S, lanes, 0)).toArray();
            for (int i = 0; i < lanes.length; i++) {
                double want = fn.want().applyAsDouble(lanes[i]);
                double bound = fn.bound() * Math.ulp((float) want) * fn.scale().applyAsDouble(lanes[i]);
                assertTrue(classProblem(want, out[i]) == null && Math.abs(out[i] - want) <= bound,
                        fn.name() + "(" + lanes[i] + ") = " + out[i] + ", want " + want);
            }
        }
    }
}
