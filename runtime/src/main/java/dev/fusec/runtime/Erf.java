package dev.fusec.runtime;

/**
 * The error function and the normal CDF in double precision, for {@link Activations}' GELU (Java has no
 * Math.erf). Two classical expansions, each where it converges fast and cancels nothing: for small
 * arguments the series erf(x) = 2 / sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n + 1)),
 * whose terms are all positive (the Taylor series alternates and loses digits); for large ones
 * Laplace's continued fraction erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) /
 * (x + 2 / (x + ...))))), evaluated bottom-up from 200 levels (at x = 1 it has converged to 2e-16 by
 * then). erf takes the series below 1.5 and 1 - erfc above; erfc the fraction from 1 on and 1 - erf
 * below (erfc(1) = 0.16, so that subtraction costs under three bits). exp(-x^2) is taken of x^2
 * split exactly in two (an FMA gives the rounding error of x * x), so the tail is not off by the
 * rounding of x^2, which would be x^2 units in the last place. Within 2e-16 times a few units of the
 * true values (ErfTest, against 40-digit ones).
 */
public final class Erf {
    private Erf() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;
    private static final double SQRT_HALF = 0.7071067811865476;
    /** Below this erf is the series; erfc from ERFC_SWITCH on is the continued fraction. */
    private static final double ERF_SWITCH = 1.5;
    private static final double ERFC_SWITCH = 1.0;
    private static final int LEVELS = 200;

    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r = a < ERF_SWITCH ? series(a) : 1 - upper(a, a * a, Math.fma(a, a, -a * a));
        return Math.copySign(r, x);
    }

    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double tail = a < ERFC_SWITCH ? 1 - series(a) : upper(a, a * a, Math.fma(a, a, -a * a));
        return x < 0 ? 2 - tail : tail;
    }

    /**
     * The standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, its tail exp(-x^2 / 2) taken of x itself
     * (x / sqrt 2 is rounded, and its square would carry that rounding twice over).
     */
    public static double normalCdf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double z = a * SQRT_HALF;
        double h = a * a;
        double q = z < ERFC_SWITCH ? 0.5 * (1 - series(z)) : 0.5 * upper(z, 0.5 * h, 0.5 * Math.fma(a, a, -h));
        return x < 0 ? q : 1 - q;
    }

    /** erf(a) for 0 <= a < 1.5. */
    private static double series(double a) {
        double a2 = a * a;
        double term = a;
        double sum = a;
        for (int n = 1; term > 1e-17 * sum; n++) {
            term *= 2 * a2 / (2 * n + 1);
            sum += term;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-a2) * sum;
    }

    /** erfc(a) for a >= 1, with a^2 = hi + lo exactly (0 once exp(-a^2) underflows; +inf gives 0). */
    private static double upper(double a, double hi, double lo) {
        if (a > 28) {
            return 0; // exp(-a^2) is 0 in double from 27.3 on
        }
        double f = a;
        for (int k = LEVELS; k > 0; k--) {
            f = a + (k / 2.0) / f;
        }
        // exp(-hi - lo) = exp(-hi) (1 - lo), |lo| <= 2^-53 hi
        return Math.exp(-hi) * (1 - lo) * ONE_OVER_SQRT_PI / f;
    }
}
