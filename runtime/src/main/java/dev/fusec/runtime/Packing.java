package dev.fusec.runtime;

/**
 * Weight packing for the matmul kernels: [K, N] (or [N, K] when transposed) becomes panels of
 * {@code nr} columns stored K-major, {@code packed[(p * K + k) * nr + j] = W[k, p * nr + j]}, the
 * last panel zero-padded. A micro-kernel then reads each panel as one contiguous stream.
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
}
