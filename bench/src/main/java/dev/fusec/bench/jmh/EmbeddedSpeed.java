package dev.fusec.bench.jmh;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * Not a JMH benchmark: a plain main that times one graph of bench/graphs, fused, in whatever JVM it
 * is started in, so bench/embedded-check can set a JVM with fusec's options (jvm-options.txt) beside
 * a plain {@code java --add-modules jdk.incubator.vector} one, as a program that embeds fusec starts.
 * Inputs rotate through copies as in JMH's runs ({@link GraphRun}).
 *
 * <p>Usage: {@code EmbeddedSpeed GRAPH THREADS T...}; one line per T: the median, min and max ms of the
 * timed runs, after a warm-up that lasts until the JIT has been idle for a while (or a time limit), and
 * the process's CPU ms and allocated bytes per timed run. On a host shared with other work the wall
 * times move with the neighbours' load; CPU time per run moves less, and the bytes not at all: boxed
 * vectors, which a kernel C2 compiled without inlining a VectorMath call makes, show up there as
 * kilobytes to megabytes per run.
 */
public final class EmbeddedSpeed {
    private EmbeddedSpeed() {}

    /**
     * Warm-up: at least this long ({@code -Dwarmup.ms=N} for longer: in a JVM without the warm-up options
     * a kernel's entry point is still C1 code after a thousand decode steps, C2's after some 5,000), then
     * until the JIT compiled nothing for {@link #QUIET_MS}, at most {@link #WARMUP_LIMIT_MS} past the minimum.
     */
    private static final long WARMUP_MIN_MS = Long.getLong("warmup.ms", 3000);
    private static final long QUIET_MS = 500;
    private static final long WARMUP_LIMIT_MS = WARMUP_MIN_MS + 12000;
    /** Timed runs: this many, or fewer when they take longer than {@link #TIMED_LIMIT_MS} (10 at least). */
    private static final int TIMED_RUNS = 200;
    private static final long TIMED_LIMIT_MS = 3000;

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EmbeddedSpeed GRAPH THREADS T...");
            System.exit(2);
        }
        String graph = args[0];
        int threads = Integer.parseInt(args[1]);
        for (int i = 2; i < args.length; i++) {
            long tokens = Long.parseLong(args[i]);
            try (GraphRun run = new GraphRun(graph, tokens, "fused", threads)) {
                long t0 = System.nanoTime();
                run.run();
                double firstMs = (System.nanoTime() - t0) / 1e6;
                int warmups = warmUp(run);
                double warmupS = (System.nanoTime() - t0) / 1e9;
                long cpu0 = cpuNanos();
                long bytes0 = allocatedBytes();
                double[] ms = timed(run);
                double cpuMs = (cpuNanos() - cpu0) / 1e6 / ms.length;
                double bytes = (double) (allocatedBytes() - bytes0) / ms.length;
                Arrays.sort(ms);
                System.out.printf(Locale.ROOT, "%s T=%d threads=%d  median %.3f ms  min %.3f  max %.3f  cpu %.3f ms  alloc %.0f B"
                                + "  (%d timed runs; first run %.0f ms, warm-up %d runs in %.1f s)%n", graph, tokens, threads,
                        ms[ms.length / 2], ms[0], ms[ms.length - 1], cpuMs, bytes, ms.length, firstMs, warmups, warmupS);
            }
        }
    }

    private static int warmUp(GraphRun run) {
        long start = System.nanoTime();
        long quietSince = start;
        long compiled = jitMillis();
        int runs = 0;
        while (true) {
            run.run();
            runs++;
            long now = System.nanoTime();
            long after = jitMillis();
            if (after != compiled) {
                compiled = after;
                quietSince = now;
            }
            boolean minDone = now - start >= WARMUP_MIN_MS * 1_000_000;
            if (minDone && now - quietSince >= QUIET_MS * 1_000_000 || now - start >= WARMUP_LIMIT_MS * 1_000_000) {
                return runs;
            }
        }
    }

    private static double[] timed(GraphRun run) {
        double[] ms = new double[TIMED_RUNS];
        long start = System.nanoTime();
        int n = 0;
        while (n < TIMED_RUNS && (n < 10 || System.nanoTime() - start < TIMED_LIMIT_MS * 1_000_000)) {
            long t0 = System.nanoTime();
            run.run();
            ms[n++] = (System.nanoTime() - t0) / 1e6;
        }
        return Arrays.copyOf(ms, n);
    }

    /** CPU time of the whole process: the workers, and the GC that boxed vectors would keep busy. */
    private static long cpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Bytes allocated by every live thread so far. */
    private static long allocatedBytes() {
        return ((ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    private static long jitMillis() {
        return ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    }
}
