package dev.fusec.runtime;

/**
 * Operand layouts for the matmul kernels. Weights: [K, N] (or [N, K] when transposed) becomes
 * panels of {@code nr} columns stored K-major, {@code packed[(p * K + k) * nr + j] = W[k, p * nr + j]},
 * the last panel zero-padded, so a micro-kernel reads each panel as one contiguous stream. Two
 * weights of one shape (gate and up) can share panels: {@link #panelPairs} puts the gate's NR
 * columns and the up's side by side at each k, so the pair is one stream, not two.
 * Activations: rows copied to a longer stride when K floats span a multiple of 2 KiB, see
 * {@link #strideRows}.
 */
public final class Packing {
    private Packing() {}

    public static float[] panels(float[] w, int k, int n, int nr, boolean transposed, Parallel par) {
        float[] packed = allocate(n, k, nr, 1);
        par.forRange(panelCount(n, nr), 4, (p0, p1) -> pack(w, packed, k, n, nr, nr, 0, transposed, p0, p1));
        return packed;
    }

    /**
     * Two weights of one shape in shared panels of {@code 2 * nr} floats per k:
     * {@code packed[(p * k + kk) * 2 * nr + j] = gate[kk, p * nr + j]} and, {@code nr} further on, the
     * same element of {@code up}.
     */
    public static float[] panelPairs(float[] gate, float[] up, int k, int n, int nr, boolean transposed, Parallel par) {
        float[] packed = allocate(n, k, nr, 2);
        par.forRange(panelCount(n, nr), 4, (p0, p1) -> {
            pack(gate, packed, k, n, nr, 2 * nr, 0, transposed, p0, p1);
            pack(up, packed, k, n, nr, 2 * nr, nr, transposed, p0, p1);
        });
        return packed;
    }

    private static int panelCount(int n, int nr) {
        return (n + nr - 1) / nr;
    }

    private static float[] allocate(int n, int k, int nr, int weights) {
        long size = (long) panelCount(n, nr) * k * nr * weights;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("packed weight of " + size + " floats is too large");
        }
        return new float[(int) size];
    }

    /** Panels [from, to) of {@code w}, {@code width} floats per k, the weight's columns at {@code offset}. */
    private static void pack(float[] w, float[] packed, int k, int n, int nr, int width, int offset, boolean transposed,
                             int from, int to) {
        for (int p = from; p < to; p++) {
            int cols = Math.min(nr, n - p * nr);
            for (int kk = 0; kk < k; kk++) {
                int dst = (p * k + kk) * width + offset;
                if (transposed) {
                    for (int j = 0; j < cols; j++) {
                        packed[dst + j] = w[(p * nr + j) * k + kk];
                    }
                } else {
                    System.arraycopy(w, kk * n + p * nr, packed, dst, cols);
                }
            }
        }
    }

    /**
     * A copy of the {@code rows x k} matrix {@code a} with rows {@code stride} floats apart. A
     * micro-kernel reads one element from each of MR rows per step; when a row is a multiple of
     * 2 KiB long those MR addresses fall into one or two sets of the L1 cache, more lines than the
     * sets can hold, and the tile runs at two thirds of its speed (measured: 120 vs 196 GFLOP/s for
     * K = 2048 on AVX-512). One extra cache line per row spreads them over the sets.
     *
     * <p>The copy goes to a buffer the calling thread keeps ({@link Scratch}) and reuses in its next
     * call, so it is valid until then (a kernel copies its A at the start of {@code run} and is
     * done with it when {@code run} returns). A fresh array per call cost 1-8 ms for a 11 MiB A
     * (zeroing, page faults, collections) against a 0.6 ms copy; the gap columns are never read.
     */
    public static float[] strideRows(float[] a, int rows, int k, int stride, Parallel par) {
        float[] dst = Scratch.strided(Math.multiplyExact(rows, stride));
        par.forRange(rows, 64, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                System.arraycopy(a, r * k, dst, r * stride, k);
            }
        });
        return dst;
    }
}
