package dev.fusec.runtime;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits index ranges across a fixed set of worker threads; kernels call {@link #forRange}. With one
 * thread everything runs on the caller, with no hand-off cost.
 */
public final class Parallel implements AutoCloseable {
    /** One contiguous chunk of work: indices {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** Pieces per thread: enough that a worker that wakes late leaves little for the others to wait on. */
    private static final int PIECES_PER_THREAD = 4;

    private final int threads;
    private final ExecutorService pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "fusec-worker");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)}, every index exactly once, in contiguous pieces of at
     * least {@code grain} indices (the last may be shorter), at most {@code 4 * threads} of them.
     * The caller and the workers take pieces from a shared counter until none are left, so a worker
     * that wakes late (a parked thread on a VM can take a millisecond) takes fewer pieces instead of
     * making everyone wait for its fixed share. Kernels must not depend on which thread runs which
     * piece, or on how the range was cut.
     */
    public void forRange(int n, int grain, Range body) {
        int g = Math.max(grain, 1);
        int helpers = Math.min(threads, n / g) - 1;
        if (helpers < 1 || pool == null) {
            body.run(0, n);
            return;
        }
        int pieces = Math.min(n / g, PIECES_PER_THREAD * threads);
        int size = (n + pieces - 1) / pieces;
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            for (int i = next.getAndIncrement(); i < pieces; i = next.getAndIncrement()) {
                try {
                    int from = i * size;
                    if (from < n && failure.get() == null) {
                        body.run(from, Math.min(n, from + size));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        };
        for (int h = 0; h < helpers; h++) {
            pool.execute(drain);
        }
        drain.run();
        // Every piece has been taken; wait only for those still running on a worker: spin a little
        // (a piece is a fraction of a millisecond), then yield, in case there are more threads than cores.
        for (int spins = 0; done.get() < pieces; spins++) {
            if (spins < 10_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
