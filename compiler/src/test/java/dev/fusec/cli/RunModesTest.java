package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.codegen.KernelGenerator;
import dev.fusec.codegen.Species;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Kernel;
import dev.fusec.runtime.KernelCompiler;
import dev.fusec.runtime.KernelSource;
import dev.fusec.runtime.Npy;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fusec run} in its three modes and {@code fusec emit}, through {@link Main#execute} in-process.
 * Generated-kernel runs pass {@code --no-cache} so that tests never touch the user's cache directory
 * (the cache itself is tested through the API in {@code CodegenCacheTest}).
 */
class RunModesTest {
    static final Path LLAMA = Path.of(System.getProperty("basedir", ".")).resolve("../ir-examples/llama2_7b_ffn.fir").normalize();

    static final String SMALL_FFN = """
            graph small_ffn(x: f32[T, 24], w_gate: f32[24, 37], w_up: f32[24, 37], w_down: f32[37, 24])
                -> (y: f32[T, 24], h: f32[T, 37]) {
              gate = matmul(x, w_gate)
              up = matmul(x, w_up)
              h = mul(silu(gate), up)
              y = matmul(h, w_down)
              return y, h
            }
            """;

    @TempDir
    static Path dir;

    static Path ffn;

    @BeforeAll
    static void writeGraph() throws IOException {
        ffn = dir.resolve("small_ffn.fir");
        Files.writeString(ffn, SMALL_FFN);
    }

    record Result(int code, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    static Result fusec(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString().replace("\r", ""), err.toString().replace("\r", ""));
    }

    /** {@code name: f32[3, 24]  min=..  max=..  mean=..}, one per output. */
    static final Pattern SUMMARY = Pattern.compile("(\\w+): (\\w+\\[[^\\]]*\\])  min=(\\S+)  max=(\\S+)  mean=(\\S+)");

    record Summary(String name, String type, double min, double max, double mean) {}

    static List<Summary> summaries(Result r) {
        assertEquals(0, r.code(), r.err());
        List<Summary> out = new ArrayList<>();
        for (String line : r.outLines()) {
            Matcher m = SUMMARY.matcher(line);
            if (m.matches()) {
                out.add(new Summary(m.group(1), m.group(2), Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)),
                        Double.parseDouble(m.group(5))));
            }
        }
        return out;
    }

    /** Printed to 6 significant digits, computed within 1e-4 * max(1, |want|) (the F32 kernel bound). */
    static void assertClose(double want, double got, String what) {
        assertTrue(Math.abs(want - got) <= 1e-4 * Math.max(1, Math.abs(want)), what + ": " + got + " vs " + want);
    }

    static void assertSameSummaries(List<Summary> want, List<Summary> got, String mode) {
        assertEquals(want.stream().map(s -> s.name() + ": " + s.type()).toList(), got.stream().map(s -> s.name() + ": " + s.type()).toList());
        for (int i = 0; i < want.size(); i++) {
            Summary w = want.get(i);
            Summary g = got.get(i);
            assertClose(w.min(), g.min(), mode + " " + w.name() + " min");
            assertClose(w.max(), g.max(), mode + " " + w.name() + " max");
            assertClose(w.mean(), g.mean(), mode + " " + w.name() + " mean");
        }
    }

    @Test
    void fusedAndUnfusedPrintTheInterpretersSummary() {
        List<Summary> interp = summaries(fusec("run", ffn.toString(), "--mode", "interp", "--dim", "T=3", "--seed", "1"));
        assertEquals(List.of("y: f32[3, 24]", "h: f32[3, 37]"), interp.stream().map(s -> s.name() + ": " + s.type()).toList());
        for (String mode : List.of("fused", "unfused")) {
            Result r = fusec("run", ffn.toString(), "--mode", mode, "--dim", "T=3", "--seed", "1", "--no-cache", "--threads", "2");
            assertTrue(r.outLines().get(0).startsWith("graph small_ffn  mode=" + mode + "  dims {T=3}  seed=1  ("), r.out());
            assertSameSummaries(interp, summaries(r), mode);
        }
        // The comparison has teeth: another seed prints other numbers.
        List<Summary> other = summaries(fusec("run", ffn.toString(), "--mode", "fused", "--dim", "T=3", "--seed", "2", "--no-cache"));
        assertTrue(Math.abs(other.get(0).mean() - interp.get(0).mean()) > 1e-4 * Math.max(1, Math.abs(interp.get(0).mean()))
                || Math.abs(other.get(0).max() - interp.get(0).max()) > 1e-3, "seed 2 should differ from seed 1");
    }

    /** S*B cannot be read off an input's shape: the --dim flags must reach every mode. */
    @Test
    void flattenedTokenDimsBoundByDimFlagsRunInEveryMode() throws IOException {
        Path flat = dir.resolve("flat.fir");
        Files.writeString(flat, """
                graph flat(y: f32[S*B, 26], bias: f32[26]) -> (h: f32[S*B, 13]) {
                  h = bias_swiglu(y, bias, layout=interleaved)
                  return h
                }
                """);
        List<Summary> interp = summaries(fusec("run", flat.toString(), "--mode", "interp", "--dim", "S=2", "--dim", "B=3"));
        assertEquals(List.of("h: f32[6, 13]"), interp.stream().map(s -> s.name() + ": " + s.type()).toList());
        for (String mode : List.of("fused", "unfused")) {
            assertSameSummaries(interp, summaries(fusec("run", flat.toString(), "--mode", mode, "--dim", "S=2", "--dim", "B=3",
                    "--no-cache")), mode);
        }
    }

    @Test
    void statsPrintsKernelMemoryAndStepLines() {
        Result fused = fusec("run", ffn.toString(), "--mode", "fused", "--dim", "T=3", "--stats", "--no-cache", "--threads", "2");
        assertEquals(0, fused.code(), fused.err());
        List<String> lines = fused.outLines();
        assertTrue(lines.stream().anyMatch(l -> l.matches("kernels: 2, compiled by javac in [0-9.]+ ms, defined as hidden classes in [0-9.]+ ms "
                + "\\(cache key [0-9a-f]{12}\\)")), fused.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("memory: intermediates .+ in \\d+ planned buffer\\(s\\); inputs .+; outputs .+")),
                fused.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("run: [0-9.]+ ms on 2 thread\\(s\\).*")), fused.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches(" +step +ms +bytes +GB/s +GFLOP/s")), fused.out());
        assertEquals(List.of("gate_up_swiglu", "matmul"), steps(lines), fused.out());

        Result unfused = fusec("run", ffn.toString(), "--mode", "unfused", "--dim", "T=3", "--stats", "--no-cache");
        assertEquals(List.of("matmul", "matmul", "silu", "mul", "matmul"), steps(unfused.outLines()), unfused.out());
        assertTrue(unfused.out().contains("kernels: 4,"), "gate and up share one matmul class:\n" + unfused.out());
    }

    /** The op of each step line ({@code   gate_up_swiglu h @4:7   0.123  ...}). */
    static List<String> steps(List<String> lines) {
        return lines.stream().filter(l -> l.matches("  \\w+ [\\w,]+ @\\d+:\\d+ .*")).map(l -> l.trim().split(" ")[0]).toList();
    }

    @Test
    void threadsZeroIsAUsageError() {
        Result r = fusec("run", ffn.toString(), "--mode", "fused", "--dim", "T=3", "--threads", "0", "--no-cache");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--threads must be between 1 and 1024, got 0"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void anInputOfTheWrongShapeIsOneErrorLineBeforeAnythingRuns() throws IOException {
        Path bad = dir.resolve("x_bad.npy");
        Npy.write(bad, Tensor.zeros(3, 23));
        Path badRank = dir.resolve("x_rank.npy");
        Npy.write(badRank, Tensor.zeros(3, 24, 1));
        for (Path npy : List.of(bad, badRank)) {
            for (String mode : List.of("fused", "unfused", "interp")) {
                Result r = fusec("run", ffn.toString(), "--mode", mode, "--input", "x=" + npy, "--stats", "--no-cache");
                assertEquals(1, r.code(), r.out() + r.err());
                assertEquals("", r.out(), "nothing ran, nothing was printed");
                assertEquals(1, r.errLines().size(), r.err());
                String line = r.errLines().get(0);
                assertTrue(line.matches(Pattern.quote(ffn.toString()) + ":1:\\d+: error: input 'x' expects f32\\[T, 24\\].*"
                        + Pattern.quote(Arrays.toString(npy == bad ? new int[] {3, 23} : new int[] {3, 24, 1}))), line);
            }
        }
        // A shape that contradicts --dim is caught the same way.
        Path good = dir.resolve("x_good.npy");
        Npy.write(good, Tensor.zeros(3, 24));
        Result r = fusec("run", ffn.toString(), "--mode", "fused", "--input", "x=" + good, "--dim", "T=4", "--no-cache");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().matches(Pattern.quote(ffn.toString()) + ":1:\\d+: error: .*\n"), r.err());
    }

    @Test
    void givenInputsAndWrittenOutputsAgreeAcrossModes() throws IOException {
        Graph g = IrParser.parseFile(ffn);
        Tensor x = RandomInputs.generate(g, Map.of("T", 2L), 4, Map.of()).get("x");
        Path in = dir.resolve("x_in.npy");
        Npy.write(in, x);
        Tensor want = null;
        for (String mode : List.of("interp", "fused", "unfused")) {
            Path out = dir.resolve("y_" + mode + ".npy");
            Result r = fusec("run", ffn.toString(), "--mode", mode, "--input", "x=" + in, "--output", "y=" + out, "--no-cache");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("dims {T=2}"), "T is read off the given x: " + r.out());
            Tensor y;
            try {
                y = Npy.read(out);
            } catch (Npy.NpyException e) {
                throw new AssertionError(e);
            }
            assertEquals(List.of(2, 24), Arrays.stream(y.shape()).boxed().toList());
            if (want == null) {
                want = y;
                continue;
            }
            for (int i = 0; i < y.size(); i++) {
                assertClose(want.data()[i], y.data()[i], mode + " y[" + i + "]");
            }
        }
    }

    @Test
    void emitWritesTheGraphAndCompilableKernels() throws IOException {
        Path fusedDir = dir.resolve("emit-fused");
        Path unfusedDir = dir.resolve("emit-unfused");
        Result fused = fusec("emit", LLAMA.toString(), "-o", fusedDir.toString());
        assertEquals(0, fused.code(), fused.err());
        Result unfused = fusec("emit", LLAMA.toString(), "-o", unfusedDir.toString(), "--unfused");
        assertEquals(0, unfused.code(), unfused.err());

        List<KernelSource> fusedKernels = kernels(fusedDir);
        List<KernelSource> unfusedKernels = kernels(unfusedDir);
        assertEquals(List.of("K0_gate_up_swiglu", "K1_matmul"), fusedKernels.stream().map(KernelSource::className).toList());
        assertTrue(unfusedKernels.size() > fusedKernels.size(), unfusedKernels.stream().map(KernelSource::className).toList().toString());
        assertEquals("wrote 2 kernel source(s) and llama2_7b_ffn.fused.fir to " + fusedDir + "\n", fused.out());

        Graph emittedFused = IrParser.parseFile(fusedDir.resolve("llama2_7b_ffn.fused.fir"));
        Graph emittedUnfused = IrParser.parseFile(unfusedDir.resolve("llama2_7b_ffn.unfused.fir"));
        assertTrue(emittedFused.nodes().stream().anyMatch(n -> n.op().opName().equals("gate_up_swiglu")), emittedFused.toString());
        assertEquals(5, emittedUnfused.nodes().size());

        // The files are what the generator writes for this machine, and they compile and load.
        Graph llama = IrParser.parseFile(LLAMA);
        assertEquals(KernelGenerator.generate(Pipeline.fuse(llama), Species.preferred()).sources(), fusedKernels);
        for (List<KernelSource> sources : List.of(fusedKernels, unfusedKernels)) {
            KernelCompiler.Loaded loaded = KernelCompiler.load(sources, "emitted", null);
            assertEquals(sources.size(), loaded.kernels().size());
            assertTrue(loaded.kernels().stream().allMatch(k -> k instanceof Kernel));
        }
    }

    static List<KernelSource> kernels(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<KernelSource> out = new ArrayList<>();
            for (Path p : files.filter(f -> f.getFileName().toString().matches("K\\d+_\\w+\\.java")).sorted().toList()) {
                String name = p.getFileName().toString().replace(".java", "");
                out.add(new KernelSource(name, Files.readString(p)));
            }
            return out;
        }
    }

    @Test
    void emitForOpenClWritesOneProgramBesideTheIr() throws IOException {
        Path out = dir.resolve("cl");
        Result r = fusec("emit", LLAMA.toString(), "-o", out.toString(), "--target", "opencl");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote an OpenCL C program of "), r.out());
        String cl = Files.readString(out.resolve("llama2_7b_ffn.fused.cl"));
        assertTrue(cl.contains("__kernel void k0_gate_up_swiglu_rows("), cl);
        assertTrue(Files.exists(out.resolve("llama2_7b_ffn.fused.fir")));
    }

    @Test
    void aMissingFileIsOneErrorLine() {
        Path missing = dir.resolve("missing.fir");
        Result r = fusec("run", missing.toString(), "--mode", "fused", "--dim", "T=1", "--no-cache");
        assertEquals(1, r.code());
        assertEquals(missing + ":1:1: error: no such file\n", r.err());
    }
}
