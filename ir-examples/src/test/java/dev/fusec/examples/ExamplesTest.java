package dev.fusec.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.fusec.cli.Main;
import dev.fusec.interp.InputBinding;
import dev.fusec.interp.Interpreter;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;

/**
 * Every example graph in ir-examples/ (any *.fir there, picked up automatically) is checked against its
 * golden `fusec check` output, must survive print/parse unchanged, and must run in the reference
 * interpreter at small token counts with outputs of the inferred shapes and finite values.
 */
class ExamplesTest {
    /** The module folder: surefire runs in it and names it in {@code basedir}. */
    private static final Path DIR = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    private static final Path GOLDEN = DIR.resolve("golden");
    private static final String GOLDEN_SUFFIX = ".check.txt";
    private static final String FUSED_SUFFIX = ".fused.fir";
    /** Fused vs source under the interpreter: |a - b| <= 1e-5 * max|b| (f32), 4 bf16 steps for bf16 graphs. */
    private static final double F32_TOLERANCE = 1e-5;
    private static final double BF16_TOLERANCE = 4.0 / 256;
    /** {@code -Dfusec.updateGolden=true} rewrites the golden files from the current output instead of comparing. */
    private static final boolean UPDATE = Boolean.getBoolean("fusec.updateGolden");
    private static final int MIN_EXAMPLES = 14;
    /** Token dims for the interpreter runs: small, so Llama-sized weights still run in about a second. */
    private static final Map<String, Long> DIMS = Map.of("T", 3L, "S", 2L, "B", 2L);
    private static final long SEED = 7;

    @TestFactory
    Stream<DynamicContainer> everyExample() throws IOException {
        return examples().stream().map(file -> dynamicContainer(stem(file), Stream.of(
                inFile(file, "opens with a comment and names its graph after the file", () -> header(file)),
                inFile(file, "fusec check output equals the golden file", () -> golden(file)),
                inFile(file, "print then parse gives the same graph", () -> roundTrip(file)),
                inFile(file, "the CLI prints the golden file and exits 0", () -> cli(file)),
                inFile(file, "interpreter outputs have the inferred shapes and finite values", () -> interpret(file)),
                inFile(file, "fusec fuse output equals the golden fused IR", () -> fusedGolden(file)),
                inFile(file, "fused graph computes what the source computes (interpreter)", () -> translationValidation(file)))));
    }

    /** A test whose failure message starts with the example's file name, since reports show only indices. */
    private static DynamicTest inFile(Path file, String name, Executable check) {
        return dynamicTest(name, () -> {
            try {
                check.execute();
            } catch (AssertionFailedError e) {
                throw new AssertionFailedError(file.getFileName() + ": " + e.getMessage(),
                        e.getExpected(), e.getActual(), e);
            }
        });
    }

    @Test
    void thereAreEnoughExamples() throws IOException {
        List<Path> files = examples();
        assertTrue(files.size() >= MIN_EXAMPLES, "expected at least " + MIN_EXAMPLES + " *.fir examples in " + DIR
                + ", found " + files.size() + ": " + files.stream().map(ExamplesTest::stem).toList());
    }

