package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Erf;
import dev.fusec.runtime.VectorMath;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * The kernels' GELU (runtime VectorMath, float32, vector and scalar) against double-precision
 * references: exact GELU against x * Phi(x) from the interpreter's erfc, the tanh form against
 * x * sigmoid(2u) in double, and both derivatives, over every 97th float bit pattern of the range that
 * matters and at the edges. Errors are in units of the float spacing (ulp) at the reference value,
 * measured where the reference is a normal float; below it, the absolute error must stay under the
 * smallest normal float (past exp's clamp at x = -13.115, under 2.4e-38 for gelu and 2.5e-37 for
 * gelu', the sizes of the values there). The worst cases are printed.
 */
class VectorGeluTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final double K = Math.sqrt(2 / Math.PI);
    private static final double C = 0.044715;

    static double gelu(double x) {
        return x * Erf.normalCdf(x);
    }

    static double geluGrad(double x) {
        return Erf.normalCdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    static double tanhArg(double x) {
        return 2 * K * (x + C * x * x * x);
    }

    static double geluTanh(double x) {
        return x / (1 + Math.exp(-tanhArg(x)));
    }

    static double geluTanhGrad(double x) {
        double s = 1 / (1 + Math.exp(-tanhArg(x)));
        return s + x * s * (1 - s) * 2 * K * (1 + 3 * C * x * x);
    }

    private static double ulp(double want) {
        return Math.ulp((float) Math.abs(want));
    }

    /** Worst error in ulps of f over [lo, hi] (every 97th bit pattern), vector and scalar; asserts the tiny results. */
    private static double[] worst(UnaryOperator<FloatVector> vector, DoubleUnaryOperator scalar, DoubleUnaryOperator want,
                                  DoubleUnaryOperator scale, float lo, float hi) {
        return worst(vector, scalar, want, scale, lo, hi, Float.MIN_NORMAL);
    }

    /** As above; results smaller than {@code tiny} need only be within {@code tiny} of the reference. */
    private static double[] worst(UnaryOperator<FloatVector> vector, DoubleUnaryOperator scalar, DoubleUnaryOperator want,
                                  DoubleUnaryOperator scale, float lo, float hi, double tiny) {
        float[] xs = new float[S.length()];
        float[] got = new float[S.length()];
        double worstVector = 0;
        double worstScalar = 0;
        float atVector = Float.NaN;
        int n = 0;
        for (float x = lo; x <= hi; x = stepUp(x)) {
            xs[n++] = x;
            if (n == xs.length) {
                vector.apply(FloatVector.fromArray(S, xs, 0)).intoArray(got, 0);
                for (int i = 0; i < n; i++) {
                    double w = want.applyAsDouble(xs[i]);
                    if (Math.abs(w) < tiny) {
                        float xi = xs[i];
                        float gi = got[i];
                        assertTrue(Math.abs(gi - w) < tiny && Math.abs(scalar.applyAsDouble(xi) - w) < tiny,
                                () -> "at x = " + xi + ": " + gi + " for " + w + ", below " + tiny);
                        continue;
                    }
                    double u = ulp(w) * scale.applyAsDouble(xs[i]);
                    double ev = Math.abs(got[i] - w) / u;
                    double es = Math.abs(scalar.applyAsDouble(xs[i]) - w) / u;
                    if (!(ev <= worstVector)) {
                        worstVector = ev;
                        atVector = xs[i];
                    }
                    worstScalar = Math.max(worstScalar, Double.isNaN(es) ? Double.POSITIVE_INFINITY : es);
                }
                n = 0;
            }
        }
        return new double[] {worstVector, atVector, worstScalar};
    }

    private static float stepUp(float x) {
        int bits = Float.floatToRawIntBits(x);
        float next = x < 0 ? Float.intBitsToFloat(bits - 97) : Float.intBitsToFloat(bits + 97);
        return x < 0 && next >= 0 || next <= x ? Math.nextUp(x) : next;
    }

    private static void report(String what, double[] w, double bound) {
        System.out.printf("%-34s worst %.2f ulps (at x = %s), scalar twin %.2f ulps; bound %.1f%n", what, w[0], w[1], w[2], bound);
        assertTrue(w[0] <= bound && w[2] <= bound, what + ": " + w[0] + " ulps at x = " + w[1] + ", scalar " + w[2]);
    }

    @Test
    void geluIsWithinAFewUlpsWhereverTheResultIsNormal() {
        report("gelu", worst(VectorMath::gelu, x -> VectorMath.gelu((float) x), VectorGeluTest::gelu, x -> 1, -14f, 14f, 2.4e-38), 7);
    }

    /**
     * The tanh form's error grows with |2u| (1 - sigmoid(2u)): float rounds 2u itself, and sigmoid
     * turns an absolute error of 2u into that relative error of the result. The bound is 4 ulps plus
     * that much.
     */
    @Test
    void geluTanhIsWithinAFewUlpsTimesItsConditionNumber() {
        DoubleUnaryOperator cond = x -> {
            double t = tanhArg(x);
            return 1 + Math.abs(t) / (1 + Math.exp(t));
        };
        report("gelu_tanh (ulps / (1 + |2u|(1 - s)))", worst(VectorMath::geluTanh, x -> VectorMath.geluTanh((float) x),
                VectorGeluTest::geluTanh, cond, -10f, 10f), 4);
    }

    /**
     * Derivatives, in ulps of the larger of their two terms (Phi(x) and x phi(x); s and x s (1 - s) (2u)'):
     * gelu' has a root near -0.75, where the terms cancel and any float evaluation loses its relative
     * accuracy, so the error is measured on the scale of what is added. gelu' below 2.5e-37 (x < -13.1,
     * past exp's clamp) need only be within that of the truth.
     */
    @Test
    void derivativesAreWithinAFewUlpsOfTheirTerms() {
        DoubleUnaryOperator exactScale = x -> Math.max(1, Math.max(Erf.normalCdf(x), Math.abs(geluGrad(x) - Erf.normalCdf(x)))
                / Math.abs(geluGrad(x)));
        report("gelu'", worst(VectorMath::geluGrad, x -> VectorMath.geluGrad((float) x), VectorGeluTest::geluGrad,
                exactScale, -14f, 14f, 2.5e-37), 6);
        DoubleUnaryOperator tanhScale = x -> {
            double t = tanhArg(x);
            double sig = 1 / (1 + Math.exp(-t));
            return (1 + Math.abs(t) / (1 + Math.exp(t))) * Math.max(1, Math.max(sig, Math.abs(geluTanhGrad(x) - sig))
                    / Math.abs(geluTanhGrad(x)));
        };
        report("gelu_tanh'", worst(VectorMath::geluTanhGrad, x -> VectorMath.geluTanhGrad((float) x), VectorGeluTest::geluTanhGrad,
                tanhScale, -10f, 10f), 4);
    }

    /** PyTorch's values at the edges (the limits: gelu(-inf) = -0, not -inf * 0 = NaN), vector and scalar alike. */
    @Test
    void edges() {
        float[] x = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -0f, 0f, -1e30f, 1e30f, -20f, 20f,
            -Float.MAX_VALUE, Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f, 0.5f};
        float[] in = new float[S.length()];
        float[] out = new float[S.length()];
        for (int at = 0; at < x.length; at += S.length()) {
            int n = Math.min(S.length(), x.length - at);
            System.arraycopy(x, at, in, 0, n);
            for (int f = 0; f < 4; f++) {
                UnaryOperator<FloatVector> v = switch (f) {
                    case 0 -> VectorMath::gelu;
                    case 1 -> VectorMath::geluTanh;
                    case 2 -> VectorMath::geluGrad;
                    default -> VectorMath::geluTanhGrad;
                };
                v.apply(FloatVector.fromArray(S, in, 0)).intoArray(out, 0);
                for (int i = 0; i < n; i++) {
                    float xi = in[i];
                    float s = switch (f) {
                        case 0 -> VectorMath.gelu(xi);
                        case 1 -> VectorMath.geluTanh(xi);
                        case 2 -> VectorMath.geluGrad(xi);
                        default -> VectorMath.geluTanhGrad(xi);
                    };
                    String what = new String[] {"gelu", "gelu_tanh", "gelu'", "gelu_tanh'"}[f] + "(" + xi + ")";
                    float want;
                    if (Float.isNaN(xi)) {
                        want = Float.NaN;
                    } else if (xi <= -20f) {
                        want = -0f;
                    } else if (xi >= 20f) {
                        want = f < 2 ? xi : 1f;
                    } else {
                        double w = switch (f) {
                            case 0 -> gelu(xi);
                            case 1 -> geluTanh(xi);
                            case 2 -> geluGrad(xi);
                            default -> geluTanhGrad(xi);
                        };
                        want = (float) w;
                    }
                    if (Float.isNaN(want)) {
                        assertTrue(Float.isNaN(out[i]) && Float.isNaN(s), what + ": " + out[i] + ", scalar " + s);
                    } else if (Math.abs(want) < Float.MIN_NORMAL && xi > -20f && xi != 0) {
                        assertEquals(want, out[i], Float.MIN_NORMAL, what);
                        assertEquals(want, s, Float.MIN_NORMAL, what + ", scalar");
                    } else if (want == 0 || Float.isInfinite(want) || xi >= 20f) {
                        assertEquals(want, out[i], 0f, what);
                        assertEquals(want, s, 0f, what + ", scalar");
                        if (f < 2) {
                            // the sign too: -0 below, as x * Phi(x) has
                            assertEquals(Float.floatToRawIntBits(want == 0 ? Math.copySign(0f, xi) : want),
                                    Float.floatToRawIntBits(out[i]), what + " sign");
                        }
                    } else {
                        assertEquals(want, out[i], 8 * Math.ulp(want), what);
                        assertEquals(want, s, 8 * Math.ulp(want), what + ", scalar");
                    }
                }
            }
        }
    }
}
