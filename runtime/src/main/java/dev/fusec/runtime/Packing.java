package dev.fusec.runtime;

/**
 * Operand layouts for the matmul kernels. Weights: [K, N] (or [N, K] when transposed) becomes
 * panels of {@code nr} columns stored K-major, {@code packed[(p * K + k) * nr + j] = W[k, p * nr + j]},
 * the last panel zero-padded, so a micro-kernel reads each panel as one contiguous stream. Two
 * weights of one shape (gate and up) can share panels: {@link #panelPairs} puts the gate's NR
 * columns and the up's side by side at each k, so the pair is one stream, not two.
 * Activations: rows copied to a longer stride when K floats span a multiple of 2 KiB, see
 * {@link #strideRows}.
 *
 * <p>A weight may come as a float array or as a checkpoint's {@link StoredTensor} (mapped, read in
 * place). A bf16 or f16 weight is packed at 16 bits ({@link #panels16}): the panel layout is the same
 * but each int holds two elements, the one of slot j in its low half and the one of slot L + j in its
 * high half, so one vector load gives a kernel two vectors of weights and decode streams half the bytes.
 */
public final class Packing {
    private Packing() {}

    /** Where a weight's elements come from: an array, or a stored tensor (when the array is null). */
    private record Source(float[] array, StoredTensor stored) {
        Source {
            if (array == null && stored == null) {
                throw new IllegalArgumentException("a weight needs an array or a stored tensor");
            }
        }

        float get(long i) {
            return array != null ? array[(int) i] : stored.get(i);
        }

        /** Element i as bf16 (F16: f16) bits: stored bits as they are, or the float rounded to them. */
        int bits(long i, boolean f16) {
            if (array == null && stored.dtype() == (f16 ? SafeTensors.DType.F16 : SafeTensors.DType.BF16)) {
                return stored.bits(i) & 0xffff;
            }
            float v = get(i);
            return (f16 ? Float.floatToFloat16(v) : Rounding.bf16Bits(v)) & 0xffff;
        }
    }

    /** f32 panels of a weight given as an array or, where {@code array} is null, as a stored tensor. */
    public static float[] panels(float[] array, StoredTensor stored, int k, int n, int nr, boolean transposed, Parallel par) {
        if (array != null) {
            return panels(array, k, n, nr, transposed, par);
        }
        Source w = new Source(null, stored);
        float[] packed = allocate(n, k, nr, 1);
        par.forRange(panelCount(n, nr), 4, (p0, p1) -> packFrom(w, packed, k, n, nr, nr, 0, transposed, p0, p1));
        return packed;
    }

    /** {@link #panelPairs} of weights given as arrays or stored tensors. */
    public static float[] panelPairs(float[] gate, StoredTensor gateStored, float[] up, StoredTensor upStored, int k, int n, int nr,
                                     boolean transposed, Parallel par) {
        if (gate != null && up != null) {
            return panelPairs(gate, up, k, n, nr, transposed, par);
        }
        Source g = new Source(gate, gateStored);
        Source u = new Source(up, upStored);
        float[] packed = allocate(n, k, nr, 2);
        par.forRange(panelCount(n, nr), 4, (p0, p1) -> {
            packFrom(g, packed, k, n, nr, 2 * nr, 0, transposed, p0, p1);
            packFrom(u, packed, k, n, nr, 2 * nr, nr, transposed, p0, p1);
        });
        return packed;
    }

    private static void packFrom(Source w, float[] packed, int k, int n, int nr, int width, int offset, boolean transposed,
                                 int from, int to) {
        for (int p = from; p < to; p++) {
            int cols = Math.min(nr, n - p * nr);
            for (int kk = 0; kk < k; kk++) {
                int dst = (p * k + kk) * width + offset;
                if (transposed) {
                    for (int j = 0; j < cols; j++) {
                        packed[dst + j] = w.get((long) (p * nr + j) * k + kk);
                    }
                } else {
                    w.stored().copyTo((long) kk * n + p * nr, packed, dst, cols);
                }
            }
        }
    }

    /**
     * 16-bit panels (bf16, or f16 when {@code f16}) of the weight {@code w} [K, N] ([N, K] transposed),
     * or of the pair gate, up (up not null: the dual kernels' shared panels). Panels are {@code nr}
     * columns wide for one weight, {@code nr} of each for a pair, so {@code lanes} ints per k either way:
     * int j of row k of panel p holds slot j in its low 16 bits and slot {@code lanes + j} in its high
     * 16 bits, slot s being column p * nr + s of w (one weight, nr = 2 lanes), or column p * nr + s of
     * gate for s below lanes and of up for the rest (a pair, nr = lanes). Columns past N are zero.
     */
    public static float[] panels16(float[] w, StoredTensor wStored, float[] up, StoredTensor upStored, boolean f16, int k, int n,
                                   int nr, int lanes, boolean transposed, Parallel par) {
        boolean pair = up != null || upStored != null;
        if (pair ? nr != lanes : nr != 2 * lanes) {
            throw new IllegalArgumentException("16-bit panels are two vectors wide: nr " + nr + ", lanes " + lanes);
        }
        Source a = new Source(w, wStored);
        Source b = pair ? new Source(up, upStored) : a;
        long size = (long) panelCount(n, nr) * k * lanes;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("packed weight of " + size + " floats is too large");
        }
        float[] packed = new float[(int) size];
        par.forRange(panelCount(n, nr), 4, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                for (int kk = 0; kk < k; kk++) {
                    int dst = (p * k + kk) * lanes;
                    for (int j = 0; j < lanes; j++) {
                        int lo = bits16(a, p * nr + j, kk, k, n, transposed, f16);
                        int hi = pair ? bits16(b, p * nr + j, kk, k, n, transposed, f16) : bits16(a, p * nr + lanes + j, kk, k, n, transposed, f16);
                        // A float holding two 16-bit values is a NaN only if its high half is an Inf or NaN
                        // weight, and quieting one sets a mantissa bit of that NaN: every value survives.
                        packed[dst + j] = Float.intBitsToFloat(lo | hi << 16);
                    }
                }
            }
        });
        return packed;
    }

    private static int bits16(Source w, int col, int kk, int k, int n, boolean transposed, boolean f16) {
        if (col >= n) {
            return 0;
        }
        return w.bits(transposed ? (long) col * k + kk : (long) kk * n + col, f16);
    }

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
