package dev.fusec.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library surface as a user calls it: parse and build, fuse with its explanation, compile for
 * each mode, bind weights, run from many threads, tensors in and out. Kernel runs use no on-disk
 * cache, so the tests never touch the user's.
 */
class LibraryApiTest {
    static final String FFN = """
            graph ffn(x: f32[T, 24], w_gate: f32[24, 40], w_up: f32[24, 40], w_down: f32[40, 24])
                -> (y: f32[T, 24]) {
              gate = matmul(x, w_gate)
              up = matmul(x, w_up)
              h = mul(silu(gate), up)
              y = matmul(h, w_down)
              return y
            }
            """;
    /** Fused and unfused kernels against the interpreter: worst difference over the output's largest magnitude. */
    static final double TOLERANCE = 1e-5;
    static final CompileOptions NO_CACHE = CompileOptions.defaults().withThreads(2).withoutKernelCache();

    static FusecGraph graph;
    static Map<String, Tensor> weights;
    static CompiledModel fused;

    @BeforeAll
    static void compile() {
        graph = FusecGraph.parse(FFN, "ffn.fir");
        Map<String, Tensor> all = graph.randomInputs(7, Map.of("T", 1L), Map.of());
        weights = new HashMap<>(all);
        weights.remove("x");
        fused = graph.compile(Mode.FUSED, NO_CACHE).withWeights(weights);
    }

    @AfterAll
    static void close() {
        fused.close();
    }

    static Tensor x(int t, long seed) {
        return graph.randomInputs(seed, Map.of("T", (long) t), Map.of()).get("x");
    }

    @Test
    void describesTheGraph() {
        assertEquals("ffn", graph.name());
        assertEquals(List.of(new TensorSpec("x", "f32", List.of("T", "24")), new TensorSpec("w_gate", "f32", List.of("24", "40")),
                new TensorSpec("w_up", "f32", List.of("24", "40")), new TensorSpec("w_down", "f32", List.of("40", "24"))),
                graph.inputs());
        assertEquals(List.of(new TensorSpec("y", "f32", List.of("T", "24"))), graph.outputs());
        assertEquals(List.of("T"), graph.dims());
        assertEquals(graph.toIr(), FusecGraph.parse(graph.toIr(), "again.fir").toIr(), "print and parse round trip");
        assertTrue(graph.toIrWithTypes().contains("# f32[T, 40]"), graph.toIrWithTypes());
    }

    @Test
    void builderMakesTheSameGraphAsText() {
        FusecGraph built = FusecGraph.builder("ffn")
                .input("x", "f32[T, 24]").input("w_gate", "f32[24, 40]").input("w_up", "f32[24, 40]").input("w_down", "f32[40, 24]")
                .output("y", "f32[T, 24]")
                .op("gate", "matmul", "x", "w_gate")
                .op("up", "matmul", "x", "w_up")
                .let("h = mul(silu(gate), up)")
                .op("y", "matmul", "h", "w_down")
                .build();
        assertEquals(graph.toIr(), built.toIr());
    }

