package dev.fusec.runtime;

/**
 * The activations and their derivatives in double precision: the reference the interpreter computes
 * with, and what a kernel's vector lane gets where its fast float formula does not reach (see
 * {@link VectorMath}). One place per function, so that the interpreter and the kernels cannot drift.
 *
 * <p>Each is PyTorch's formula evaluated in double, which also gives PyTorch's special values: where
 * its float evaluation meets infinity times zero, so does this one, and the result is NaN (silu, gelu
 * and gelu_tanh at -inf; every derivative at -inf and +inf); sigmoid is 0 at -inf and 1 at +inf; the
 * sign of a zero is the sign of the true value (silu(-1000) = -0). Where PyTorch's float formula loses
 * the value to cancellation (1 + erf(x / sqrt 2) for negative x, 1 + tanh(u)), the equal form that
 * does not cancel is used: Phi from {@link Erf#normalCdf}, the tanh form as x * sigmoid(2u).
 */
public final class Activations {
    private Activations() {}

    private static final double ONE_OVER_SQRT_2PI = 0.3989422804014327;
    /** sqrt(2 / pi) and 0.044715, the constants of GELU's tanh form (PyTorch's, and Hendrycks and Gimpel's). */
    private static final double K = 0.7978845608028654;
    private static final double C = 0.044715;

    /** 1 / (1 + exp(-x)). */
    public static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** x / (1 + exp(-x)): NaN at -inf (-inf / inf), as PyTorch's. */
    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /** d/dx silu = s (1 + x (1 - s)), s = sigmoid(x): NaN at both infinities, as PyTorch's silu backward. */
    public static double siluGrad(double x) {
        double s = sigmoid(x);
        return s * (1 + x * (1 - s));
    }

    /** gelu(x) = x * Phi(x) (PyTorch approximate='none'): NaN at -inf, as PyTorch's. */
    public static double gelu(double x) {
        return x * Erf.normalCdf(x);
    }

    /**
     * Phi(x) + x * phi(x): NaN at both infinities, as PyTorch's. Below -38.6 both terms are 0 in
     * double while the true value, about x * phi(x), is negative: -0, its sign.
     */
    public static double geluGrad(double x) {
        double r = Erf.normalCdf(x) + x * ONE_OVER_SQRT_2PI * Math.exp(-0.5 * x * x);
        return r == 0 && x < 0 ? -0.0 : r;
    }

    /** 2u = 2 sqrt(2 / pi) (x + 0.044715 x^3), the argument of the tanh form's sigmoid (finite for every float x). */
    private static double tanhArgument(double x) {
        return 2 * K * (x + C * x * x * x);
    }

    /**
     * PyTorch's tanh form 0.5 * x * (1 + tanh(u)), computed as the equal x * sigmoid(2u): 1 + tanh(u)
     * cancels for negative u (to 0 in double from u = -19, where the result is still some 1e-16 * x).
     * NaN at -inf, as PyTorch's.
     */
    public static double geluTanh(double x) {
        return x * sigmoid(tanhArgument(x));
    }

    /**
     * d/dx of the tanh form, s (1 + (1 - s) x (2u)'), s = sigmoid(2u), (2u)' = 2K (1 + 3C x^2): for
     * finite x no infinity arises (x (2u)' stays under 1e116), so a saturated s gives 1 or a signed 0;
     * NaN at both infinities, as PyTorch's.
     */
    public static double geluTanhGrad(double x) {
        double s = sigmoid(tanhArgument(x));
        return s * (1 + (1 - s) * x * 2 * K * (1 + 3 * C * x * x));
    }
}
