package dev.fusec.runtime;

import java.util.Arrays;

/**
 * Working arrays a kernel needs for the length of one call, kept per thread and reused by that
 * thread's next call. A fresh array per call lands on
 * pages the process has never touched until the young generation has filled once, and the page
 * faults that zero them cost the bias backward on [1024, 22016] an eighth of its time (its 1.4 MiB
 * of db sums per call, in a {@code perf} profile of {@code fusec bench}).
 *
 * <p>A buffer is valid until the same thread asks for it again: a kernel takes it at the start of
 * a call and is done with it when the call returns. Sums, rows and strided copies are separate
 * buffers (and derivatives a fourth), so a thread can hold one of each: the thread that calls a matmul holds its strided copy
 * of A for the whole call while, as one of the workers, it takes rows for gate-up's up tile.
 */
public final class Scratch {
    private Scratch() {}

    private static final ThreadLocal<float[]> SUMS = new ThreadLocal<>();
    private static final ThreadLocal<float[]> ROWS = new ThreadLocal<>();
    private static final ThreadLocal<float[]> STRIDED = new ThreadLocal<>();
    private static final ThreadLocal<float[]> DERIVATIVES = new ThreadLocal<>();

    /** At least {@code n} floats, the first {@code n} zero: for sums a call accumulates. */
    public static float[] zeroed(int n) {
        float[] a = atLeast(SUMS, n);
        Arrays.fill(a, 0, n, 0f);
        return a;
    }

    /** At least {@code n} floats of no particular value: for rows a call writes before it reads them. */
    public static float[] rows(int n) {
        return atLeast(ROWS, n);
    }

    /**
     * At least {@code n} floats of no particular value, for a row of activation derivatives a GELU
     * backward kernel computes before the row's step (beside the row of fp8-rounded input in {@link #rows}).
     */
    public static float[] derivatives(int n) {
        return atLeast(DERIVATIVES, n);
    }

    /** At least {@code n} floats of no particular value, for {@link Packing#strideRows}'s copy. */
    static float[] strided(int n) {
        return atLeast(STRIDED, n);
    }

    private static float[] atLeast(ThreadLocal<float[]> slot, int n) {
        float[] a = slot.get();
        if (a == null || a.length < n) {
            a = new float[n];
            slot.set(a);
        }
        return a;
    }
}
