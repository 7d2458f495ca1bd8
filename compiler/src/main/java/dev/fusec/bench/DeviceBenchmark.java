package dev.fusec.bench;

import dev.fusec.codegen.Cost;
import dev.fusec.codegen.opencl.OpenClGraph;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Program;
import dev.fusec.runtime.Tensor;
import dev.fusec.runtime.opencl.ClDevice;
import dev.fusec.runtime.opencl.DeviceBuffer;
import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.ProgramCache;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fused against unfused on an OpenCL device:
 * <ol>
 *   <li>both modes get the same seeded inputs, uploaded once (the device buffers of each mode's
 *       executor live across its runs, as a model's weights do);</li>
 *   <li>the device's copy bandwidth is measured first, in the same process: clEnqueueCopyBuffer of
 *       a large buffer, bytes read plus bytes written over its event's time, the median of ten;</li>
 *   <li>after the warm-up rounds, the modes alternate round by round (fused first in even rounds), and
 *       each run's time is device time from its profiling events: from the first kernel's start to
 *       the last kernel's end, so host enqueue time is not counted, but gaps between kernels are;</li>
 *   <li>bytes and FLOPs are counted from shapes (every input read once, every output written once),
 *       the same for both modes; what each mode's kernels actually move (its traffic: every kernel's
 *       operands and results) and how many launches it takes are reported beside them, since that is
 *       what fusion changes.</li>
 * </ol>
 */
public final class DeviceBenchmark {
    private DeviceBenchmark() {}

    /**
     * One mode: device times (ms), rates over the graph's compulsory bytes and FLOPs, speed-up over
     * unfused (the median of the round-by-round ratios), % of the copy bandwidth, kernel launches
     * and traffic per run, device memory held, and the largest difference from unfused.
     */
    public record Row(String mode, double medianMs, double minMs, double maxMs, double kernelMedianMs, double gbps, double gflops,
                      double speedup, double pctOfCopy, int launches, long trafficBytes, long deviceBytes, double maxRelDiff,
                      double[] roundMs) {}

    /** {@code weightBytes}: the inputs with only static dims; {@code copyGbps}: the device's measured copy bandwidth. */
    public record Result(String graph, Map<String, Long> dims, ClDevice device, long bytes, long weightBytes, long flops,
                         double copyGbps, long copyBytes, List<Row> rows, int runs, int warmup) {}

