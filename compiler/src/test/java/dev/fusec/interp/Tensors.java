package dev.fusec.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.runtime.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Test-side tensors: building them, running IR text through the interpreter, and comparing a result
 * with values computed in the test, within a stated tolerance, naming the worst difference on failure.
 * Not an oracle of its own: expected values are always written out in the tests.
 */
final class Tensors {
    private Tensors() {}

    /** A tensor of the given shape holding {@code values} (C order), each cast to float. */
    static Tensor of(int[] shape, double... values) {
        float[] d = new float[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) values[i];
        }
        return new Tensor(shape, d);
    }

    static int[] shape(int... dims) {
        return dims;
    }

    /** Uniform floats in [-scale, scale), reproducible from the seed. */
    static Tensor random(long seed, double scale, int... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return t;
    }

    /** Runs the graph in {@code ir} on inputs given as alternating names and tensors. */
    static Map<String, Tensor> run(String ir, Object... namesAndTensors) {
        return run(IrParser.parse("test.fir", ir), namesAndTensors);
    }

    /** Runs a parsed graph, for tests that run one graph many times. */
    static Map<String, Tensor> run(Graph g, Object... namesAndTensors) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTensors.length; i += 2) {
            in.put((String) namesAndTensors[i], (Tensor) namesAndTensors[i + 1]);
        }
        return Interpreter.run(g, in);
    }

    /** The single (first) output of {@link #run}. */
    static Tensor run1(String ir, Object... namesAndTensors) {
        return run(ir, namesAndTensors).values().iterator().next();
    }

    static double[] doubles(Tensor t) {
        float[] d = t.data();
        double[] out = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = d[i];
        }
        return out;
    }

    /** Bit-for-bit equality of values and shape (data movement ops must not change a single bit). */
    static void assertExact(String what, int[] shape, double[] expected, Tensor actual) {
        assertClose(what, shape, expected, actual, 0, 0);
    }

    /**
     * Every element within {@code abs + rel * |expected|}; the message names the worst element
     * (largest difference over its allowance) with both values.
     */
    static void assertClose(String what, int[] shape, double[] expected, Tensor actual, double rel, double abs) {
        assertArrayEquals(shape, actual.shape(), () -> what + ": shape " + Arrays.toString(actual.shape())
                + ", expected " + Arrays.toString(shape));
        assertClose(what, expected, doubles(actual), rel, abs);
    }

    static void assertClose(String what, double[] expected, double[] actual, double rel, double abs) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " elements, expected " + expected.length);
        }
        int worst = -1;
        double worstRatio = 0;
        double worstDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            double allowed = abs + rel * Math.abs(expected[i]);
            boolean bad = !(diff <= allowed) && !(Double.isNaN(expected[i]) && Double.isNaN(actual[i]))
                    && !(expected[i] == actual[i]);
            double ratio = bad ? (allowed == 0 || Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / allowed) : 0;
            worstDiff = Math.max(worstDiff, Double.isNaN(diff) ? 0 : diff);
            if (bad && ratio >= worstRatio) {
                worst = i;
                worstRatio = ratio;
            }
        }
        if (worst >= 0) {
            fail(String.format("%s: worst difference at [%d]: expected %.9g, got %.9g (|diff| %.3g, tolerance %.1g"
                            + " relative + %.1g absolute; largest |diff| overall %.3g)",
                    what, worst, expected[worst], actual[worst], Math.abs(actual[worst] - expected[worst]), rel, abs,
                    worstDiff));
        }
    }
}
