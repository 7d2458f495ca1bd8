package dev.fusec.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector exp, sigmoid, SiLU and GELU (both of PyTorch's formulas, with their derivatives) for
 * generated kernels, with scalar twins of GELU for their tails (and e4m3 rounding, for backward ops
 * that read an input saved in fp8). exp is a range reduction and a degree-6 polynomial in FMAs, within two
 * float ulps of the true exp (tested against {@link Math#exp} wherever the result is a normal
 * float). Not {@code lanewise(EXP)}: the JDK's SVML exp is accurate to 1 ulp but
 * costs a third more per vector here (AVX-512, measured in a SwiGLU loop), and SiLU is what bounds
 * the elementwise SwiGLU kernels once memory is fast. Small enough for C2 to inline into a loop,
 * and it must be inlined: a FloatVector that crosses a call that was not inlined is boxed, so
 * jvm-options.txt tells C2 to inline this class always (in a JVM started without it, {@link JitDirectives}
 * does).
 */
public final class VectorMath {
    private VectorMath() {}

    /** The bits of the clamp bounds of {@link #exp}. */
    private static final int HIGH_BITS = Float.floatToRawIntBits(88.72283f);
    private static final int LOW_BITS = Float.floatToRawIntBits(-86f);

    /**
     * exp(x) = 2^n * e^r with n = round(x / ln 2) and |r| <= ln 2 / 2. x is clamped to
     * [-86, 88.72283]: above, exp overflows float; below -86, the result stays exp(-86) = 4.5e-38
     * instead of going subnormal (for 1 + exp(-x), as in sigmoid, the difference is nothing). NaN
     * gives any value (the low bits of a NaN's payload reach the exponent): a caller that must give
     * NaN for NaN gets it from its other terms, or sends NaN to ColdLanes, as sigmoid does.
     */
    static FloatVector exp(FloatVector x) {
        // The clamp as compare-and-blend: max and min follow Math.max's NaN and -0.0 rules, which
        // take C2 about six AVX-512 instructions each; this takes two per bound, and gives the same bits.
        FloatVector v = x.blend(-86f, x.lt(-86f));
        v = v.blend(88.72283f, v.compare(VectorOperators.GT, 88.72283f));
        return expInRange(v);
    }

    /**
     * x's lanes through {@code f} in place, in a fresh array: the vector itself never crosses the call,
     * so nothing about it escapes the kernel's loop (a vector passed to a call that is not inlined is
     * boxed, and C2 may allocate that box on the hot path too).
     */
    private static FloatVector cold(FloatVector x, java.util.function.Consumer<float[]> f) {
        float[] lanes = x.toArray();
        f.accept(lanes);
        return FloatVector.fromArray(x.species(), lanes, 0);
    }

    /**
     * Below this, sigmoid's and SiLU's exp(-x) would be clamped (at -88.72283) and their results,
     * e^x and x e^x, are subnormal or 0: such a vector is computed by {@link ColdLanes}.
     */
    private static final float SIGMOID_LOW = -88f;

    /** 1 / (1 + exp(-x)); a vector with a lane below -88 (-inf included) or NaN from {@link ColdLanes}. */
    public static FloatVector sigmoid(FloatVector x) {
        if (!x.compare(VectorOperators.GE, SIGMOID_LOW).allTrue()) {
            return cold(x, ColdLanes::sigmoid);
        }
        return sigmoidInRange(x);
    }

    /** 1 / (1 + exp(-x)) for x >= -88.72283 (NaN gives any value: see exp). */
    private static FloatVector sigmoidInRange(FloatVector x) {
        return FloatVector.broadcast(x.species(), 1f).div(exp(x.neg()).add(1f));
    }

    /**
     * x * sigmoid(x) = x / (1 + exp(-x)), bit for bit as with {@link #exp}, whose clamp it does in
     * two integer instructions instead of four (exp is a quarter faster: 11 against 15 cycles per
     * 16 lanes in a loop over L2, on AVX-512). That clamp turns NaN into a finite number, which is
     * harmless here: x is the numerator, so NaN in is still NaN out. A vector with a lane below -88
     * (or -inf) comes from {@link ColdLanes}.
     */
    public static FloatVector silu(FloatVector x) {
        if (x.lt(SIGMOID_LOW).anyTrue()) {
            return cold(x, ColdLanes::silu);
        }
        return x.div(expInRange(clampBits(x.neg())).add(1f));
    }

    // ---- GELU ----
    //
    // Exact GELU is x * Phi(x), Phi the normal CDF, Phi(x) = erfc(-x / sqrt 2) / 2. Java has no erf, and
    // 1 + erf(x / sqrt 2) loses everything to cancellation for negative x, so Phi is computed from the
    // tail q(x) = erfc(|x| / sqrt 2) / 2 = exp(-x^2 / 2) * G(|x| / sqrt 2) / 2, G(z) = exp(z^2) erfc(z)
    // (smooth, 1 at 0, ~ 1 / (z sqrt pi) for large z): Phi = q for x < 0 and 1 - q for x >= 0, no
    // cancellation on either side. G(z) / 2 = t * R(u) with t = 1 / (1 + z / 2) and u = 1 - t = t z / 2
    // (u, not t, so that the rounding of 1 + z / 2 does not reach R near z = 0, where R is steepest in
    // t), R of degree 8 fitted (least squares reweighted towards minimax) to the relative error of G
    // over z in [0, 9.5]: 4.2e-8, under a float ulp. exp(-x^2 / 2) must not see the rounding of x^2
    // (at x = -10 that alone is 25 ulps of the result): -x^2 / 2 = h + l exactly (l from an FMA), and
    // exp(h) is multiplied by 1 + l; exp's clamp at -86 is reached at |x| = 13.115. ActivationSweepTest
    // measures the error against Activations, in double, in float ulps. The tanh form is
    // x * sigmoid(2u), 2u = 2 sqrt(2 / pi) (x + 0.044715 x^3), equal to 0.5 x (1 + tanh u) without its
    // cancellation; its relative error grows with |2u| as any float evaluation of u does (the
    // rounding of 2u, times |2u| (1 - sigmoid(2u))).
    //
    // Far negative the results are subnormal (gelu(-13.5) = -1.1e-40) before they are -0 (x < -14.6
    // for gelu, 2u < -104 for the tanh form), where exp's argument is below -86 and e^v itself would
    // not be a normal float. So these exps are taken times a power of two that keeps them normal
    // (expScaled: the scale rides in the rounding constant, no instruction more), the formula runs on
    // normal numbers, and one multiplication by the inverse power, last, rounds into the subnormals
    // once: exp(-x^2 / 2) * 2^64 for gelu (never overflows: -x^2 / 2 <= 0), exp(-2u) * 2^-64 for the
    // tanh form, sigmoid(2u) = 2^-64 / (2^-64 + exp(-2u) 2^-64). Where a result is the old formula's
    // normal float, it is the same bits. Past -130 (the exps' argument, clamped there) every result is
    // -0 in float and is taken as x * 0 (NaN at -inf, as PyTorch's). Not a branch to ColdLanes, as
    // SiLU has: an uncommon trap with a step's vectors live costs C2 more parser nodes than a blend,
    // and each extra vector operation a few hundred.
    //
    // Exact GELU is some 16,000 of C2's parser nodes (the tanh form under half that), near the 18,000
    // after which C2 inlines no more (NodeCountInliningCutoff): a kernel calls at most one of them in a
    // method, with little else beside it (see SwiGluKernels).

    /** The coefficients of R, constant term first: see above. */
    private static final float P0 = 0.49999997f, P1 = -0.6283752f, P2 = 0.24311496f, P3 = 0.10742411f, P4 = -0.059414294f,
            P5 = -0.011766083f, P6 = -0.07420699f, P7 = 0.09371299f, P8 = -0.029445654f;
    /** 1 / sqrt(2 pi): exp(-x^2 / 2) times this is the normal density. */
    private static final float PDF = 0.3989423f;
    /** 1 / sqrt 8: |x| times this is z / 2. */
    private static final float HALF_SQRT_HALF = 0.35355338f;
    /** 2 sqrt(2 / pi) and 0.044715: 2u = A x (1 + C x^2), its derivative A (1 + 3 C x^2). */
    private static final float A = 1.5957692f;
    private static final float C = 0.044715f;
    /** Below GELU_LOW (x) and TANH_LOW (2u) the scalar twins take ColdLanes; above GELU_HIGH x is taken as GELU_HIGH in Phi. */
    private static final float GELU_LOW = -13.1f;
    private static final float GELU_HIGH = 13.15f;
    private static final float TANH_LOW = -88f;
    /**
     * The scaled exps' argument is clamped to [-130, 130] (e^v 2^64 and e^v 2^-64 normal floats);
     * below -130 every result is -0 in float (for gelu, from x < -16).
     */
    private static final float FLOOR = -130f;
    private static final float GELU_ZERO = -16f;
    /** 2^-64: what undoes the scales of expScaled (2^64 in gelu, after the 2^-64 of the tanh form's E = e 2^-64 has been divided out). */
    private static final float DOWN = 0x1p-64f;

    /** exp(-x^2 / 2) * 2^64, the rounding of x^2 corrected (see above). */
    private static FloatVector gaussian(FloatVector x) {
        FloatVector m = x.mul(-0.5f);
        FloatVector h = x.mul(m);
        FloatVector l = x.fma(m, h.neg());
        FloatVector e = expScaled(h.blend(FLOOR, h.lt(FLOOR)), 64);
        return e.fma(l, e);
    }

    /** G(|x| / sqrt 2) / 2 = t * R(u), z / 2 = |x| / sqrt 8, t = 1 / (1 + z / 2), u = t z / 2. */
    private static FloatVector tail(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        FloatVector a = x.abs().mul(HALF_SQRT_HALF);
        FloatVector t = FloatVector.broadcast(s, 1f).div(a.add(1f));
        FloatVector u = a.mul(t);
        FloatVector p = FloatVector.broadcast(s, P8);
        p = p.fma(u, FloatVector.broadcast(s, P7));
        p = p.fma(u, FloatVector.broadcast(s, P6));
        p = p.fma(u, FloatVector.broadcast(s, P5));
        p = p.fma(u, FloatVector.broadcast(s, P4));
        p = p.fma(u, FloatVector.broadcast(s, P3));
        p = p.fma(u, FloatVector.broadcast(s, P2));
        p = p.fma(u, FloatVector.broadcast(s, P1));
        p = p.fma(u, FloatVector.broadcast(s, P0));
        return p.mul(t);
    }

    /**
     * GELU, x * Phi(x) (PyTorch approximate='none'): NaN at -inf (as PyTorch's), +inf at +inf, NaN
     * for NaN; subnormal from -13.1 to -14.6, where the truth is, and -0 below.
     */
    public static FloatVector gelu(FloatVector x) {
        FloatVector xc = x.min(GELU_HIGH);
        // w = x q: from x <= 0 the result (-0 at -0, as x * Phi(x)), from x > 0 what x * Phi = x - x q lacks.
        FloatVector w = xc.mul(gaussian(xc)).mul(tail(xc)).mul(DOWN);
        FloatVector r = x.sub(w).blend(w, x.compare(VectorOperators.LE, 0f));
        return r.blend(x.mul(0f), x.lt(GELU_ZERO));
    }

    /**
     * d/dx gelu(x) = Phi(x) + x phi(x): NaN at -inf and +inf (as PyTorch's: x * 0 is added, which is
     * nothing for finite x), NaN for NaN; subnormal from -13.1, where the truth is, then -0.
     */
    public static FloatVector geluGrad(FloatVector x) {
        FloatVector xc = x.min(GELU_HIGH);
        VectorMask<Float> negative = x.lt(0f);
        FloatVector p = tail(xc);
        FloatVector zero = x.mul(0f);
        // x < 0: q + x phi = g (P + x PDF); x >= 0: 1 - q + x phi = 1 + g (x PDF - P), g the gaussian.
        FloatVector core = gaussian(xc).mul(xc.fma(FloatVector.broadcast(x.species(), PDF), p.neg().blend(p, negative))).mul(DOWN);
        return core.add(1f).add(zero).blend(core, negative).blend(zero, x.lt(GELU_ZERO));
    }

    /** 2 u = 2 sqrt(2 / pi) (x + 0.044715 x^3), the argument of the tanh form's sigmoid. */
    private static FloatVector tanhArgument(FloatVector x) {
        return x.mul(x).fma(C, 1f).mul(x).mul(A);
    }

    /**
     * GELU's tanh form, x * sigmoid(2u) = 0.5 x (1 + tanh u) (approximate='tanh'): NaN at -inf (as
     * PyTorch's), +inf at +inf; subnormal where 2u is below -87.3 (x < -10.1), -0 where it is below -130.
     */
    public static FloatVector geluTanh(FloatVector x) {
        FloatVector t = tanhArgument(x);
        FloatVector down = FloatVector.broadcast(x.species(), DOWN);
        return x.mul(down.div(expTimesDown(t).add(down))).blend(x.mul(0f), t.lt(FLOOR));
    }

    /** exp(-2u) * 2^-64, 2u clamped to [-130, 40] (sigmoid(2u) is 1 in float from 17). */
    private static FloatVector expTimesDown(FloatVector t) {
        FloatVector v = t.neg();
        v = v.blend(FLOOR, v.compare(VectorOperators.GT, -FLOOR));
        return expScaled(v.blend(-40f, v.lt(-40f)), -64);
    }

    /**
     * d/dx of the tanh form: s (1 + (1 - s) x (2 u)'), s = sigmoid(2 u), (2 u)' = A (1 + 3 C x^2); x
     * is taken as at most 10 there (s is 1 in float from x = 10, and x (2 u)' would overflow first).
     * NaN at -inf and +inf, as PyTorch's (x * 0 is added); subnormal where 2u is below -87.3, -0 where it is below -130.
     */
    public static FloatVector geluTanhGrad(FloatVector x) {
        FloatVector xc = x.min(10f);
        FloatVector t = tanhArgument(xc);
        // With e = exp(-2u) and E = e 2^-64: r = 1 / (E + 2^-64) is s 2^64, and 1 - s = e s = E r (1 - s
        // itself would lose to the rounding of s all that the second term carries where s is near
        // 1: 16 ulps at x = 5). s (1 + (1 - s) slope) = (r + (1 - s) slope r) 2^-64.
        FloatVector big = expTimesDown(t);
        FloatVector r = FloatVector.broadcast(x.species(), 1f).div(big.add(DOWN));
        FloatVector slope = xc.mul(xc).fma(3f * C, 1f).mul(A).mul(xc);
        FloatVector zero = x.mul(0f);
        return big.mul(r).mul(slope).fma(r, r).mul(DOWN).add(zero).blend(zero, t.lt(FLOOR));
    }

    // Scalar twins for kernels' tails: the same steps in float, with Math.exp for the vector exp, and
    // Activations where the vector functions take ColdLanes.

    private static float gaussian(float x) {
        float m = x * -0.5f;
        float h = x * m;
        float l = Math.fma(x, m, -h);
        float e = (float) Math.exp(Math.max(h, -86f));
        return Math.fma(e, l, e);
    }

    private static float tail(float x) {
        float a = Math.abs(x) * HALF_SQRT_HALF;
        float t = 1f / (a + 1f);
        float u = a * t;
        float p = P8;
        p = Math.fma(p, u, P7);
        p = Math.fma(p, u, P6);
        p = Math.fma(p, u, P5);
        p = Math.fma(p, u, P4);
        p = Math.fma(p, u, P3);
        p = Math.fma(p, u, P2);
        p = Math.fma(p, u, P1);
        p = Math.fma(p, u, P0);
        return p * t;
    }

    /** {@link #gelu(FloatVector)} of one float. */
    public static float gelu(float x) {
        if (x < GELU_LOW) {
            return ColdLanes.gelu(x);
        }
        float xc = Math.min(x, GELU_HIGH);
        float w = xc * gaussian(xc) * tail(xc);
        return x <= 0f ? w : x - w;
    }

    /** {@link #geluGrad(FloatVector)} of one float. */
    public static float geluGrad(float x) {
        if (x < GELU_LOW || x == Float.POSITIVE_INFINITY) {
            return ColdLanes.geluGrad(x);
        }
        float xc = Math.min(x, GELU_HIGH);
        float p = tail(xc);
        float core = gaussian(xc) * Math.fma(xc, PDF, x < 0f ? p : -p);
        return x < 0f ? core : core + 1f;
    }

    /** {@link #geluTanh(FloatVector)} of one float. */
    public static float geluTanh(float x) {
        float t = Math.fma(x * x, C, 1f) * x * A;
        return t < TANH_LOW ? ColdLanes.geluTanh(x) : x * (1f / (1f + (float) Math.exp(-t)));
    }

    /** {@link #geluTanhGrad(FloatVector)} of one float. */
    public static float geluTanhGrad(float x) {
        float xc = Math.min(x, 10f);
        float t = Math.fma(xc * xc, C, 1f) * xc * A;
        if (t < TANH_LOW || x == Float.POSITIVE_INFINITY) {
            return ColdLanes.geluTanhGrad(x);
        }
        float e = (float) Math.exp(-t);
        float s = 1f / (1f + e);
        float slope = Math.fma(xc * xc, 3f * C, 1f) * A * xc;
        return Math.fma(e * s * slope, s, s);
    }

    /**
     * v clamped to [-86, 88.72283] on its bits, NaN to one of the bounds. As signed integers, the
     * bits of positive floats are ordered as the floats, and all negative floats lie below them: a
     * signed min with the upper bound clamps the positive side. As unsigned integers, negative floats
     * lie above all positive ones and grow with their magnitude: an unsigned min with the bits of -86
     * clamps the negative side.
     */
    private static FloatVector clampBits(FloatVector v) {
        return v.reinterpretAsInts().lanewise(VectorOperators.MIN, HIGH_BITS).lanewise(VectorOperators.UMIN, LOW_BITS)
                .reinterpretAsFloats();
    }

    /**
     * x rounded to f8e4m3 (e4m3fn: ties to even, saturating at 448, NaN kept), bit for bit as
     * {@link Rounding#e4m3}, for backward ops that read an input saved in fp8. From 2^-6 up, three
     * mantissa bits are kept by adding just under half of the 20 dropped bits (plus the kept lowest
     * bit, for ties to even) and clearing them, a carry moving into the exponent as it should; below,
     * the spacing is 2^-9, and adding then subtracting 2^14 (whose float spacing is 2^-9) rounds to it.
     */
    public static FloatVector e4m3(FloatVector x) {
        IntVector bits = x.reinterpretAsInts();
        IntVector sign = bits.and(0x80000000);
        IntVector ab = bits.and(0x7FFFFFFF);
        FloatVector a = ab.reinterpretAsFloats();
        FloatVector normal = ab.add(ab.lanewise(VectorOperators.LSHR, 20).and(1).add(0x7FFFF)).and(0xFFF00000)
                .reinterpretAsFloats();
        FloatVector small = a.add(16384f).sub(16384f);
        FloatVector r = normal.blend(small, a.lt(0x1p-6f));
        r = r.blend(448f, r.compare(VectorOperators.GT, 448f));
        return r.reinterpretAsInts().or(sign).reinterpretAsFloats().blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** exp(v) for v in [-86, 88.72283]. */
    private static FloatVector expInRange(FloatVector v) {
        return expScaled(v, 0);
    }

    /**
     * exp(v) * 2^k, for v where that is a normal float (k is a constant: -64, 0 or 64). The scale is
     * added to n in the rounding constant, so it costs nothing.
     */
    private static FloatVector expScaled(FloatVector v, int k) {
        VectorSpecies<Float> s = v.species();
        // Adding 1.5 * 2^23 (+ k) rounds v / ln 2 to an integer n and leaves n + k in the low mantissa bits.
        float round = 12582912f + k;
        FloatVector shifted = v.fma(FloatVector.broadcast(s, 1.44269504088896341f), FloatVector.broadcast(s, round));
        FloatVector n = shifted.sub(round);
        // r = v - n ln 2, with ln 2 split in two so that n * ln2_hi is exact.
        FloatVector r = n.fma(FloatVector.broadcast(s, -0.693359375f), v);
        r = n.fma(FloatVector.broadcast(s, 2.12194440e-4f), r);
        // e^r = 1 + r + r^2 * p(r), p the minimax polynomial of (e^r - 1 - r) / r^2 (Cephes expf).
        FloatVector p = FloatVector.broadcast(s, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(s, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(s, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(s, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(s, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(s, 5.0000001201e-1f));
        FloatVector er = p.fma(r.mul(r), r).add(1f);
        // Scale by 2^(n + k): add n + k to the exponent field. n + k sits in the low bits of `shifted`;
        // shifting left by 23 moves it into the exponent and pushes the constant's own bits out of the
        // word. The callers' clamps keep the sum a normal float: n + k >= -124, and n + k = 128 only
        // with e^r < 1.
        return er.reinterpretAsInts().add(shifted.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                .reinterpretAsFloats();
    }

    // ---- 16-bit weights: two per int lane (Packing.panels16), widened exactly to float ----

    /** The bf16 in the low half of each lane: its 16 bits become the high half of a float. */
    public static FloatVector bf16Lo(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The bf16 in the high half of each lane, already where a float's bits of it belong. */
    public static FloatVector bf16Hi(IntVector pairs) {
        return pairs.and(0xFFFF0000).reinterpretAsFloats();
    }

    /** The f16 in the low half of each lane. */
    public static FloatVector f16Lo(IntVector pairs) {
        return f16(pairs.and(0xFFFF));
    }

    /** The f16 in the high half of each lane. */
    public static FloatVector f16Hi(IntVector pairs) {
        return f16(pairs.lanewise(VectorOperators.LSHR, 16));
    }

    /**
     * f16 bits (one per lane, zero-extended) to float, exactly as {@link Float#float16ToFloat}: exponent
     * and mantissa moved to a float's places and scaled by 2^(127 - 15), which is exact for normal and
     * subnormal values alike; Inf and NaN (exponent all ones) get a float's all-ones exponent; then the sign.
     */
    private static FloatVector f16(IntVector h) {
        IntVector magnitude = h.and(0x7FFF);
        IntVector moved = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = moved.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector bits = finite.blend(moved.or(0x7F800000), magnitude.compare(VectorOperators.GE, 0x7C00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }
}