    public static Result run(Graph g, Map<String, Long> dims, DeviceContext ctx, ProgramCache cache, int runs, int warmup, long seed) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        long bytes = 0;
        long weights = 0;
        for (Param p : g.inputs()) {
            long b = 4 * count(types.get(p.name()), dims);
            bytes += b;
            if (p.type().shape().dims().stream().allMatch(Dim::isStatic)) {
                weights += b;
            }
        }
        for (Param p : g.outputs()) {
            bytes += 4 * count(types.get(p.name()), dims);
        }
        long flops = 0;
        for (Node n : g.nodes()) {
            flops += Cost.flops(n, types, dims);
        }
        long copyBytes = copySize(ctx.device());
        double copy = copyBandwidth(ctx, copyBytes, 10);
        Map<String, Tensor> inputs = RandomInputs.generate(g, dims, seed, Map.of());
        List<String> modes = List.of("fused", "unfused");
        List<OpenClGraph> graphs = new ArrayList<>();
        List<OpenClGraph.Bound> bound = new ArrayList<>();
        try {
            graphs.add(OpenClGraph.compile(Pipeline.fuse(g), ctx, cache));
            graphs.add(OpenClGraph.compile(g, ctx, cache));
            for (OpenClGraph cg : graphs) {
                bound.add(cg.executor(dims).allInputsFixed());
            }
            for (int w = 0; w < Math.max(1, warmup); w++) {
                for (OpenClGraph.Bound b : bound) {
                    b.run(inputs, false);
                }
            }
            double[][] span = new double[2][runs];
            double[][] kernels = new double[2][runs];
            for (int round = 0; round < runs; round++) {
                for (int j = 0; j < 2; j++) {
                    int i = (j + round) % 2;
                    bound.get(i).run(inputs, false);
                    span[i][round] = bound.get(i).executor().lastSpanNanos() / 1e6;
                    kernels[i][round] = bound.get(i).executor().lastKernelNanos() / 1e6;
                }
            }
            List<Map<String, Tensor>> outputs = new ArrayList<>();
            for (OpenClGraph.Bound b : bound) {
                outputs.add(b.run(inputs, true));
            }
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                double med = Benchmark.median(span[i]);
                double[] ratios = new double[runs];
                for (int r = 0; r < runs; r++) {
                    ratios[r] = span[1][r] / span[i][r];
                }
                Program p = bound.get(i).executor().program();
                long traffic = p.steps().stream().mapToLong(Program.Step::bytes).sum();
                double gbps = bytes / med / 1e6;
                rows.add(new Row(modes.get(i), med, Arrays.stream(span[i]).min().orElse(0), Arrays.stream(span[i]).max().orElse(0),
                        Benchmark.median(kernels[i]), gbps, flops / med / 1e6, Benchmark.median(ratios),
                        100 * gbps / copy, bound.get(i).executor().launchCount(), traffic,
                        bound.get(i).executor().deviceBytes(), Benchmark.maxRelDiff(outputs.get(i), outputs.get(1)), span[i]));
            }
            return new Result(g.name(), new LinkedHashMap<>(dims), ctx.device(), bytes, weights, flops, copy, copyBytes, rows, runs,
                    Math.max(1, warmup));
        } finally {
            bound.forEach(OpenClGraph.Bound::close);
            graphs.forEach(OpenClGraph::close);
        }
    }

    /** The copy measured: 1 GiB on a GPU (within its allocation limit), 256 MiB on other devices. */
    static long copySize(ClDevice d) {
        long want = d.isGpu() ? 1L << 30 : 1L << 28;
        return Math.max(1 << 20, Math.min(want, Math.min(d.maxAllocBytes(), d.globalMemBytes() / 8)) / 4 * 4);
    }

    /** Device-to-device copy bandwidth, bytes read plus written per second / 1e9, the median of {@code reps} copies. */
    public static double copyBandwidth(DeviceContext ctx, long bytes, int reps) {
        DeviceBuffer a = ctx.allocate(bytes / 4);
        DeviceBuffer b = ctx.allocate(bytes / 4);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate(16, 8);
            ctx.copy(a, b, bytes);
            ctx.finish();
            double[] gbps = new double[reps];
            for (int i = 0; i < reps; i++) {
                MemorySegment ev = ctx.copy(a, b, bytes);
                ctx.finish();
                long[] t = ctx.profile(ev, scratch);
                ctx.releaseEvent(ev);
                gbps[i] = 2.0 * bytes / Math.max(1, t[1] - t[0]);
            }
            return Benchmark.median(gbps);
        } finally {
            ctx.release(a);
            ctx.release(b);
        }
    }

    private static long count(TensorType t, Map<String, Long> dims) {
        long c = 1;
        for (var d : t.shape().dims()) {
            c *= d.evaluate(dims).orElseThrow();
        }
        return c;
    }

    public static String text(Result r) {
        StringBuilder sb = new StringBuilder();
        List<String> dims = new ArrayList<>();
        r.dims().forEach((k, v) -> dims.add(k + "=" + v));
        ClDevice d = r.device();
        sb.append(String.format(Locale.ROOT, "fusec bench %s  %s  backend=opencl  device %d: %s (%s, driver %s)%n", r.graph(),
                String.join(" ", dims), d.index(), d.name(), d.version(), d.driverVersion()));
        sb.append(String.format(Locale.ROOT, "device copy: %.1f GB/s (clEnqueueCopyBuffer of %s, bytes read + written, median of 10)%n",
                r.copyGbps(), mib(r.copyBytes())));
        sb.append(String.format(Locale.ROOT, "work: %s moved (every input read once, every output written once), %.3f GFLOP; weights %s%n",
                mib(r.bytes()), r.flops() / 1e9, mib(r.weightBytes())));
        sb.append(String.format(Locale.ROOT, "%-8s %10s %10s %10s %9s %9s %8s %9s %8s %12s %12s%n", "mode", "median ms", "min ms", "max ms",
                "GB/s", "GFLOP/s", "speed-up", "% of copy", "launches", "traffic", "max rel diff"));
        for (Row row : r.rows()) {
            sb.append(String.format(Locale.ROOT, "%-8s %10.4f %10.4f %10.4f %9.1f %9.1f %7.2fx %8.1f%% %8d %12s %12.2e%n", row.mode(),
                    row.medianMs(), row.minMs(), row.maxMs(), row.gbps(), row.gflops(), row.speedup(), row.pctOfCopy(), row.launches(),
                    mib(row.trafficBytes()), row.maxRelDiff()));
        }
        sb.append(String.format(Locale.ROOT, "device time per run from OpenCL profiling events (first kernel start to last kernel end),"
                + " %d runs per mode after %d warm-up round(s), modes alternating; traffic: what the kernels read and write%n",
                r.runs(), r.warmup()));
        return sb.toString();
    }

    public static String json(Result r) {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"graph\":\"").append(r.graph()).append("\",\"dims\":{");
        List<String> dims = new ArrayList<>();
        r.dims().forEach((k, v) -> dims.add("\"" + k + "\":" + v));
        sb.append(String.join(",", dims)).append("},\"backend\":\"opencl\",\"device\":\"").append(escape(r.device().name()))
                .append("\",\"driver\":\"").append(escape(r.device().driverVersion())).append("\"");
        sb.append(String.format(Locale.ROOT, ",\"copy_gbps\":%.2f,\"bytes\":%d,\"weight_bytes\":%d,\"flops\":%d,\"runs\":%d,\"rows\":[",
                r.copyGbps(), r.bytes(), r.weightBytes(), r.flops(), r.runs()));
        List<String> rows = new ArrayList<>();
        for (Row row : r.rows()) {
            List<String> rounds = new ArrayList<>();
            for (double v : row.roundMs()) {
                rounds.add(String.format(Locale.ROOT, "%.5f", v));
            }
            rows.add(String.format(Locale.ROOT, "{\"mode\":\"%s\",\"median_ms\":%.5f,\"min_ms\":%.5f,\"max_ms\":%.5f,\"kernel_median_ms\":%.5f,"
                            + "\"gbps\":%.2f,\"gflops\":%.2f,\"speedup\":%.4f,\"pct_of_copy\":%.2f,\"launches\":%d,\"traffic_bytes\":%d,"
                            + "\"device_bytes\":%d,\"max_rel_diff\":%.3e,\"round_ms\":[%s]}", row.mode(), row.medianMs(), row.minMs(),
                    row.maxMs(), row.kernelMedianMs(), row.gbps(), row.gflops(), row.speedup(), row.pctOfCopy(), row.launches(),
                    row.trafficBytes(), row.deviceBytes(), row.maxRelDiff(), String.join(",", rounds)));
        }
        return sb.append(String.join(",", rows)).append("]}\n").toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String mib(long b) {
        return b >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.2f MiB", b / (double) (1L << 20));
    }
}