    @Test
    void builderErrorsPointIntoWhatItBuilt() {
        FusecGraph.Builder b = FusecGraph.builder("bad").input("x", "f32[T, 8]").output("y", "f32[T, 8]")
                .op("y", "silu", "q");
        FusecException e = assertThrows(FusecException.class, b::build);
        assertEquals("<builder bad>", e.file());
        assertEquals(3, e.line(), b.toIr());
        assertTrue(e.render().startsWith("<builder bad>:3:"), e.render());
        assertTrue(e.getMessage().contains("'q'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FusecGraph.builder("x; y"));
        assertThrows(IllegalArgumentException.class, () -> FusecGraph.builder("g").op("y", "silu(x)) {", "x"));
        assertThrows(IllegalArgumentException.class, () -> FusecGraph.builder("g").let("y = silu(x)\n  z = silu(y)"));
    }

    @Test
    void parseErrorsRenderAsCompilerLines() {
        FusecException e = assertThrows(FusecException.class, () -> FusecGraph.parse("graph g(x: f32[4]) -> (y: f32[4]) {\n  y = nope(x)\n  return y\n}\n", "g.fir"));
        assertEquals(2, e.line());
        assertEquals("g.fir:2:7: error: unknown op 'nope'", e.render().replaceAll(";.*", ""));
        FusecException missing = assertThrows(FusecException.class, () -> FusecGraph.parse(Path.of("/no/such/graph.fir")));
        assertEquals("/no/such/graph.fir:1:1: error: no such file", missing.render());
    }

    @Test
    void fusionExplainsWhatItDid() {
        Fusion f = graph.fuse();
        assertEquals(3, f.fired());
        assertEquals("ffn: 3 rewrite(s) fired, 0 site(s) not fused", f.explanation().get(0));
        assertTrue(f.after().toIr().contains("gate_up_swiglu(x, w_gate, w_up)"), f.after().toIr());
        assertEquals(1, f.ruleHits().get("gate-up-swiglu"));
        assertEquals(Fusion.passNames(), f.afterEachPass().stream().map(Fusion.AfterPass::pass).distinct().toList());
        Fusion.Site epilogue = f.sites().stream().filter(s -> s.rule().equals("gate-up-swiglu")).findFirst().orElseThrow();
        assertTrue(epilogue.fired());
        assertEquals(5, epilogue.line());

        Fusion off = graph.fuse(new FusecGraph.FuseOptions(List.of(), List.of(), List.of("gate-up-swiglu")));
        assertTrue(off.after().toIr().contains("swiglu(gate_up)"), off.after().toIr());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> new FusecGraph.FuseOptions(List.of("nope"), List.of(), List.of()));
        assertTrue(unknown.getMessage().startsWith("unknown pass 'nope'; known: canonicalize"), unknown.getMessage());
    }

    @Test
    void everyModeAgreesWithTheInterpreter() {
        Tensor x = x(5, 1);
        Map<String, Tensor> all = new HashMap<>(weights);
        all.put("x", x);
        float[] want;
        try (CompiledModel interp = graph.compile(Mode.INTERP)) {
            Outputs o = interp.run(all);
            want = o.get("y").data();
            assertEquals(Map.of("T", 5L), o.dims());
            assertEquals(List.of(), o.steps());
        }
        try (CompiledModel unfused = graph.compile(Mode.UNFUSED, NO_CACHE)) {
            Outputs o = unfused.run(all);
            assertClose(want, o.get("y").data());
            assertEquals(5, o.steps().size(), "one kernel per op: matmul, matmul, silu, mul, matmul");
        }
        Outputs o = fused.run(Map.of("x", x));
        assertClose(want, o.get("y").data());
        assertEquals(2, o.steps().size(), "gate_up_swiglu and the down matmul");
        assertTrue(o.steps().get(0).label().startsWith("gate_up_swiglu"), o.steps().get(0).label());
        assertEquals(2L * 2 * 5 * 24 * 40, o.steps().get(0).flops(), "FLOPs of the gate-up matmul at T=5");
        assertEquals(4L * 5 * 24, o.memory().orElseThrow().outputBytes());
        assertEquals(2, fused.kernels().count());
        assertTrue(fused.kernels().sources().values().stream().allMatch(s -> s.contains("FloatVector")));
    }

    static void assertClose(float[] want, float[] got) {
        double worst = 0;
        double scale = 1e-30;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertTrue(worst / scale <= TOLERANCE, "worst difference " + worst + " of max |value| " + scale);
    }

    @Test
    void concurrentRunsOfOneModelGiveTheSingleThreadedResults() throws Exception {
        int[] tokens = {1, 3, 8, 1, 17, 3, 8, 1};
        Map<Integer, float[]> expected = new HashMap<>();
        for (int t : tokens) {
            expected.put(t, fused.run(Map.of("x", x(t, t))).get("y").data());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> done = new ArrayList<>();
            for (int round = 0; round < 6; round++) {
                for (int t : tokens) {
                    done.add(pool.submit(() -> java.util.Arrays.equals(expected.get(t), fused.run(Map.of("x", x(t, t))).get("y").data())));
                }
            }
            for (Future<Boolean> f : done) {
                assertTrue(f.get(), "a concurrent run differed from the single-threaded one");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void outputsAreTheCallersToKeep() {
        Tensor x = x(2, 3);
        Outputs first = fused.run(Map.of("x", x));
        float[] kept = first.get("y").data().clone();
        Outputs second = fused.run(Map.of("x", x(2, 4)));
        assertNotSame(first.get("y").data(), second.get("y").data());
        assertArrayEquals(kept, first.get("y").data(), "a later run must not overwrite an earlier result");
    }

    @Test
    void badRunsAreOneLineErrors() {
        FusecException missing = assertThrows(FusecException.class, () -> fused.run(Map.of()));
        assertEquals("ffn.fir:1:1: error: graph ffn needs input(s) x", missing.render());
        FusecException twice = assertThrows(FusecException.class, () -> fused.run(Map.of("x", x(1, 1), "w_up", weights.get("w_up"))));
        assertTrue(twice.getMessage().contains("'w_up' is bound as a weight"), twice.getMessage());
        FusecException unknown = assertThrows(FusecException.class, () -> fused.run(Map.of("q", x(1, 1))));
        assertEquals("'q' is not an input of graph ffn (x, w_gate, w_up, w_down)", unknown.getMessage());
        FusecException shape = assertThrows(FusecException.class, () -> fused.run(Map.of("x", Tensor.zeros(2, 25))));
        assertTrue(shape.getMessage().contains("input 'x' expects f32[T, 24]"), shape.getMessage());
        CompiledModel closed = graph.compile(Mode.INTERP);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.run(Map.of()));
    }

    @Test
    void tensorsFromArraysSegmentsAndNpyFiles(@TempDir Path dir) {
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.of(data, 2, 3);
        assertEquals(6f, t.get(1, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(data, 4, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(6 * Float.BYTES);
            t.copyTo(seg);
            Tensor back = Tensor.copyOf(seg, 3, 2);
            assertArrayEquals(data, back.data());
            assertArrayEquals(new int[] {3, 2}, back.shape());
            assertThrows(IllegalArgumentException.class, () -> Tensor.copyOf(seg, 7));
        }
        Path f = dir.resolve("t.npy");
        t.writeNpy(f);
        assertArrayEquals(data, Tensor.readNpy(f).data());
        assertTrue(Files.exists(f));
        FusecException bad = assertThrows(FusecException.class, () -> Tensor.readNpy(dir.resolve("none.npy")));
        assertEquals(dir.resolve("none.npy") + ":1:1: error: no such file", bad.render());
    }
}
