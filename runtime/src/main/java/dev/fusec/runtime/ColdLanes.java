package dev.fusec.runtime;

import java.util.function.DoubleUnaryOperator;
import jdk.incubator.vector.FloatVector;

/**
 * The activations of a vector with a lane outside the range of {@link VectorMath}'s fast float
 * formulas (far negative, where their exp is clamped, or infinite): every lane from the double
 * reference, {@link Activations}, rounded once to float. Real activations never get there; a vector
 * that does costs some hundred times a fast one, and is right. Never inlined (jvm-options.txt): the
 * branch to it must not cost the kernels C2's inlining budget.
 */
final class ColdLanes {
    private ColdLanes() {}

    static FloatVector sigmoid(FloatVector x) {
        return each(x, Activations::sigmoid);
    }

    static FloatVector silu(FloatVector x) {
        return each(x, Activations::silu);
    }

    static FloatVector gelu(FloatVector x) {
        return each(x, Activations::gelu);
    }

    static FloatVector geluGrad(FloatVector x) {
        return each(x, Activations::geluGrad);
    }

    static FloatVector geluTanh(FloatVector x) {
        return each(x, Activations::geluTanh);
    }

    static FloatVector geluTanhGrad(FloatVector x) {
        return each(x, Activations::geluTanhGrad);
    }

    private static FloatVector each(FloatVector x, DoubleUnaryOperator f) {
        float[] lanes = x.toArray();
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = (float) f.applyAsDouble(lanes[i]);
        }
        return FloatVector.fromArray(x.species(), lanes, 0);
    }
}
