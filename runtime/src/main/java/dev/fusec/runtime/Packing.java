package dev.fusec.runtime;

/**
 * Operand layouts for the matmul kernels. Weights: [K, N] (or [N, K] when transposed) becomes
 * panels of {@code nr} columns stored K-major, {@code packed[(p * K + k) * nr + j] = W[k, p * nr + j]},
 * the last panel zero-padded, so a micro-kernel reads each panel as one contiguous stream.
 * Activations: rows copied to a longer stride when K floats span a multiple of 2 KiB, see
 * {@link #strideRows}.
 */
public final class Packing {
    private Packing() {}

    public static float[] panels(float[] w, int k, int n, int nr, boolean transposed, Parallel par) {
        int panels = (n + nr - 1) / nr;
        long size = (long) panels * k * nr;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("packed weight of " + size + " floats is too large");
        }
        float[] packed = new float[(int) size];
        par.forRange(panels, 4, (p0, p1) -> pack(w, packed, k, n, nr, transposed, p0, p1));
        return packed;
    }

    private static void pack(float[] w, float[] packed, int k, int n, int nr, boolean transposed, int from, int to) {
        for (int p = from; p < to; p++) {
            int cols = Math.min(nr, n - p * nr);
            for (int kk = 0; kk < k; kk++) {
                int dst = (p * k + kk) * nr;
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
     */
    public static float[] strideRows(float[] a, int rows, int k, int stride, Parallel par) {
        float[] out = new float[Math.multiplyExact(rows, stride)];
        par.forRange(rows, 64, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                System.arraycopy(a, r * k, out, r * stride, k);
            }
        });
        return out;
    }
}
