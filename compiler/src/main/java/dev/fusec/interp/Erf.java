package dev.fusec.interp;

/**
 * The error function in double precision, for the interpreter's GELU (Java has no Math.erf). Two
 * classical expansions, each where it converges fast and cancels nothing: for |x| < 1.5 the series
 * erf(x) = 2 / sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n + 1)), whose terms are all
 * positive (the Taylor series alternates and loses digits); from 1.5 on Laplace's continued fraction
 * erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))), evaluated
 * bottom-up from 100 levels (at 1.5 the fraction has converged to 2e-17 by then). erfc below 1.5 is
 * 1 - erf (erfc(1.5) = 0.034, so that subtraction costs under 5 bits of the last place), erf above it
 * 1 - erfc; both within a few 1e-16 of the true values (ErfTest).
 */
public final class Erf {
    private Erf() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;
    /** Where the series hands over to the continued fraction. */
    private static final double SWITCH = 1.5;
    private static final int LEVELS = 100;

    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r = a < SWITCH ? series(a) : 1 - fraction(a);
        return Math.copySign(r, x);
    }

    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 0) {
            return 1 + (-x < SWITCH ? series(-x) : 1 - fraction(-x));
        }
        return x < SWITCH ? 1 - series(x) : fraction(x);
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

    /** erfc(a) for a >= 1.5 (0 once exp(-a^2) underflows; +inf gives 0). */
    private static double fraction(double a) {
        if (a > 28) {
            return 0; // exp(-a^2) is 0 in double from 27.3 on
        }
        double f = a;
        for (int k = LEVELS; k > 0; k--) {
            f = a + (k / 2.0) / f;
        }
        return Math.exp(-a * a) * ONE_OVER_SQRT_PI / f;
    }
}
