package dev.fusec.cli;

import dev.fusec.api.CompiledModel;
import dev.fusec.api.Outputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The {@code --stats} table: how the kernels were obtained, planned memory, and each step's time and rates. */
final class Stats {
    private Stats() {}

    static List<String> lines(CompiledModel.KernelInfo k, Outputs run, int threads) {
        return lines(k, run, threads, false);
    }

    /** As above; {@code opencl}: the kernels are one OpenCL program and the times come from its profiling events. */
    static List<String> lines(CompiledModel.KernelInfo k, Outputs run, int threads, boolean opencl) {
        List<String> out = new ArrayList<>();
        String key = k.cacheKey().substring(0, Math.min(12, k.cacheKey().length()));
        if (opencl) {
            out.add(String.format(Locale.ROOT, "kernels: %d OpenCL kernel functions in one program, %s in %.1f ms (cache key %s)",
                    k.count(), k.fromCache() ? "its binary loaded from the cache" : "built from source", k.compileMillis(), key));
        } else {
            out.add(String.format(Locale.ROOT, "kernels: %d, %s in %.1f ms, defined as hidden classes in %.1f ms (cache key %s)",
                    k.count(), k.fromCache() ? "loaded from the cache" : "compiled by javac", k.compileMillis(), k.loadMillis(), key));
        }
        run.memory().ifPresent(m -> out.add(String.format(Locale.ROOT,
                "memory" + (opencl ? " (device)" : "") + ": intermediates %s in %d planned buffer(s); inputs %s; outputs %s",
                bytes(m.pooledBytes()), m.buffers(), bytes(m.inputBytes()), bytes(m.outputBytes()))));
        if (opencl) {
            out.add(String.format(Locale.ROOT, "run: %.2f ms wall (first run: includes uploading the inputs and reading the outputs);"
                    + " step times below are device time from profiling events", run.millis()));
        } else {
            out.add(String.format(Locale.ROOT, "run: %.2f ms on %d thread(s) (first run: includes weight packing and JIT warm-up)",
                    run.millis(), threads));
        }
        out.add(String.format(Locale.ROOT, "  %-40s %10s %12s %10s %10s", "step", "ms", "bytes", "GB/s", "GFLOP/s"));
        for (Outputs.Step s : run.steps()) {
            double sec = s.nanos() / 1e9;
            out.add(String.format(Locale.ROOT, "  %-40s %10.3f %12s %10.2f %10.2f", s.label(), s.nanos() / 1e6, bytes(s.bytes()),
                    sec > 0 ? s.bytes() / sec / 1e9 : 0, sec > 0 ? s.flops() / sec / 1e9 : 0));
        }
        return out;
    }

    static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.2f MiB", b / (double) (1L << 20));
        }
        if (b >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        return b + " B";
    }
}
