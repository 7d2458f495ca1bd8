package dev.fusec.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges across a fixed set of worker threads; kernels call {@link #forRange}. With one
 * thread everything runs on the caller, with no hand-off cost.
 *
 * <p>A worker that finishes its share watches for the next job for {@link #SPIN_NANOS} before it
 * parks. Waking a parked thread on these VMs took 20 us at the median, 200 us at the 90th
 * percentile and up to 1.7 ms (measured: 350 back-to-back two-thread calls), which is most of a
 * 1.3 ms decode call; the kernels of one graph run follow each other within microseconds, so a
 * worker that waits briefly finds the next kernel's job without being woken.
 */
public final class Parallel implements AutoCloseable {
    /** One contiguous chunk of work: indices {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** Pieces per thread: enough that a worker that wakes late leaves little for the others to wait on. */
    private static final int PIECES_PER_THREAD = 4;

    /** How long an idle worker watches for the next job before it parks. */
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    /**
     * The latest job, cleared by its caller when it is done; every worker runs each job it sees once
     * (a job with nothing left to take returns at once).
     */
    private final AtomicReference<Runnable> job = new AtomicReference<>();
    /** Bumped with every new job, so a worker can tell a new one from the one it last ran. */
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean closed;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Thread(this::work, "fusec-worker-" + (i + 1));
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    private void work() {
        long seen = 0;
        while (!closed) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (generation.get() == seen && !closed) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = generation.get();
            Runnable r = job.get();
            if (r != null && !closed) {
                r.run();
            }
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)}, every index exactly once, in contiguous pieces of at
     * least {@code grain} indices (one piece when the range is shorter), at most {@code 4 * threads}
     * of them, their lengths differing by one at most.
     * The caller and the workers take pieces from a shared counter until none are left, so a worker
     * that wakes late (a parked thread on a VM can take a millisecond) takes fewer pieces instead of
     * making everyone wait for its fixed share. Kernels must not depend on which thread runs which
     * piece, or on how the range was cut.
     */
    public void forRange(int n, int grain, Range body) {
        int g = Math.max(grain, 1);
        int helpers = Math.min(threads, n / g) - 1;
        if (helpers < 1 || workers.length == 0) {
            body.run(0, n);
            return;
        }
        int pieces = Math.min(n / g, PIECES_PER_THREAD * threads);
        int base = n / pieces;
        int longer = n % pieces;
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            for (int i = next.getAndIncrement(); i < pieces; i = next.getAndIncrement()) {
                try {
                    // The first n % pieces pieces are one longer, so threads that take pieces in turn get
                    // shares within one index of each other: 28 panels in 8 pieces are 4 4 4 4 3 3 3 3,
                    // 14 for each of two threads, where pieces of ceil(28 / 8) = 4 made 16 and 12.
                    int from = i * base + Math.min(i, longer);
                    int to = from + base + (i < longer ? 1 : 0);
                    if (failure.get() == null) {
                        body.run(from, to);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        };
        // Publish, then wake the workers that parked; one that is still spinning sees the new
        // generation by itself (an unpark it does not need only makes one later park return early).
        job.set(drain);
        generation.incrementAndGet();
        for (Thread w : workers) {
            LockSupport.unpark(w);
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
        job.compareAndSet(drain, null); // the job holds the kernel's arrays
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
        closed = true;
        job.set(null);
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
