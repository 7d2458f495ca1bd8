package dev.fusec.bench;

import dev.fusec.runtime.Parallel;

/**
 * STREAM-like copy and triad over three arrays sized well past the last-level cache, one pass per
 * call. {@link MachineLimits} takes the best of several passes as the machine's limit; a benchmark
 * of a memory-bound graph also times one triad pass per round, between its modes, so each row can be
 * set against what the memory system gave during the same rounds (on a shared host, other tenants'
 * traffic can take half of it).
 */
final class StreamProbe {
    private static final int GRAIN = 1 << 16;

    private final float[] a;
    private final float[] b;
    private final float[] c;

    StreamProbe(Parallel par) {
        int n = (int) Math.min(1L << 27, Math.max(1L << 25, 4 * MachineLimits.lastLevelCacheBytes() / Float.BYTES));
        a = new float[n];
        b = new float[n];
        c = new float[n];
        par.forRange(n, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                b[i] = i & 1023;
                c[i] = 1f;
            }
        });
    }

    /** One copy pass, GB/s with STREAM's counting (8 bytes per element, no write-allocate). */
    double copy(Parallel par) {
        long t0 = System.nanoTime();
        par.forRange(a.length, GRAIN, (from, to) -> System.arraycopy(b, from, a, from, to - from));
        return gbps(2, System.nanoTime() - t0);
    }

    /** One triad pass a = b + 3c, GB/s with STREAM's counting (12 bytes per element). */
    double triad(Parallel par) {
        long t0 = System.nanoTime();
        par.forRange(a.length, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                a[i] = b[i] + 3f * c[i];
            }
        });
        return gbps(3, System.nanoTime() - t0);
    }

    private double gbps(int arrays, long nanos) {
        if (a[a.length / 2] < 0) {
            throw new IllegalStateException("unreachable: keeps the stores alive");
        }
        return (double) arrays * a.length * Float.BYTES / Math.max(nanos, 1);
    }
}
