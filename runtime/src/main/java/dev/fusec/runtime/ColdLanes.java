package dev.fusec.runtime;

import java.util.function.DoubleUnaryOperator;

/**
 * Sigmoid and SiLU of a vector with a lane outside the range of {@link VectorMath}'s fast float
 * formulas (far negative, where their exp is clamped, or infinite), given as its lanes in an array
 * (a vector never crosses into this class), and GELU's scalar twins there: every lane, in place, from the double
 * reference, {@link Activations}, rounded once to float. Real activations never get there; a vector
 * that does costs some hundred times a fast one, and is right. Never inlined (jvm-options.txt): the
 * branch to it must not cost the kernels C2's inlining budget.
 */
final class ColdLanes {
    private ColdLanes() {}

    static void sigmoid(float[] lanes) {
        each(lanes, Activations::sigmoid);
    }

    static void silu(float[] lanes) {
        each(lanes, Activations::silu);
    }

    // One float, for the scalar twins of kernels' tails: a call, so that the double reference (erfc's
    // continued fraction among it) is not inlined into a kernel.

    static float gelu(float x) {
        return (float) Activations.gelu(x);
    }

    static float geluGrad(float x) {
        return (float) Activations.geluGrad(x);
    }

    static float geluTanh(float x) {
        return (float) Activations.geluTanh(x);
    }

    static float geluTanhGrad(float x) {
        return (float) Activations.geluTanhGrad(x);
    }

    private static void each(float[] lanes, DoubleUnaryOperator f) {
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = (float) f.applyAsDouble(lanes[i]);
        }
    }
}
