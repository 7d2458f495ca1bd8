package dev.fusec.codegen.opencl;

/**
 * The functions every fusec OpenCL program starts with: the activations and their derivatives as
 * the interpreter defines them, special values included (silu(-inf) = NaN, sigmoid(-inf) = 0,
 * gelu(-inf) = NaN and every derivative NaN at both infinities, as PyTorch's), and rounding to the narrower storage types. Results that are subnormal in truth
 * are computed so that they stay subnormal on a device that keeps denormals: sigmoid and silu take
 * e^-|x|, never e^x for large x, and below x = -80 silu is -e^(x + ln(-x)), one rounding from the
 * true value (x e^x would be x times a subnormal with few bits).
 */
final class ClPrelude {
    private ClPrelude() {}

    static final String TEXT = """
            // sigmoid(x) = 1 / (1 + e^-x) from e = e^-|x|, which cannot overflow: e / (1 + e) for x < 0.
            float fusec_sigmoid(float x) {
                const float e = exp(-fabs(x));
                return x < 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
            }

            // silu(x) = x * sigmoid(x); -inf gives NaN (-inf * 0), as the reference does.
            float fusec_silu(float x) {
                if (x < -80.0f) {
                    return -exp(x + log(-x));
                }
                const float e = exp(-fabs(x));
                return x < 0.0f ? x * e / (1.0f + e) : x / (1.0f + e);
            }

            // d/dx silu(x) = s * (1 + x * (1 - s)), s = sigmoid(x).
            float fusec_silu_grad(float x) {
                const float s = fusec_sigmoid(x);
                return s * (1.0f + x * (1.0f - s));
            }

            // gelu(x) = x * Phi(x) = x * erfc(-x / sqrt 2) / 2 (no cancellation for x < 0); NaN at -inf (-inf * 0).
            float fusec_gelu(float x) {
                return 0.5f * x * erfc(-0.70710678f * x);
            }

            // d/dx gelu(x) = Phi(x) + x * phi(x); NaN at both infinities (x * 0), as PyTorch's.
            float fusec_gelu_grad(float x) {
                if (isinf(x)) {
                    return NAN;
                }
                return 0.5f * erfc(-0.70710678f * x) + x * 0.39894228f * exp(-0.5f * x * x);
            }

            // gelu(x, approximate=tanh) = 0.5 x (1 + tanh(u)) = x * sigmoid(2u), 2u = 2 sqrt(2 / pi) (x + 0.044715 x^3).
            float fusec_gelu_tanh(float x) {
                return x * fusec_sigmoid(1.5957692f * x * (1.0f + 0.044715f * x * x));
            }

            // d/dx of the tanh form: s + x s (1 - s) (2u)', s = sigmoid(2u), (2u)' = 2 sqrt(2 / pi) (1 + 3 * 0.044715 x^2).
            float fusec_gelu_tanh_grad(float x) {
                if (isinf(x)) {
                    return NAN;
                }
                const float s = fusec_sigmoid(1.5957692f * x * (1.0f + 0.044715f * x * x));
                const float d = s * (1.0f - s);
                return d == 0.0f ? s : s + d * x * 1.5957692f * (1.0f + 0.134145f * x * x);
            }

            // x rounded to bf16 (ties to even), kept in a float.
            float fusec_round_bf16(float x) {
                if (isnan(x)) {
                    return x;
                }
                uint b = as_uint(x);
                b += 0x7FFFu + ((b >> 16) & 1u);
                return as_float(b & 0xFFFF0000u);
            }

            // x rounded to f16 (ties to even; from 65520 up, infinity), kept in a float.
            float fusec_round_f16(float x) {
                if (isnan(x)) {
                    return x;
                }
                const float a = fabs(x);
                if (a >= 65520.0f) {
                    return copysign(INFINITY, x);
                }
                const int e = max(ilogb(a), -14);
                return copysign(ldexp(rint(ldexp(a, 10 - e)), e - 10), x);
            }

            // x rounded to f8e4m3 (the fn variant: ties to even, saturating at 448, NaN kept), kept in a float.
            float fusec_round_e4m3(float x) {
                if (isnan(x)) {
                    return x;
                }
                const float a = fabs(x);
                if (a >= 448.0f) {
                    return copysign(448.0f, x);
                }
                const int e = max(ilogb(a), -6);
                return copysign(fmin(ldexp(rint(ldexp(a, 3 - e)), e - 3), 448.0f), x);
            }
            """;
}
