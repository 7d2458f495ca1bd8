package dev.fusec.bench;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.codegen.Cost;
import dev.fusec.codegen.Species;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * Fused vs unfused (vs peers) on one graph and binding, measured honestly:
 * <ol>
 *   <li>every mode gets the same inputs; when they fit in twice the last-level cache, several copies
 *       are made and rotated, so a decode step reads its weights from memory as a real model would;</li>
 *   <li>each mode is run once on every copy (weight packing), then warmed up for a number of rounds
 *       and at least a stretch of time, since C2 needs wall time, not calls: on two busy cores a
 *       decode step of 1-2 ms still ran at 20-150 ms in some of its first dozen calls; then a full
 *       collection, so no set-up garbage is collected during the timed rounds, and more untimed rounds
 *       until the JIT has been idle for a while ({@link #settle}), so no compile runs beside the
 *       first timed rounds (the JIT's time within the timed rounds is reported). The modes are then
 *       timed in interleaved rounds whose order turns (A B C, B C A, C A B), so drift and
 *       neighbours' noise hit every mode alike and no mode always follows the same other one;</li>
 *   <li>bytes and FLOPs are counted from shapes (compulsory traffic: every input read once, every
 *       output written once), the same for every mode, and compared with the limit that binds;</li>
 *   <li>a memory-bound graph also gets a live limit: one STREAM triad pass at the start of every
 *       round, so the rows can be set against what the memory system gave in the same rounds;</li>
 *   <li>a mode's speed-up over unfused is taken round by round ({@link SpeedUp}): the median of the
 *       ratios of times from the same round, with a 95% interval, so a difference of a few percent
 *       between two modes that stream the same bytes can be told from the noise.</li>
 * </ol>
 */
public final class Benchmark {
    private Benchmark() {}

    /** The JIT must have been idle this long (and for a whole round) before the timed rounds start. */
    private static final long SETTLE_QUIET_MS = 100;
    /** The settling after the warm-up's collection stops after this many warm-up times even if the JIT is not idle. */
    private static final long SETTLE_LIMIT_WARMUPS = 4;

    /** One way of running the graph: a mode of fusec, or a peer. */
    public interface Runner extends AutoCloseable {
        String mode();

        /** Runs once on input copy {@code copy}. */
        void run(int copy);

        /** The outputs of the last run on copy 0, for cross-checking modes. */
        Map<String, Tensor> outputs();

        @Override
        void close();
    }

    /**
     * One mode's times; {@code speedup} is over unfused, from the rounds that timed both;
     * {@code pctOfLive} is NaN unless the graph is memory-bound; {@code roundMs} is every timed run,
     * in round order (the same index is the same round in every row).
     */
    public record Row(String mode, double medianMs, double minMs, double maxMs, double gbps, double gflops,
                      SpeedUp speedup, double pctOfLimit, double pctOfLive, double maxRelDiff, double[] roundMs) {}

    /**
     * {@code liveMemGbps}: for a memory-bound graph, the median of the STREAM triad passes timed
     * between the modes in the same rounds (what the memory system gave while the rows were timed);
     * NaN otherwise. {@code warmup} counts every untimed round; {@code jitMillisTimed} is the time the
     * JIT spent compiling while the rounds were timed (-1 where the JVM does not say).
     */
    public record Result(String graph, Map<String, Long> dims, int threads, int copies, long bytes, long flops,
                         boolean memoryBound, MachineLimits limits, double liveMemGbps, List<Row> rows, int runs, int warmup,
                         long jitMillisTimed, Map<String, String> notRun) {}

    /** Settings of one benchmark run: {@code warmup} rounds at least, and more until {@code warmupMillis} have passed. */
    public record Settings(int threads, int runs, int warmup, long warmupMillis, long seed, boolean withPeers, KernelCache cache) {}

    /**
     * Peers are created by a factory so this class does not depend on any peer's library. A factory
     * whose peer cannot run the graph at all (ONNX has no bf16 that rounds like fusec's) throws
     * {@link PeerUnavailable}: fusec's own modes are still timed, and the reason is reported in place
     * of the peer's row.
     */
    public interface PeerFactory {
        Runner create(Graph unfused, List<Map<String, Tensor>> inputCopies, int threads);
    }

    /** A peer that cannot run this graph, and why (one line, for the report). */
    public static final class PeerUnavailable extends RuntimeException {
        private final String mode;

        public PeerUnavailable(String mode, String reason) {
            super(reason);
            this.mode = mode;
        }

        public String mode() {
            return mode;
        }
    }

    /**
     * How many copies of inputs of {@code inputBytes} a timing loop rotates through so that each run
     * reads them from memory, as a model's weights are read, not from a last-level cache the previous
     * run left them in: enough to cover twice that cache, at most 8. (The JMH benchmarks use it too.)
     */
    public static int inputCopies(long inputBytes) {
        long llc = MachineLimits.lastLevelCacheBytes();
        return (int) Math.max(1, Math.min(8, (2 * llc + inputBytes - 1) / Math.max(inputBytes, 1)));
    }

    /** The bytes of a graph's inputs at {@code dims} (4 per element: fusec keeps every dtype in f32 arrays). */
    public static long inputBytes(Graph g, Map<String, Long> dims) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        long bytes = 0;
        for (Param p : g.inputs()) {
            bytes += 4 * count(types.get(p.name()), dims);
        }
        return bytes;
    }

    public static Result run(Graph g, Map<String, Long> dims, Settings s, MachineLimits limits, List<PeerFactory> peers) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        long inputBytes = inputBytes(g, dims);
        long outputBytes = 0;
        for (Param p : g.outputs()) {
            outputBytes += 4 * count(types.get(p.name()), dims);
        }
        long flops = 0;
        for (Node n : g.nodes()) {
            flops += Cost.flops(n, types, dims);
        }
        int copies = inputCopies(inputBytes);
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            inputs.add(RandomInputs.generate(g, dims, s.seed() + c, Map.of()));
        }
        List<Runner> runners = new ArrayList<>();
        Map<String, String> notRun = new LinkedHashMap<>();
        try (Parallel par = new Parallel(s.threads())) {
            runners.add(fusec("fused", Pipeline.fuse(g), dims, inputs, par, s.cache()));
            runners.add(fusec("unfused", g, dims, inputs, par, s.cache()));
            if (s.withPeers()) {
                for (PeerFactory f : peers) {
                    try {
                        runners.add(f.create(g, inputs, s.threads()));
                    } catch (PeerUnavailable e) {
                        notRun.put(e.mode(), e.getMessage());
                    }
                }
            }
            return time(g.name(), dims, s, limits, runners, notRun, copies, inputBytes + outputBytes, flops, par);
        } finally {
            runners.forEach(Runner::close);
        }
    }

    /**
     * The timing of {@code runners} (fused, unfused, then peers) over {@code copies} input copies, for
     * work of {@code bytes} and {@code flops}: the warm-up, settling and interleaved rounds above.
     */
    static Result time(String graph, Map<String, Long> dims, Settings s, MachineLimits limits, List<Runner> runners,
                       Map<String, String> notRun, int copies, long bytes, long flops, Parallel par) {
        {
            boolean memoryBound = (double) flops / bytes < limits.peakGflops() / limits.memGbps();
            StreamProbe probe = memoryBound ? new StreamProbe(par) : null;
            double[] live = new double[memoryBound ? s.runs() : 0];
            double[][] times = new double[runners.size()][s.runs()];
            // One round per copy first (packing the weights, the first calls); the warm-up clock starts
            // after it, because on a large model packing alone can take longer than --warmup-ms.
            for (int c = 0; c < copies; c++) {
                for (Runner r : runners) {
                    r.run(c);
                }
            }
            int warmupRounds = copies;
            for (long end = System.nanoTime() + s.warmupMillis() * 1_000_000L;
                    warmupRounds < s.warmup() || System.nanoTime() < end; warmupRounds++) {
                untimedRound(runners, probe, par, warmupRounds % copies);
            }
            // Collect the set-up's garbage (random inputs, the ONNX model bytes, interpreter arrays) now:
            // left to G1, its mixed collections landed in timed rounds as 19-27 ms pauses.
            System.gc();
            // Then settle: a compile on the other core slowed a two-thread decode step's first timed round by 10-40%.
            if (s.warmupMillis() > 0) {
                int first = warmupRounds;
                warmupRounds += settle(i -> untimedRound(runners, probe, par, (first + i) % copies), Benchmark::jitMillis,
                        System::nanoTime, SETTLE_QUIET_MS * 1_000_000L, SETTLE_LIMIT_WARMUPS * s.warmupMillis() * 1_000_000L);
            }
            long jitBefore = jitMillis();
            for (int round = 0; round < s.runs(); round++) {
                if (probe != null) {
                    live[round] = probe.triad(par);
                }
                // The order turns each round (A B C, B C A, C A B, ...), so no mode always runs right
                // after the same other one (a peer's threads winding down, its cache footprint).
                for (int j = 0; j < runners.size(); j++) {
                    int i = (j + round) % runners.size();
                    long t0 = System.nanoTime();
                    runners.get(i).run(round % copies);
                    times[i][round] = (System.nanoTime() - t0) / 1e6;
                }
            }
            long jitDuring = jitBefore < 0 ? -1 : jitMillis() - jitBefore;
            for (Runner r : runners) {
                r.run(0);
            }
            Map<String, Tensor> reference = runners.get(1).outputs();
            double liveGbps = memoryBound ? median(live) : Double.NaN;
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < runners.size(); i++) {
                double med = median(times[i]);
                double gbps = bytes / med / 1e6;
                double gflops = flops / med / 1e6;
                double pct = 100 * (memoryBound ? gbps / limits.memGbps() : gflops / limits.peakGflops());
                rows.add(new Row(runners.get(i).mode(), med, Arrays.stream(times[i]).min().orElse(0),
                        Arrays.stream(times[i]).max().orElse(0), gbps, gflops, SpeedUp.of(times[1], times[i]), pct, 100 * gbps / liveGbps,
                        maxRelDiff(runners.get(i).outputs(), reference), times[i]));
            }
            return new Result(graph, new LinkedHashMap<>(dims), s.threads(), copies, bytes, flops,
                    memoryBound, limits, liveGbps, rows, s.runs(), warmupRounds, jitDuring, Collections.unmodifiableMap(notRun));
        }
    }

    private static Runner fusec(String mode, Graph graph, Map<String, Long> dims, List<Map<String, Tensor>> inputs,
                                Parallel par, KernelCache cache) {
        CompiledGraph compiled = CompiledGraph.compile(graph, Species.preferred(), cache);
        List<Executor> executors = new ArrayList<>();
        for (int c = 0; c < inputs.size(); c++) {
            executors.add(compiled.executor(dims));
        }
        return new Runner() {
            private Map<String, Tensor> last = Map.of();

            public String mode() {
                return mode;
            }

            public void run(int copy) {
                Map<String, Tensor> out = compiled.run(executors.get(copy), inputs.get(copy), par);
                if (copy == 0) {
                    last = out;
                }
            }

            public Map<String, Tensor> outputs() {
                return last;
            }

            public void close() {
            }
        };
    }

    /**
     * Runs {@code round} (given its index) until the JIT has compiled nothing for a whole round and at
     * least {@code quietNanos}, or until {@code limitNanos} have passed; returns how many rounds ran
     * (one at least). {@code jitMillis} is the JIT's running total of compile time.
     */
    static int settle(IntConsumer round, LongSupplier jitMillis, LongSupplier clock, long quietNanos, long limitNanos) {
        long start = clock.getAsLong();
        long quietSince = start;
        long compiled = jitMillis.getAsLong();
        for (int rounds = 1; ; rounds++) {
            round.accept(rounds - 1);
            long now = clock.getAsLong();
            long after = jitMillis.getAsLong();
            if (after != compiled) {
                compiled = after;
                quietSince = now;
            } else if (now - quietSince >= quietNanos) {
                return rounds;
            }
            if (now - start >= limitNanos) {
                return rounds;
            }
        }
    }

    /** Every mode once, untimed, after the live probe's pass where there is one (so the probe is compiled too). */
    private static void untimedRound(List<Runner> runners, StreamProbe probe, Parallel par, int copy) {
        if (probe != null) {
            probe.triad(par);
        }
        for (Runner r : runners) {
            r.run(copy);
        }
    }

    /** Milliseconds the JIT has spent compiling since the JVM started, or -1 where the JVM does not say. */
    private static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length == 0 ? 0 : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** max |a - b| / max(1e-30, max |b|) over every output. */
    static double maxRelDiff(Map<String, Tensor> a, Map<String, Tensor> b) {
        double worst = 0;
        for (var e : b.entrySet()) {
            float[] x = a.get(e.getKey()).data();
            float[] y = e.getValue().data();
            double scale = 1e-30;
            for (float v : y) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < y.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
            }
        }
        return worst;
    }

    private static long count(TensorType t, Map<String, Long> dims) {
        long c = 1;
        for (var d : t.shape().dims()) {
            c *= d.evaluate(dims).orElseThrow();
        }
        return c;
    }
}
