package dev.fusec.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** A benchmark result as a table for people, as JSON for scripts, and as a self-contained HTML page with an SVG chart. */
public final class BenchReport {
    private BenchReport() {}

    /** The table mentions the JIT's time within the timed rounds from this share of their time up. */
    private static final double JIT_NOTE_SHARE = 0.01;

    public static String text(Benchmark.Result r) {
        MachineLimits l = r.limits();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "fusec bench %s  %s  threads=%d  %d runs after %d warm-up rounds, modes interleaved in turning order%s%n",
                r.graph(), dims(r.dims()), r.threads(), r.runs(), r.warmup(),
                r.copies() > 1 ? ", inputs rotated over " + r.copies() + " copies (past the last-level cache)" : ""));
        sb.append(String.format(Locale.ROOT, "machine: %s; memory %.1f GB/s (STREAM %s), FMA peak %.1f GFLOP/s, %d thread(s)%s%n",
                l.cpu(), l.memGbps(), l.triadGbps() >= l.copyGbps() ? "triad" : "copy", l.peakGflops(), l.threads(),
                l.fromCache() ? " [measured earlier, cached]" : " [measured now]"));
        sb.append(String.format(Locale.ROOT, "work: %s moved, %.3f GFLOP; %.2f FLOP/byte vs machine balance %.2f: %s-bound%n",
                bytes(r.bytes()), r.flops() / 1e9, (double) r.flops() / r.bytes(), l.peakGflops() / l.memGbps(),
                r.memoryBound() ? "memory" : "FMA"));
        if (r.memoryBound()) {
            sb.append(String.format(Locale.ROOT, "live: STREAM triad between the modes, median of the rounds: %.1f GB/s%n",
                    r.liveMemGbps()));
        }
        double timedMs = r.rows().stream().flatMapToDouble(row -> Arrays.stream(row.roundMs())).sum();
        if (r.jitMillisTimed() > JIT_NOTE_SHARE * timedMs) {
            sb.append(String.format(Locale.ROOT, "jit: compiled for %d ms during the %.0f ms of timed runs, on a core the kernels may have wanted%n",
                    r.jitMillisTimed(), timedMs));
        }
        sb.append(String.format(Locale.ROOT, "%-9s %10s %10s %10s %9s %9s %9s %12s %12s %9s %13s%n", "mode", "median ms", "min ms", "max ms",
                "GB/s", "GFLOP/s", "speed-up", "95% interval", "% of limit", "% of live", "max rel diff"));
        for (Benchmark.Row row : r.rows()) {
            SpeedUp s = row.speedup();
            sb.append(String.format(Locale.ROOT, "%-9s %10.3f %10.3f %10.3f %9.2f %9.2f %8.2fx %12s %8.1f%% %-3s %9s %13.2e%n",
                    row.mode(), row.medianMs(), row.minMs(), row.maxMs(), row.gbps(), row.gflops(), s.median(),
                    s.hasInterval() ? String.format(Locale.ROOT, "%.2f-%.2fx", s.low(), s.high()) : "-",
                    row.pctOfLimit(), r.memoryBound() ? "mem" : "fma",
                    r.memoryBound() ? String.format(Locale.ROOT, "%.1f%%", row.pctOfLive()) : "-", row.maxRelDiff()));
        }
        r.notRun().forEach((mode, reason) -> sb.append(String.format(Locale.ROOT, "%-9s %s%n", mode, reason)));
        sb.append("(speed-up is over unfused: the median of unfused's time over this mode's in the same round, with a 95% interval\n"
                + " for it when there are at least " + SpeedUp.MIN_ROUNDS_FOR_INTERVAL + " runs; % of live is of the triad timed in the same"
                + " rounds; max rel diff is\n against unfused's outputs, relative to their largest magnitude)\n");
        return sb.toString();
    }

    public static String json(Benchmark.Result r) {
        MachineLimits l = r.limits();
        List<String> rows = new ArrayList<>();
        for (Benchmark.Row row : r.rows()) {
            rows.add(String.format(Locale.ROOT, "{\"mode\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, "
                            + "\"gbps\": %.3f, \"gflops\": %.3f, \"speedup\": %.4f, \"speedup_interval\": %s, \"pct_of_limit\": %.2f, "
                            + "\"pct_of_live_limit\": %s, \"max_rel_diff\": %.3e, \"round_ms\": [%s]}",
                    row.mode(), row.medianMs(), row.minMs(), row.maxMs(), row.gbps(), row.gflops(), row.speedup().median(),
                    row.speedup().hasInterval() ? String.format(Locale.ROOT, "[%.4f, %.4f]", row.speedup().low(), row.speedup().high()) : "null",
                    row.pctOfLimit(), number(row.pctOfLive(), "%.2f"), row.maxRelDiff(), Arrays.stream(row.roundMs())
                            .mapToObj(ms -> String.format(Locale.ROOT, "%.6g", ms)).collect(Collectors.joining(", "))));
        }
        String dims = r.dims().entrySet().stream().map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                .collect(Collectors.joining(", ", "{", "}"));
        return String.format(Locale.ROOT, "{\"graph\": \"%s\", \"dims\": %s, \"threads\": %d, \"runs\": %d, \"warmup_runs\": %d, \"bound\": \"%s\", "
                        + "\"bytes\": %d, \"flops\": %d, \"limits\": {\"mem_gbps\": %.3f, \"peak_gflops\": %.3f, \"cpu\": \"%s\"}, "
                        + "\"live_mem_gbps\": %s, \"jit_ms_timed\": %s, \"results\": [%s], \"not_run\": {%s}}%n",
                r.graph(), dims, r.threads(), r.runs(), r.warmup(), r.memoryBound() ? "memory" : "fma", r.bytes(), r.flops(), l.memGbps(),
                l.peakGflops(), l.cpu().replace("\"", "'"), number(r.liveMemGbps(), "%.3f"),
                r.jitMillisTimed() < 0 ? "null" : Long.toString(r.jitMillisTimed()), String.join(", ", rows),
                r.notRun().entrySet().stream().map(e -> string(e.getKey()) + ": " + string(e.getValue())).collect(Collectors.joining(", ")));
    }

    /** A JSON string: quotes, backslashes and control characters escaped. */
    private static String string(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> sb.append(c < 0x20 ? String.format(Locale.ROOT, "\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }

    /** A JSON number, or null for NaN (not measured). */
    private static String number(double x, String format) {
        return Double.isNaN(x) ? "null" : String.format(Locale.ROOT, format, x);
    }

    /** One page, no external resources: the table and a bar chart of the binding rate with the limit as a line. */
    public static String html(Benchmark.Result r) {
        boolean mem = r.memoryBound();
        double limit = mem ? r.limits().memGbps() : r.limits().peakGflops();
        String unit = mem ? "GB/s" : "GFLOP/s";
        int width = 640;
        int barH = 34;
        int left = 90;
        int top = 30;
        int height = top + r.rows().size() * (barH + 14) + 40;
        double max = Math.max(limit, r.rows().stream().mapToDouble(x -> mem ? x.gbps() : x.gflops()).max().orElse(1)) * 1.1;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='13'>", width, height));
        int y = top;
        String[] colours = {"#3b6fd6", "#9aa4b2", "#d08a2c", "#5aa05a"};
        int i = 0;
        for (Benchmark.Row row : r.rows()) {
            double v = mem ? row.gbps() : row.gflops();
            double w = (width - left - 30) * v / max;
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='end'>%s</text>", left - 8, y + barH / 2 + 5, esc(row.mode())));
            svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%.1f' height='%d' fill='%s'/>", left, y, w, barH, colours[i++ % colours.length]));
            svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' fill='#222'>%.1f %s (%.0f%%)</text>", left + w + 6, y + barH / 2 + 5, v, unit, row.pctOfLimit()));
            y += barH + 14;
        }
        double lx = left + (width - left - 30) * limit / max;
        svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#c0392b' stroke-width='2' stroke-dasharray='6,4'/>", lx, top - 10, lx, y));
        svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' fill='#c0392b' text-anchor='middle'>machine limit %.1f %s</text>", lx, y + 18, limit, unit));
        if (mem) {
            double live = left + (width - left - 30) * r.liveMemGbps() / max;
            svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#8e44ad' stroke-width='2' stroke-dasharray='2,3'/>",
                    live, top - 10, live, y));
            svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' fill='#8e44ad' text-anchor='middle'>live %.1f %s</text>", live, top - 14,
                    r.liveMemGbps(), unit));
        }
        svg.append("</svg>");
        return "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>fusec bench " + esc(r.graph()) + "</title>"
                + "<style>body{font-family:sans-serif;margin:2em;color:#222}pre{background:#f5f5f5;padding:1em}</style></head><body>"
                + "<h1>fusec bench: " + esc(r.graph()) + "</h1>"
                + "<p>" + esc(dims(r.dims())) + ", " + r.threads() + " thread(s); " + (mem ? "memory" : "FMA")
                + "-bound: bars show " + unit + ", the dashed line is the measured limit"
                + (mem ? ", the dotted one the STREAM triad timed between the modes in the same rounds" : "") + ".</p>"
                + svg + "<pre>" + esc(text(r)) + "</pre></body></html>\n";
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }

    static String dims(Map<String, Long> dims) {
        return dims.isEmpty() ? "no dims" : dims.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    static String bytes(long b) {
        return b >= 1L << 20 ? String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20))
                : String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
}
