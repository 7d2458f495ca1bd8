package dev.fusec.cli;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.KernelCompiler;
import dev.fusec.runtime.Program;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The {@code --stats} table: how the kernels were obtained, planned memory, and each step's time and rates. */
final class Stats {
    private Stats() {}

    static List<String> lines(CompiledGraph compiled, Executor ex, double runMs, int threads) {
        List<String> out = new ArrayList<>();
        KernelCompiler.Loaded l = compiled.loaded();
        out.add(String.format(Locale.ROOT, "kernels: %d, %s in %.1f ms, defined as hidden classes in %.1f ms (cache key %s)",
                l.kernels().size(), l.cacheHit() ? "loaded from the cache" : "compiled by javac", l.compileMs(), l.loadMs(),
                l.cacheKey().substring(0, 12)));
        Program p = ex.program();
        long inputs = 0;
        long outputs = 0;
        for (Program.Value v : p.values()) {
            if (v.kind() == Program.Kind.INPUT) {
                inputs += 4L * v.size();
            } else if (v.kind() == Program.Kind.OUTPUT) {
                outputs += 4L * v.size();
            }
        }
        out.add(String.format(Locale.ROOT, "memory: intermediates %s in %d planned buffer(s); inputs %s; outputs %s",
                bytes(ex.plan().pooledBytes()), ex.plan().slotSizes().length, bytes(inputs), bytes(outputs)));
        out.add(String.format(Locale.ROOT, "run: %.2f ms on %d thread(s) (first run: includes weight packing and JIT warm-up)",
                runMs, threads));
        out.add(String.format(Locale.ROOT, "  %-40s %10s %12s %10s %10s", "step", "ms", "bytes", "GB/s", "GFLOP/s"));
        long[] nanos = ex.stepNanos();
        for (int i = 0; i < p.steps().size(); i++) {
            Program.Step s = p.steps().get(i);
            double sec = nanos[i] / 1e9;
            out.add(String.format(Locale.ROOT, "  %-40s %10.3f %12s %10.2f %10.2f", s.label(), nanos[i] / 1e6, bytes(s.bytes()),
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
