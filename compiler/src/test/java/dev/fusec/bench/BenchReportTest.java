package dev.fusec.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the table and the JSON say about the JIT's work within the timed rounds. */
class BenchReportTest {
    private static Benchmark.Result result(long jitMs) {
        MachineLimits limits = new MachineLimits("test cpu", 1, 30, 32, 32, 100, "512", true);
        double[] fused = {10, 10, 10, 10};
        double[] unfused = {20, 20, 20, 20};
        List<Benchmark.Row> rows = List.of(
                new Benchmark.Row("fused", 10, 10, 10, 25, 1, SpeedUp.of(unfused, fused), 78, Double.NaN, 0, fused),
                new Benchmark.Row("unfused", 20, 20, 20, 12.5, 0.5, SpeedUp.of(unfused, unfused), 39, Double.NaN, 0, unfused));
        return new Benchmark.Result("g", Map.of("T", 1L), 1, 1, 250_000, 10_000, false, limits, Double.NaN, rows, 4, 9, jitMs,
                Map.of());
    }

    @Test
    void theTableMentionsTheJitFromOnePercentOfTheTimedTime() {
        // The timed runs take 4 * 10 + 4 * 20 = 120 ms: 1 ms of compiling is under 1%, 2 ms over it.
        assertFalse(BenchReport.text(result(1)).contains("jit:"));
        String text = BenchReport.text(result(2));
        assertTrue(text.contains("\njit: compiled for 2 ms during the 120 ms of timed runs"), text);
    }

    @Test
    void theJsonAlwaysGivesTheJitTimeAndNullWhereTheJvmDoesNotSay() {
        assertTrue(BenchReport.json(result(1)).contains("\"live_mem_gbps\": null, \"jit_ms_timed\": 1, \"results\": "));
        assertTrue(BenchReport.json(result(-1)).contains("\"jit_ms_timed\": null, "));
    }
}
