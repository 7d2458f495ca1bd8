package dev.fusec.codegen;

import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Test support: runs a graph's generated kernels and compares their outputs with the reference
 * interpreter's. A comparison reports the worst element (value, index, bound), not just "differs".
 */
final class Agreement {
    private Agreement() {}

    /**
     * f32: |got - want| <= 1e-4 * max(1, max|want|) per output. The interpreter sums in double and
     * rounds each stored value once; kernels sum in float (FMA, a different order), so a dot product
     * of K <= 40 terms of magnitude <= 1 differs by a few float ulps of the sum: far below 1e-4.
     */
    static final double F32 = 1e-4;

    /**
     * bf16: 2^-6 * max(1, max|want|). bf16 keeps 8 significant bits, so neighbouring values are
     * 2^-7 of their magnitude apart at most. Kernels compute in float and the interpreter in double;
     * both round every stored bf16 value, and a value that lies near a rounding boundary can land on
     * either neighbour: one ulp (<= 2^-7 relative). Such a flip in an intermediate reaches the output
     * through at most one more rounding, so two ulps at the output's largest magnitude bound it.
     * (Measured on this suite: no difference at all; a missing rounding is caught separately, by
     * checking that every element of a bf16 output is a bf16 value.)
     */
    static final double BF16 = 0x1p-6;

    /** Seeded random inputs for a graph at one binding of its dims. */
    static Map<String, Tensor> inputs(Graph g, Map<String, Long> binding, long seed) {
        return RandomInputs.generate(g, binding, seed, Map.of());
    }

    /** Runs a compiled graph once on a fresh executor with {@code threads} workers. */
    static Map<String, Tensor> run(CompiledGraph cg, Map<String, Long> binding, Map<String, Tensor> in, int threads) {
        Executor ex = cg.executor(binding);
        try (Parallel par = new Parallel(threads)) {
            return cg.run(ex, in, binding, par);
        }
    }

    /** A deep copy, for results an executor will overwrite on its next run. */
    static Map<String, Tensor> copy(Map<String, Tensor> outputs) {
        Map<String, Tensor> c = new java.util.LinkedHashMap<>();
        outputs.forEach((name, t) -> c.put(name, new Tensor(t.shape(), t.data().clone())));
        return c;
    }

    /**
     * Every output of {@code want} present in {@code got} with the same shape and within
     * {@code rel * max(1, max|want|)}; returns one line per disagreeing output (empty when all agree).
     */
    static List<String> compare(String what, Map<String, Tensor> want, Map<String, Tensor> got, double rel) {
        List<String> problems = new ArrayList<>();
        if (!want.keySet().equals(got.keySet())) {
            problems.add(what + ": outputs " + got.keySet() + ", expected " + want.keySet());
            return problems;
        }
        for (var e : want.entrySet()) {
            Tensor w = e.getValue();
            Tensor g = got.get(e.getKey());
            if (!Arrays.equals(w.shape(), g.shape())) {
                problems.add(what + ": " + e.getKey() + " has shape " + Arrays.toString(g.shape()) + ", expected "
                        + Arrays.toString(w.shape()));
                continue;
            }
            double maxAbs = 0;
            for (float v : w.data()) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            double bound = rel * Math.max(1, maxAbs);
            double worst = -1;
            int at = -1;
            for (int i = 0; i < w.size(); i++) {
                double d = Math.abs((double) g.data()[i] - w.data()[i]);
                if (Double.isNaN(d)) {
                    d = Double.POSITIVE_INFINITY;
                }
                if (d > worst) {
                    worst = d;
                    at = i;
                }
            }
            if (worst > bound) {
                problems.add(String.format("%s: %s differs by %.3g at %s (got %.7g, want %.7g; bound %.3g)", what, e.getKey(),
                        worst, index(w.shape(), at), g.data()[at], w.data()[at], bound));
            }
        }
        return problems;
    }

    /** Per output, max |got - want| / max(1, max |want|) (infinite where only one is NaN). */
    static Map<String, Double> worst(Map<String, Tensor> want, Map<String, Tensor> got) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (var e : want.entrySet()) {
            float[] w = e.getValue().data();
            float[] g = got.get(e.getKey()).data();
            double maxAbs = 0;
            double worst = 0;
            for (int i = 0; i < w.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(w[i]));
                double d = Math.abs((double) g[i] - w[i]);
                worst = Math.max(worst, Double.isNaN(d) && !(Float.isNaN(w[i]) && Float.isNaN(g[i])) ? Double.POSITIVE_INFINITY
                        : Double.isNaN(d) ? 0 : d);
            }
            out.put(e.getKey(), worst / Math.max(1, maxAbs));
        }
        return out;
    }

    /** Outputs equal bit for bit (deterministic kernels: the same work in the same order). */
    static List<String> identical(String what, Map<String, Tensor> a, Map<String, Tensor> b) {
        List<String> problems = new ArrayList<>();
        for (var e : a.entrySet()) {
            float[] x = e.getValue().data();
            float[] y = b.get(e.getKey()).data();
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                    problems.add(what + ": " + e.getKey() + " differs at " + index(e.getValue().shape(), i) + ": " + x[i] + " vs " + y[i]);
                    break;
                }
            }
        }
        return problems;
    }

    /** One line per output of {@code g} stored narrower than f32 that holds an element which is not a value of its type. */
    static List<String> storedAsTheirTypes(String what, dev.fusec.ir.Graph g, Map<String, Tensor> outputs) {
        List<String> problems = new ArrayList<>();
        for (dev.fusec.ir.Param p : g.outputs()) {
            float[] d = outputs.get(p.name()).data();
            for (int i = 0; i < d.length; i++) {
                if (p.type().dtype().round(d[i]) != d[i]) {
                    problems.add(what + ": " + p.name() + "[" + i + "] = " + d[i] + " is not a " + p.type().dtype() + " value");
                    break;
                }
            }
        }
        return problems;
    }

    /** A flat C-order index as {@code [i, j, k]}. */
    static String index(int[] shape, int flat) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return Arrays.toString(idx);
    }
}
