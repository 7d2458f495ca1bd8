package dev.fusec.runtime;

import static dev.fusec.runtime.ProgramBuilder.reads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The executor with hand-written kernels: prepared (packed) weights are made once per input array
 * and reused across runs, computed operands are prepared every run, views and rounding behave, and
 * the thread pool splits work so that 1 and 3 threads give the same bits. Weight packing is checked
 * against a naive transpose-and-pack for odd sizes.
 */
class ExecutorTest {
    /** A kernel whose operand 1 is prepared (by {@link #pack}, into n floats), counting the calls. */
    abstract static class CountingPrepared implements Kernel {
        final int n;
        final AtomicInteger prepares = new AtomicInteger();

        CountingPrepared(int n) {
            this.n = n;
        }

        /** Element i of the prepared operand, from the operands as passed. */
        abstract float pack(float[][] operands, int i);

        @Override
        public int[] preparedOperands() {
            return new int[] {1};
        }

        @Override
        public float[] prepare(int operand, float[][] operands, Parallel par) {
            assertEquals(1, operand);
            prepares.incrementAndGet();
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                r[i] = pack(operands, i);
            }
            return r;
        }
    }

    /** out[i] = a[i] + prepare(b)[i], where prepare reverses b. */
    static final class AddPrepared extends CountingPrepared {
        AddPrepared(int n) {
            super(n);
        }

        @Override
        float pack(float[][] operands, int i) {
            return operands[1][n - 1 - i];
        }

        @Override
        public void run(float[][] args, int[] sym, Parallel par) {
            for (int i = 0; i < n; i++) {
                args[2][i] = args[0][i] + args[1][i];
            }
        }
    }

    /** out[i] = prepare(b, c)[i] = b[i] * c[i]: one prepared operand made from two weights, c unread by run. */
    static final class MulPrepared extends CountingPrepared {
        MulPrepared(int n) {
            super(n);
        }

        @Override
        float pack(float[][] operands, int i) {
            return operands[1][i] * operands[2][i];
        }

        @Override
        public int[] preparedFrom(int operand) {
            return new int[] {1, 2};
        }

        @Override
        public void run(float[][] args, int[] sym, Parallel par) {
            System.arraycopy(args[1], 0, args[3], 0, n);
        }
    }

    /** out[i] = f(in[i]) for i < n, split across the pool in ranges of at least {@code grain}. */
    record Map1(int n, int grain, float scale) implements Kernel {
        @Override
        public void run(float[][] args, int[] sym, Parallel par) {
            par.forRange(n, grain, (from, to) -> {
                for (int i = from; i < to; i++) {
                    args[1][i] = (float) Math.sin(args[0][i] * scale) + i;
                }
            });
        }
    }

    @Test
    void preparedWeightsArePackedOncePerInputArray() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 4);
        int w = p.input("w", 4);
        int y = p.output("y", 4);
        p.step(0, reads(x, w), y);
        AddPrepared k = new AddPrepared(4);
        Executor ex = new Executor(p.build(), List.of(k));
        float[] xs = {1, 2, 3, 4};
        float[] w1 = {10, 20, 30, 40};
        float[] w2 = w1.clone();
        try (Parallel par = new Parallel(1)) {
            assertArrayEquals(new float[] {41, 32, 23, 14}, ex.run(new float[][] {xs, w1}, par)[0]);
            assertArrayEquals(new float[] {41, 32, 23, 14}, ex.run(new float[][] {xs.clone(), w1}, par)[0]);
            assertEquals(1, k.prepares.get(), "same weight array: packed once");
            assertArrayEquals(new float[] {41, 32, 23, 14}, ex.run(new float[][] {xs, w2}, par)[0]);
            assertEquals(2, k.prepares.get(), "a new weight array is packed again");
            ex.run(new float[][] {xs, w2}, par);
            assertEquals(2, k.prepares.get());
            w1[0] = 100;
            assertArrayEquals(new float[] {41, 32, 23, 104}, ex.run(new float[][] {xs, w1}, par)[0]);
            assertEquals(3, k.prepares.get(), "back to the first array: packed again, with its current contents");
        }
    }

    @Test
    void anOperandPreparedFromTwoWeightsIsPreparedAgainWhenEitherChanges() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 2);
        int gate = p.input("gate", 2);
        int up = p.input("up", 2);
        int y = p.output("y", 2);
        p.step(0, reads(x, gate, up), y);
        MulPrepared k = new MulPrepared(2);
        Executor ex = new Executor(p.build(), List.of(k));
        float[] xs = {0, 0};
        float[] g = {2, 3};
        float[] u1 = {5, 7};
        float[] u2 = {10, 100};
        try (Parallel par = new Parallel(1)) {
            assertArrayEquals(new float[] {10, 21}, ex.run(new float[][] {xs, g, u1}, par)[0]);
            ex.run(new float[][] {xs.clone(), g, u1}, par);
            assertEquals(1, k.prepares.get(), "same weights, a new x: prepared once");
            assertArrayEquals(new float[] {20, 300}, ex.run(new float[][] {xs, g, u2}, par)[0]);
            assertEquals(2, k.prepares.get(), "a new up array alone: prepared again");
            assertArrayEquals(new float[] {10, 1500}, ex.run(new float[][] {xs, new float[] {1, 15}, u2}, par)[0]);
            assertEquals(3, k.prepares.get(), "a new gate array alone: prepared again");
        }
    }

    @Test
    void computedOperandsArePreparedEveryRun() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 3);
        int h = p.intermediate("h", 3);
        int y = p.output("y", 3);
        p.step(0, reads(x), h).step(1, reads(x, h), y);
        AddPrepared k = new AddPrepared(3);
        Executor ex = new Executor(p.build(), List.of(new Map1(3, 1, 0), k));
        try (Parallel par = new Parallel(1)) {
            float[] xs = {1, 2, 3};
            // h = [0, 1, 2] (sin(0) + i), reversed by prepare: y = x + [2, 1, 0].
            assertArrayEquals(new float[] {3, 3, 3}, ex.run(new float[][] {xs}, par)[0]);
            assertArrayEquals(new float[] {3, 3, 3}, ex.run(new float[][] {xs}, par)[0]);
            assertEquals(2, k.prepares.get());
        }
    }

    @Test
    void anOutputThatIsAViewOfAnInputIsACopy() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 3);
        p.returns(p.view("v", x));
        Executor ex = new Executor(p.build(), List.of());
        float[] xs = {1, 2, 3};
        float[] out;
        try (Parallel par = new Parallel(1)) {
            out = ex.run(new float[][] {xs}, par)[0];
        }
        assertArrayEquals(xs, out);
        assertNotSame(xs, out);
        out[0] = 9;
        assertEquals(1, xs[0]);
    }

    @Test
    void outputArraysBelongToTheExecutorAndAreReusedByTheNextRun() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 5);
        int h = p.intermediate("h", 5);
        p.returns(p.view("hv", h));
        int y = p.output("y", 5);
        p.step(0, reads(x), h).step(1, reads(h), y);
        Executor ex = new Executor(p.build(), List.of(new Map1(5, 1, 1), new Map1(5, 1, 2)));
        try (Parallel par = new Parallel(1)) {
            float[][] first = ex.run(new float[][] {{1, 2, 3, 4, 5}}, par);
            float[] firstView = first[0].clone();
            float[][] second = ex.run(new float[][] {{-1, -2, -3, -4, -5}}, par);
            assertSame(first[1], second[1], "an output array is allocated once and reused");
            float[] want = new float[5];
            for (int i = 0; i < 5; i++) {
                float hi = (float) Math.sin(-(i + 1)) + i;
                want[i] = (float) Math.sin(hi * 2) + i;
            }
            assertArrayEquals(want, second[1], "the reused array holds the second run's result");
            assertNotSame(first[0], second[0], "a returned view of a pooled buffer is a copy");
            assertArrayEquals(firstView, first[0], "so a later run does not overwrite it");
        }
    }

    @Test
    void narrowValuesAreRoundedAfterTheirStep() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 2);
        int h = p.intermediate("h", 2, "bf16");
        int y = p.output("y", 2);
        p.step(0, reads(x), h).step(1, reads(h), y);
        Kernel copy = (args, sym, par) -> System.arraycopy(args[0], 0, args[1], 0, 2);
        Executor ex = new Executor(p.build(), List.of(copy, copy));
        float v = 1.00390625f + 0x1p-12f; // between two bf16 values, nearer the upper
        float[] out;
        try (Parallel par = new Parallel(1)) {
            out = ex.run(new float[][] {{v, 3f}}, par)[0];
        }
        assertArrayEquals(new float[] {Rounding.bf16(v), 3f}, out);
        assertEquals(1.0078125f, out[0]);
    }

    @Test
    void aNarrowWeightIsRoundedOncePerArrayItComesIn() {
        ProgramBuilder p = new ProgramBuilder();
        int w = p.input("w", 2);
        p.step(0, reads(w), p.output("y", 2));
        Executor ex = new Executor(p.build(), List.of((args, sym, par) -> { }));
        float v = 1.00390625f + 0x1p-12f; // between two bf16 values, nearer the upper
        float[] w1 = {v, 3f};
        float[] r1 = ex.roundedOnce(0, w1, "bf16");
        assertArrayEquals(new float[] {1.0078125f, 3f}, r1);
        assertEquals(v, w1[0], "the caller's array is not touched");
        assertSame(r1, ex.roundedOnce(0, w1, "bf16"), "the same array again: the same rounded copy, so its packed form is kept");
        float[] w2 = {-v, 5f};
        float[] r2 = ex.roundedOnce(0, w2, "bf16");
        assertNotSame(r1, r2);
        assertArrayEquals(new float[] {-1.0078125f, 5f}, r2);
    }

    @Test
    void aShortInputIsRefusedByName() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("weights", 6);
        int y = p.output("y", 6);
        p.step(0, reads(x), y);
        Executor ex = new Executor(p.build(), List.of(new Map1(6, 1, 1)));
        try (Parallel par = new Parallel(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[][] {new float[5]}, par));
            assertTrue(e.getMessage().contains("weights") && e.getMessage().contains("5") && e.getMessage().contains("6"),
                    e.getMessage());
        }
    }

    @Test
    void stepTimesAccumulateAndReset() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 4);
        int y = p.output("y", 4);
        p.step(0, reads(x), y);
        Executor ex = new Executor(p.build(), List.of(new Map1(4, 1, 1)));
        long once;
        try (Parallel par = new Parallel(1)) {
            ex.run(new float[][] {new float[4]}, par);
            once = ex.stepNanos()[0];
            ex.run(new float[][] {new float[4]}, par);
        }
        assertEquals(1, ex.stepNanos().length);
        assertTrue(once >= 0 && ex.stepNanos()[0] >= once, "times add up across runs");
        assertEquals(List.of("step0"), ex.stepLabels());
        ex.resetTimes();
        assertEquals(0, ex.stepNanos()[0]);
    }

    @Test
    void oneAndThreeThreadsGiveTheSameBits() {
        int n = 10_007;
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", n);
        int h = p.intermediate("h", n);
        int y = p.output("y", n);
        p.step(0, reads(x), h).step(1, reads(h), y);
        float[] xs = new float[n];
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            xs[i] = (float) rng.nextDouble(-3, 3);
        }
        List<Kernel> kernels = List.of(new Map1(n, 100, 1.5f), new Map1(n, 7, 0.25f));
        float[] one;
        float[] three;
        try (Parallel par = new Parallel(1)) {
            one = new Executor(p.build(), kernels).run(new float[][] {xs}, par)[0];
        }
        try (Parallel par = new Parallel(3)) {
            three = new Executor(p.build(), kernels).run(new float[][] {xs}, par)[0];
        }
        assertArrayEquals(one, three);
    }

    /** Every index of [0, n) is run exactly once, in at most 4 * threads pieces of at least the grain. */
    @ParameterizedTest
    @CsvSource({"0, 1, 3", "1, 1, 3", "2, 1, 3", "7, 3, 3", "100, 1, 3", "100, 40, 3", "100, 34, 3", "99, 1, 2", "28, 1, 2",
            "1000, 1000, 4", "1000, 10, 1", "5, 0, 3"})
    void forRangeCoversEveryIndexOnce(int n, int grain, int threads) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Set<String> chunks = ConcurrentHashMap.newKeySet();
        AtomicInteger shortPieces = new AtomicInteger();
        try (Parallel par = new Parallel(threads)) {
            par.forRange(n, grain, (from, to) -> {
                chunks.add(from + ".." + to);
                if (to - from < grain && to != n) {
                    shortPieces.incrementAndGet();
                }
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
        assertTrue(chunks.size() <= 4 * threads, chunks.toString());
        assertTrue(chunks.size() <= Math.max(1, n / Math.max(grain, 1)), "no more pieces than the grain allows: " + chunks);
        assertEquals(0, shortPieces.get(), "only the last piece may be shorter than the grain: " + chunks);
        IntSummaryStatistics lengths = chunks.stream().mapToInt(c -> {
            String[] ends = c.split("\\.\\.");
            return Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]);
        }).summaryStatistics();
        assertTrue(lengths.getMax() - lengths.getMin() <= 1, "piece lengths differ by one at most: " + chunks);
    }

    @Test
    void backToBackAndNestedRangesEachCoverEveryIndexOnceAndCloseStopsTheWorkers() throws InterruptedException {
        int n = 64;
        Parallel par = new Parallel(3);
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Set<Thread> ran = ConcurrentHashMap.newKeySet();
        for (int call = 0; call < 200; call++) {
            par.forRange(n, 1, (from, to) -> {
                ran.add(Thread.currentThread());
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
        }
        // A piece that starts a range of its own on the same pool: the inner job takes the workers'
        // attention, and the outer caller finishes its pieces itself if need be.
        AtomicIntegerArray nested = new AtomicIntegerArray(n * n);
        par.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = i;
                par.forRange(n, 1, (f, t) -> {
                    for (int j = f; j < t; j++) {
                        nested.incrementAndGet(row * n + j);
                    }
                });
            }
        });
        par.close();
        for (int i = 0; i < n; i++) {
            assertEquals(200, hits.get(i), "index " + i);
        }
        for (int i = 0; i < n * n; i++) {
            assertEquals(1, nested.get(i), "nested index " + i);
        }
        for (Thread t : ran) {
            if (t != Thread.currentThread()) {
                t.join(5_000);
                assertTrue(!t.isAlive(), t.getName() + " still running after close");
            }
        }
    }

    @Test
    void aKernelExceptionReachesTheCaller() {
        try (Parallel par = new Parallel(3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forRange(300, 1, (from, to) -> {
                if (from > 0) {
                    throw new IllegalStateException("boom at " + from);
                }
            }));
            assertTrue(e.getMessage().startsWith("boom"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }

    /** Naive packing: panel p, row k, column j holds W[k, p * nr + j] (zero past n). */
    static float[] naivePanels(float[] w, int k, int n, int nr, boolean transposed) {
        int panels = (n + nr - 1) / nr;
        float[] out = new float[panels * k * nr];
        for (int p = 0; p < panels; p++) {
            for (int kk = 0; kk < k; kk++) {
                for (int j = 0; j < nr; j++) {
                    int col = p * nr + j;
                    if (col < n) {
                        out[(p * k + kk) * nr + j] = transposed ? w[col * k + kk] : w[kk * n + col];
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "K={0} N={1} NR={2}")
    @CsvSource({"1, 1, 8", "3, 5, 8", "13, 37, 16", "13, 37, 32", "8, 12, 16", "40, 50, 16", "7, 64, 16", "5, 200, 8",
            "33, 17, 32"})
    void packingMatchesANaivePack(int k, int n, int nr) {
        float[] w = new float[k * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = i + 1;
        }
        float[] up = new float[k * n];
        for (int i = 0; i < up.length; i++) {
            up[i] = -0.5f * i;
        }
        List<String> problems = new ArrayList<>();
        for (boolean transposed : new boolean[] {false, true}) {
            float[] want = naivePanels(w, k, n, nr, transposed);
            // Shared panels: at each k, the gate's NR floats of a panel, then the up's.
            float[] wantUp = naivePanels(up, k, n, nr, transposed);
            float[] wantPairs = new float[2 * want.length];
            for (int row = 0; row < want.length / nr; row++) {
                System.arraycopy(want, row * nr, wantPairs, 2 * row * nr, nr);
                System.arraycopy(wantUp, row * nr, wantPairs, (2 * row + 1) * nr, nr);
            }
            for (int threads : new int[] {1, 3}) {
                try (Parallel par = new Parallel(threads)) {
                    if (!java.util.Arrays.equals(want, Packing.panels(w, k, n, nr, transposed, par))) {
                        problems.add("panels transposed=" + transposed + " threads=" + threads);
                    }
                    if (!java.util.Arrays.equals(wantPairs, Packing.panelPairs(w, up, k, n, nr, transposed, par))) {
                        problems.add("panelPairs transposed=" + transposed + " threads=" + threads);
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), problems.toString());
    }
}
