package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fusec bench} as a user drives it, on a small FFN with few runs: the table, the JSON object
 * of the contract, the HTML report and ORT's optimised model. It checks what is printed and that
 * every mode computed the same thing, not how fast: timing belongs to benchmarks, not tests. (The
 * machine's limits are measured once, on the first bench run, and cached.)
 */
class BenchCliTest {
    @TempDir
    Path dir;

    static final String FFN = """
            graph ffn(x: f32[T, 64], w_gate: f32[64, 96], w_up: f32[64, 96], w_down: f32[96, 64]) -> (y: f32[T, 64]) {
              y = matmul(mul(silu(matmul(x, w_gate)), matmul(x, w_up)), w_down)
              return y
            }
            """;

    private static final List<String> MODES = List.of("fused", "unfused", "ort");

    private Path ffn() throws Exception {
        return Files.writeString(dir.resolve("ffn.fir"), FFN);
    }

    @Test
    void tableHasARowPerModeWithTheLimitBesideIt() throws Exception {
        Path report = dir.resolve("r.html");
        Path ortModel = dir.resolve("ort.onnx");
        CliRun r = CliRun.of("bench", ffn().toString(), "--dim", "T=5", "--threads", "1", "--runs", "3", "--warmup", "1",
                "--warmup-ms", "0", "--report", report.toString(), "--save-ort-model", ortModel.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("machine: ") && r.out().contains("GFLOP/s") && r.out().contains("% of limit")
                && r.out().contains("95% interval") && r.out().contains("with a 95% interval\n for it when there are at least 6 runs")
                && r.out().contains("% of live") && r.out().contains("live: STREAM triad between the modes"), r.out());
        for (String mode : MODES) {
            Matcher row = Pattern.compile("(?m)^" + mode + " +([0-9.]+) +([0-9.]+) +([0-9.]+) .*%.* ([0-9.e+-]+)$").matcher(r.out());
            assertTrue(row.find(), "no row for " + mode + ":\n" + r.out());
            double median = Double.parseDouble(row.group(1));
            double min = Double.parseDouble(row.group(2));
            double max = Double.parseDouble(row.group(3));
            assertTrue(min <= median && median <= max && min > 0, row.group());
            assertTrue(Double.parseDouble(row.group(4)) < 1e-4, mode + " disagrees with unfused: " + row.group());
        }
        String html = Files.readString(report);
        assertTrue(html.contains("<svg") && html.contains("machine limit") && html.contains("ort"), "report: " + html);
        assertTrue(Files.size(ortModel) > 0);
        assertTrue(r.out().contains("ort's optimised graph, written to " + ortModel + ": ") && r.out().contains("MatMul"), r.out());
    }

    @Test
    void jsonIsOneObjectWithTheFieldsOfTheContract() throws Exception {
        CliRun r = CliRun.of("bench", ffn().toString(), "--dim", "T=1", "--threads", "1", "--runs", "6", "--warmup", "1",
                "--warmup-ms", "1500", "--json");
        assertEquals(0, r.code(), r.toString());
        String json = r.out().strip();
        assertEquals(1, json.lines().count(), json);
        assertTrue(json.startsWith("{\"graph\": \"ffn\", \"dims\": {\"T\": 1}, \"threads\": 1, \"runs\": 6, "), json);
        // The one warm-up round asked for, and more until 1.5 s have passed: a round of this tiny graph
        // takes milliseconds once compiled.
        Matcher warmup = Pattern.compile("\"warmup_runs\": ([0-9]+), ").matcher(json);
        assertTrue(warmup.find() && Integer.parseInt(warmup.group(1)) > 1, json);
        assertTrue(Pattern.compile("\"limits\": \\{\"mem_gbps\": [0-9.]+, \"peak_gflops\": [0-9.]+").matcher(json).find(), json);
        for (String mode : MODES) {
            Matcher row = Pattern.compile("\\{\"mode\": \"" + mode + "\", \"median_ms\": [0-9.]+, \"min_ms\": [0-9.]+, "
                    + "\"max_ms\": [0-9.]+, \"gbps\": [0-9.]+, \"gflops\": [0-9.]+, \"speedup\": ([0-9.]+), "
                    + "\"speedup_interval\": \\[([0-9.]+), ([0-9.]+)\\], \"pct_of_limit\": [0-9.]+").matcher(json);
            assertTrue(row.find(), mode + " in " + json);
            // Six runs give the widest 95% interval, smallest to largest per-round ratio; it holds the median.
            double speedup = Double.parseDouble(row.group(1));
            double low = Double.parseDouble(row.group(2));
            double high = Double.parseDouble(row.group(3));
            assertTrue(0 < low && low <= speedup && speedup <= high, row.group());
            if (mode.equals("unfused")) {
                assertTrue(low == 1 && high == 1 && speedup == 1, row.group());
            }
        }
        // Every run is there, in round order; the speed-up is the median of the per-round ratios.
        double[] unfused = roundMs(json, "unfused");
        double[] fused = roundMs(json, "fused");
        assertEquals(6, fused.length, json);
        double[] ratios = new double[6];
        for (int i = 0; i < 6; i++) {
            ratios[i] = unfused[i] / fused[i];
        }
        Arrays.sort(ratios);
        Matcher speedup = Pattern.compile("\"mode\": \"fused\".*?\"speedup\": ([0-9.]+), \"speedup_interval\": \\[([0-9.]+), ([0-9.]+)\\]")
                .matcher(json);
        assertTrue(speedup.find(), json);
        assertEquals((ratios[2] + ratios[3]) / 2, Double.parseDouble(speedup.group(1)), 2e-3, json);
        assertEquals(ratios[0], Double.parseDouble(speedup.group(2)), 2e-3, json);
        assertEquals(ratios[5], Double.parseDouble(speedup.group(3)), 2e-3, json);
        // Decode is memory-bound: a STREAM triad timed between the modes gives each row a live limit too.
        assertTrue(json.contains("\"bound\": \"memory\""), json);
        Matcher live = Pattern.compile("\"live_mem_gbps\": ([0-9.]+), ").matcher(json);
        assertTrue(live.find() && Double.parseDouble(live.group(1)) > 0, json);
        assertEquals(MODES.size(), Pattern.compile("\"pct_of_live_limit\": [0-9.]+, ").matcher(json).results().count(), json);
        // HotSpot times its JIT: the compile time that fell in the timed rounds is a count of milliseconds.
        assertTrue(Pattern.compile("\"live_mem_gbps\": [0-9.]+, \"jit_ms_timed\": [0-9]+, \"results\": ").matcher(json).find(), json);
        assertTrue(json.endsWith("], \"not_run\": {}}"), json);
    }

    private static double[] roundMs(String json, String mode) {
        Matcher m = Pattern.compile("\"mode\": \"" + mode + "\".*?\"round_ms\": \\[([0-9., ]+)\\]").matcher(json);
        assertTrue(m.find(), mode + " in " + json);
        return Arrays.stream(m.group(1).split(", ")).mapToDouble(Double::parseDouble).toArray();
    }

    /** The FFN in bf16, which fusec rounds on every store and ONNX's FLOAT would not: ORT cannot be its peer. */
    private Path bf16Ffn() throws Exception {
        return Files.writeString(dir.resolve("ffn_bf16.fir"), FFN.replace("f32", "bf16"));
    }

    @Test
    void aGraphOnnxCannotExpressIsTimedWithoutTheOrtRow() throws Exception {
        CliRun r = CliRun.of("bench", bf16Ffn().toString(), "--dim", "T=2", "--threads", "1", "--runs", "2", "--warmup", "0",
                "--warmup-ms", "0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\nfused ") && r.out().contains("\nunfused "), r.out());
        assertTrue(r.out().contains("\nort       not run: ONNX export supports f32 only: input 'x' is bf16"), r.out());
        assertTrue(r.err().isEmpty(), r.err());

        CliRun j = CliRun.of("bench", bf16Ffn().toString(), "--dim", "T=2", "--threads", "1", "--runs", "2", "--warmup", "0",
                "--warmup-ms", "0", "--json");
        assertEquals(0, j.code(), j.toString());
        String json = j.out().strip();
        assertTrue(json.contains("{\"mode\": \"fused\"") && json.contains("{\"mode\": \"unfused\"")
                && !json.contains("{\"mode\": \"ort\""), json);
        assertTrue(json.endsWith("], \"not_run\": {\"ort\": \"not run: ONNX export supports f32 only: input 'x' is bf16,"
                + " which fusec rounds on every store and ONNX FLOAT would not\"}}"), json);
    }

    @Test
    void askingForOrtsModelOfSuchAGraphIsAnErrorBeforeAnyTiming() throws Exception {
        Path ortModel = dir.resolve("ort.onnx");
        Path file = bf16Ffn();
        CliRun r = CliRun.of("bench", file.toString(), "--dim", "T=2", "--threads", "1", "--runs", "2", "--warmup", "0",
                "--warmup-ms", "0", "--save-ort-model", ortModel.toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals(file + ":1:11: error: ONNX export supports f32 only: input 'x' is bf16, which fusec rounds on every store"
                + " and ONNX FLOAT would not\n", r.err());
        assertTrue(r.out().isEmpty(), r.out());
        assertTrue(Files.notExists(ortModel));
    }

    @Test
    void aComputeBoundGraphHasNoLiveLimit() throws Exception {
        CliRun r = CliRun.of("bench", ffn().toString(), "--dim", "T=512", "--threads", "1", "--runs", "2", "--warmup", "0",
                "--warmup-ms", "0", "--no-peers", "--json");
        assertEquals(0, r.code(), r.toString());
        String json = r.out().strip();
        assertTrue(json.contains("\"bound\": \"fma\"") && json.contains("\"live_mem_gbps\": null, "), json);
        assertEquals(2, Pattern.compile("\"pct_of_live_limit\": null, ").matcher(json).results().count(), json);
    }

    @Test
    void noPeersTimesFusecOnly() throws Exception {
        CliRun r = CliRun.of("bench", ffn().toString(), "--dim", "T=2", "--threads", "1", "--runs", "2", "--warmup", "0", "--warmup-ms", "0", "--no-peers");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\nfused ") && r.out().contains("\nunfused ") && !r.out().contains("\nort "), r.out());
    }
}