    @Test
    void everyGoldenFileHasItsExample() throws IOException {
        List<String> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(GOLDEN)) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(GOLDEN_SUFFIX) || n.endsWith(FUSED_SUFFIX))
                    .map(n -> n.substring(0, n.length() - (n.endsWith(GOLDEN_SUFFIX) ? GOLDEN_SUFFIX : FUSED_SUFFIX).length()))
                    .filter(n -> !Files.exists(DIR.resolve(n + ".fir")))
                    .forEach(stale::add);
        }
        assertEquals(List.of(), stale, "golden files without an example .fir (delete them or restore the example)");
    }

    /** The test dims the graph's inputs use: binding refuses a dim the graph does not have. */
    private static Map<String, Long> dimsOf(Graph g) {
        Set<String> own = new HashSet<>();
        g.inputs().forEach(p -> p.type().shape().dims().forEach(d -> own.addAll(d.symbols())));
        Map<String, Long> dims = new TreeMap<>(DIMS);
        dims.keySet().retainAll(own);
        return dims;
    }

    private static List<Path> examples() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(".fir") && Files.isRegularFile(p))
                    .sorted().toList();
            assertTrue(files.size() >= MIN_EXAMPLES, "expected at least " + MIN_EXAMPLES + " *.fir examples in "
                    + DIR + ", found " + files.size());
            return files;
        }
    }

    private static String stem(Path file) {
        String n = file.getFileName().toString();
        return n.substring(0, n.length() - ".fir".length());
    }

    private static Path goldenOf(Path file) {
        return GOLDEN.resolve(stem(file) + GOLDEN_SUFFIX);
    }

    /** The file opens with 1-3 comment lines saying what it mirrors, and the graph is named like the file. */
    private static void header(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int comments = 0;
        while (comments < lines.size() && lines.get(comments).startsWith("#")) {
            comments++;
        }
        assertTrue(comments >= 1 && comments <= 3, file.getFileName() + " should open with 1-3 '#' lines saying what "
                + "model it mirrors and its shapes, found " + comments);
        assertEquals(stem(file), IrParser.parseFile(file).name(), "graph name in " + file.getFileName());
    }

    private static String checkOutput(Path file) {
        Graph g = IrParser.parseFile(file);
        return IrPrinter.print(g, ShapeInference.infer(g));
    }

    private static void golden(Path file) throws IOException {
        String actual = checkOutput(file);
        Path golden = goldenOf(file);
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(golden)) {
            fail("no golden file " + DIR.relativize(golden) + "; create it with mvn verify -Dfusec.updateGolden=true");
        }
        assertSameText(Files.readString(golden, StandardCharsets.UTF_8), actual, golden);
    }

    /** print(g) and print(g, types) both parse back to g (positions aside). */
    private static void roundTrip(Path file) {
        Graph g = IrParser.parseFile(file);
        Graph expected = g.withoutPositions();
        String plain = IrPrinter.print(g);
        assertEquals(expected, IrParser.parse(stem(file), plain).withoutPositions(),
                () -> "the printed graph parses to a different graph:\n" + plain);
        String typed = IrPrinter.print(g, ShapeInference.infer(g));
        assertEquals(expected, IrParser.parse(stem(file), typed).withoutPositions(),
                () -> "the printed graph with types parses to a different graph:\n" + typed);
        assertEquals(plain, IrPrinter.print(IrParser.parse(stem(file), plain)), "printing is not stable across a round trip");
    }

    private static void cli(Path file) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"check", file.toString()}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, () -> "fusec check " + file.getFileName() + " failed: " + err);
        assertEquals("", err.toString(), "fusec check wrote to stderr");
        Path golden = goldenOf(file);
        String expected = UPDATE ? checkOutput(file) : Files.readString(golden, StandardCharsets.UTF_8);
        assertSameText(expected, out.toString(), golden);
    }

    /** Random inputs at T=3, S=2, B=2: every output has its inferred shape, finite values on its dtype's grid. */
    private static void interpret(Path file) {
        Graph g = IrParser.parseFile(file);
        Map<String, TensorType> types = ShapeInference.infer(g);
        TreeSet<String> unbound = new TreeSet<>();
        types.values().forEach(t -> t.shape().dims().forEach(d -> unbound.addAll(d.symbols())));
        unbound.removeAll(DIMS.keySet());
        assertEquals(new TreeSet<String>(), unbound, "symbolic dims with no test value; add them to DIMS");

        Map<String, Long> binding = InputBinding.bind(g, dimsOf(g), Map.of());
        Map<String, Tensor> outputs = Interpreter.run(g, RandomInputs.generate(g, binding, SEED, Map.of()), dimsOf(g));

        assertEquals(g.outputs().stream().map(Param::name).toList(), List.copyOf(outputs.keySet()), "outputs, in order");
        for (Param p : g.outputs()) {
            Tensor t = outputs.get(p.name());
            TensorType type = types.get(p.name());
            int[] want = type.shape().evaluate(binding).orElseThrow();
            assertArrayEquals(want, t.shape(), () -> p.name() + ": inferred " + type + " = " + Arrays.toString(want)
                    + ", the interpreter gave " + Arrays.toString(t.shape()));
            float[] d = t.data();
            boolean nonZero = false;
            for (int i = 0; i < d.length; i++) {
                int at = i;
                assertTrue(Float.isFinite(d[i]), () -> p.name() + "[" + at + "] = " + d[at] + " is not finite");
                assertEquals(d[i], type.dtype().round(d[i]), () -> p.name() + "[" + at + "] = " + d[at]
                        + " is not a " + type.dtype() + " value");
                nonZero |= d[i] != 0;
            }
            assertTrue(nonZero, p.name() + " is all zeros on random inputs");
        }
    }

    /** The fused IR of every example is checked in, and it parses and checks. */
    private static void fusedGolden(Path file) throws IOException {
        Graph fused = Pipeline.fuse(IrParser.parseFile(file));
        String actual = IrPrinter.print(fused);
        Path golden = GOLDEN.resolve(stem(file) + FUSED_SUFFIX);
        if (UPDATE) {
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(golden)) {
            fail("no golden file " + DIR.relativize(golden) + "; create it with mvn verify -Dfusec.updateGolden=true");
        }
        assertSameText(Files.readString(golden, StandardCharsets.UTF_8), actual, golden);
        ShapeInference.infer(IrParser.parse(golden.toString(), actual));
    }

    /** The interpreter runs the example before and after fusion on the same random inputs. */
    private static void translationValidation(Path file) {
        Graph g = IrParser.parseFile(file);
        Graph fused = Pipeline.fuse(g);
        Map<String, Long> binding = InputBinding.bind(g, dimsOf(g), Map.of());
        Map<String, Tensor> in = RandomInputs.generate(g, binding, SEED, Map.of());
        Map<String, Tensor> want = Interpreter.run(g, in, dimsOf(g));
        Map<String, Tensor> got = Interpreter.run(fused, in, dimsOf(g));
        for (Param p : g.outputs()) {
            float[] w = want.get(p.name()).data();
            float[] a = got.get(p.name()).data();
            double scale = 1e-30;
            for (float v : w) {
                scale = Math.max(scale, Math.abs(v));
            }
            double worst = 0;
            for (int i = 0; i < w.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - w[i]));
            }
            double tol = (p.type().dtype() == dev.fusec.ir.DType.F32 ? F32_TOLERANCE : BF16_TOLERANCE) * scale;
            assertTrue(worst <= tol, p.name() + ": fused differs from source by " + worst + " > " + tol);
        }
    }

    private static void assertSameText(String expected, String actual, Path golden) {
        if (!expected.equals(actual)) {
            fail("output differs from " + DIR.relativize(golden) + " (- golden, + actual; rewrite goldens with "
                    + "-Dfusec.updateGolden=true):\n" + LineDiff.of(expected, actual));
        }
    }
}
