package dev.fusec.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.fusec.runtime.OutputFiles;
import dev.fusec.runtime.Parallel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's measured limits for a thread count: streaming memory bandwidth (STREAM-like copy
 * and triad over arrays several times the last-level cache) and FMA throughput (independent vector
 * accumulators, so the FMA units never wait on a result). Measured once per machine, JDK and thread
 * count, and cached as a small JSON file beside the kernel cache.
 *
 * @param memGbps    the better of copy and triad, STREAM's byte counting (no write-allocate)
 * @param peakGflops FMA throughput, 2 FLOPs per lane per FMA
 */
public record MachineLimits(String cpu, int threads, double copyGbps, double triadGbps, double memGbps,
                            double peakGflops, String species, boolean fromCache) {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ACCUMULATORS = 12;

    /** Cached limits for {@code threads}, measured now when there are none (or {@code remeasure}). */
    public static MachineLimits forThreads(int threads, Path cacheDir, boolean remeasure) {
        String cpu = cpuName();
        Path file = cacheDir.resolve("limits-" + key(cpu, threads) + ".json");
        if (!remeasure) {
            try {
                MachineLimits cached = parse(Files.readString(file), cpu, threads);
                if (cached != null) {
                    return cached;
                }
            } catch (IOException | RuntimeException missingOrCorrupt) {
                // Measure afresh below.
            }
        }
        MachineLimits m = measure(cpu, threads);
        try {
            Files.createDirectories(cacheDir);
            OutputFiles.write(file, m.toJson().getBytes(StandardCharsets.UTF_8));
        } catch (IOException unwritable) {
            // The next run measures again; nothing else depends on the file.
        }
        return m;
    }

    static MachineLimits measure(String cpu, int threads) {
        try (Parallel par = new Parallel(threads)) {
            double[] bw = bandwidth(par);
            double fma = fmaThroughput(par);
            return new MachineLimits(cpu, threads, bw[0], bw[1], Math.max(bw[0], bw[1]), fma, S.toString(), false);
        }
    }

    /** Best-of copy and triad GB/s over three arrays sized well past the last-level cache (the first pass is not counted). */
    private static double[] bandwidth(Parallel par) {
        StreamProbe probe = new StreamProbe(par);
        double copy = 0;
        double triad = 0;
        for (int round = 0; round < 6; round++) {
            double c = probe.copy(par);
            double t = probe.triad(par);
            if (round > 0) {
                copy = Math.max(copy, c);
                triad = Math.max(triad, t);
            }
        }
        return new double[] {copy, triad};
    }

    /** GFLOP/s of independent vector FMAs on every thread, best of a few rounds. */
    private static double fmaThroughput(Parallel par) {
        int iterations = 1 << 22;
        double best = 0;
        float[] sink = new float[par.threads()];
        for (int round = 0; round < 6; round++) {
            long t0 = System.nanoTime();
            par.forRange(par.threads(), 1, (from, to) -> {
                for (int t = from; t < to; t++) {
                    sink[t] = fmaLoop(iterations);
                }
            });
            long t1 = System.nanoTime();
            if (round > 0) {
                best = Math.max(best, 2.0 * ACCUMULATORS * S.length() * (double) iterations * par.threads() / (t1 - t0));
            }
        }
        if (Float.isNaN(sink[0])) {
            throw new IllegalStateException("unreachable: keeps the result alive");
        }
        return best;
    }

    private static float fmaLoop(int iterations) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f);
        FloatVector k = FloatVector.broadcast(S, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(m, k);
            a1 = a1.fma(m, k);
            a2 = a2.fma(m, k);
            a3 = a3.fma(m, k);
            a4 = a4.fma(m, k);
            a5 = a5.fma(m, k);
            a6 = a6.fma(m, k);
            a7 = a7.fma(m, k);
            a8 = a8.fma(m, k);
            a9 = a9.fma(m, k);
            a10 = a10.fma(m, k);
            a11 = a11.fma(m, k);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }

    /** The last-level cache size from sysfs, or 32 MiB when it cannot be read. */
    public static long lastLevelCacheBytes() {
        long best = 32L << 20;
        for (int index = 0; index < 8; index++) {
            Path size = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index + "/size");
            try {
                String s = Files.readString(size).strip();
                long v = Long.parseLong(s.replaceAll("[^0-9]", ""));
                long bytes = s.endsWith("K") ? v << 10 : s.endsWith("M") ? v << 20 : v;
                best = index == 0 ? bytes : Math.max(best, bytes);
            } catch (IOException | NumberFormatException e) {
                break;
            }
        }
        return best;
    }

    /**
     * The CPU as /proc/cpuinfo names it, with its family, model and stepping where it gives them, and
     * the processor count. The part of the key that tells machines apart: a virtual machine's model
     * name can be as bare as "AMD EPYC" on hosts of different generations (seen here: Zen 4, whose
     * 512-bit FMA runs as two halves, and Zen 5, with twice its FMA throughput, both "AMD EPYC"),
     * and limits measured on one must not be read back on the other.
     */
    static String cpuName() {
        try {
            return describe(Files.readAllLines(Path.of("/proc/cpuinfo")), Runtime.getRuntime().availableProcessors());
        } catch (IOException | RuntimeException e) {
            // Not Linux: fall through to the JVM's description.
        }
        return System.getProperty("os.arch") + " x" + Runtime.getRuntime().availableProcessors();
    }

    /** The first processor's description from /proc/cpuinfo lines; throws when there is no model name. */
    static String describe(List<String> cpuinfo, int processors) {
        String name = null;
        List<String> id = new ArrayList<>();
        for (String line : cpuinfo) {
            if (line.isBlank() && name != null) {
                break; // the end of the first processor's block
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String field = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            switch (field) {
                case "model name" -> name = value;
                case "cpu family" -> id.add("family " + value);
                case "model" -> id.add("model " + value);
                case "stepping" -> id.add("stepping " + value);
                default -> { }
            }
        }
        if (name == null) {
            throw new IllegalArgumentException("no model name in /proc/cpuinfo");
        }
        return name + (id.isEmpty() ? "" : " (" + String.join(", ", id) + ")") + " x" + processors;
    }

    private static String key(String cpu, int threads) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((cpu + "|" + Runtime.version() + "|" + S + "|" + lastLevelCacheBytes() + "|thp=" + hugePages())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 16) + "-t" + threads;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether this JVM backs its heap with transparent huge pages (the launcher asks for them where
     * Linux offers them). Part of the cache key: bandwidth measured with 4 KiB pages is not the
     * limit of a run with 2 MiB pages.
     */
    private static String hugePages() {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("UseTransparentHugePages").getValue();
        } catch (RuntimeException | LinkageError notHotSpot) {
            return "unknown";
        }
    }

    String toJson() {
        return String.format(Locale.ROOT, "{\"cpu\": \"%s\", \"threads\": %d, \"copy_gbps\": %.3f, \"triad_gbps\": %.3f, "
                        + "\"mem_gbps\": %.3f, \"peak_gflops\": %.3f, \"species\": \"%s\"}%n",
                cpu.replace("\\", "\\\\").replace("\"", "\\\""), threads, copyGbps, triadGbps, memGbps, peakGflops, species);
    }

    private static MachineLimits parse(String json, String cpu, int threads) {
        double copy = number(json, "copy_gbps");
        double triad = number(json, "triad_gbps");
        double mem = number(json, "mem_gbps");
        double peak = number(json, "peak_gflops");
        if (!(mem > 0 && peak > 0) || (int) number(json, "threads") != threads) {
            return null;
        }
        return new MachineLimits(cpu, threads, copy, triad, mem, peak, S.toString(), true);
    }

    private static double number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*([0-9.eE+-]+)").matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
