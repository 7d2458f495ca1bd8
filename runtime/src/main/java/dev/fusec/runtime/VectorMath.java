package dev.fusec.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector exp, sigmoid and SiLU for generated kernels (and e4m3 rounding, for backward ops that read
 * an input saved in fp8). exp is a range reduction and a degree-6 polynomial in FMAs, within two
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
     * instead of going subnormal (for 1 + exp(-x), as in sigmoid, the difference is nothing).
     * NaN gives NaN.
     */
    public static FloatVector exp(FloatVector x) {
        // The clamp as compare-and-blend: max and min follow Math.max's NaN and -0.0 rules, which
        // take C2 about six AVX-512 instructions each; this takes two per bound, and gives the same bits.
        FloatVector v = x.blend(-86f, x.lt(-86f));
        v = v.blend(88.72283f, v.compare(VectorOperators.GT, 88.72283f));
        return expInRange(v);
    }

    /** 1 / (1 + exp(-x)). */
    public static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(x.species(), 1f).div(exp(x.neg()).add(1f));
    }

    /**
     * x * sigmoid(x) = x / (1 + exp(-x)), bit for bit as with {@link #exp}, whose clamp it does in
     * two integer instructions instead of four (exp is a quarter faster: 11 against 15 cycles per
     * 16 lanes in a loop over L2, on AVX-512). That clamp turns NaN into a finite number, which is
     * harmless here: x is the numerator, so NaN in is still NaN out.
     */
    public static FloatVector silu(FloatVector x) {
        return x.div(expInRange(clampBits(x.neg())).add(1f));
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
        VectorSpecies<Float> s = v.species();
        // Adding 1.5 * 2^23 rounds v / ln 2 to an integer n and leaves n in the low mantissa bits.
        FloatVector shifted = v.fma(FloatVector.broadcast(s, 1.44269504088896341f), FloatVector.broadcast(s, 12582912f));
        FloatVector n = shifted.sub(12582912f);
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
        // Scale by 2^n: add n to the exponent field. n sits in the low bits of `shifted`; shifting left
        // by 23 moves it into the exponent and pushes the constant's own bits out of the word. The
        // clamp keeps the sum a normal float: n >= -124, and n = 128 only with e^r < 1.
        return er.reinterpretAsInts().add(shifted.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                .reinterpretAsFloats();
    }
}
