package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Interpreter;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.KernelSource;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The generated source as text: two small kernels compared with golden files for a fixed 8- and
 * 16-lane species (the preferred one depends on the machine), the header every kernel opens with,
 * and the rule that IR names reach generated code only inside comments.
 *
 * <p>To accept a deliberate change of the generators, run with {@code -Dfusec.updateGoldens=true}
 * and review the diff of {@code src/test/resources/golden/}.
 */
class KernelSourceGoldenTest {
    static final Path GOLDEN = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/golden");

    static final String SILU = """
            # silu over rows of 20 (not a multiple of 8 or 16: a masked tail)
            graph silu_rows(x: f32[T, 20]) -> (y: f32[T, 20]) {
              y = silu(x)
              return y
            }
            """;

    static final String MATMUL = """
            # [T, 8] x [8, 12]: one panel, the second vector of it fully masked at 8 lanes
            graph small_matmul(x: f32[T, 8], w: f32[8, 12]) -> (y: f32[T, 12]) {
              y = matmul(x, w)
              return y
            }
            """;

    private static String only(String ir, Species species) {
        List<KernelSource> sources = KernelGenerator.generate(IrParser.parse("golden.fir", ir), species).sources();
        assertEquals(1, sources.size());
        return sources.get(0).source();
    }

    @ParameterizedTest(name = "{0} at {1} lanes")
    @CsvSource({"silu, 8", "silu, 16", "matmul, 8", "matmul, 16"})
    void sourceMatchesTheGoldenFile(String kernel, int lanes) throws IOException {
        String source = only(kernel.equals("silu") ? SILU : MATMUL, new Species(lanes));
        Path golden = GOLDEN.resolve(kernel + "_" + lanes + "lanes.java.txt");
        if (Boolean.getBoolean("fusec.updateGoldens")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(golden, source, StandardCharsets.UTF_8);
        }
        assertTrue(Files.exists(golden), "missing golden file " + golden + "; run with -Dfusec.updateGoldens=true");
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), source,
                "generated source changed; if intended, run with -Dfusec.updateGoldens=true and review the diff");
    }

    /** Generated code is tested twice: as text (above), and compiled and called (here), at both widths. */
    @ParameterizedTest(name = "{0} lanes")
    @CsvSource({"8", "16"})
    void goldenKernelsCompileAndAgree(int lanes) {
        for (String ir : List.of(SILU, MATMUL)) {
            Graph g = IrParser.parse("golden.fir", ir);
            CompiledGraph cg = CompiledGraph.compile(g, new Species(lanes), null);
            for (long t : new long[] {1, 5}) {
                Map<String, Long> binding = Map.of("T", t);
                Map<String, Tensor> in = Agreement.inputs(g, binding, 3);
                List<String> problems = Agreement.compare(g.name() + " T=" + t, Interpreter.run(g, in),
                        Agreement.run(cg, binding, in, 1), Agreement.F32);
                assertTrue(problems.isEmpty(), String.join("\n", problems));
            }
        }
    }

    @Test
    void headerNamesTheNodeShapesSpeciesAndAlgorithm() {
        String silu = only(SILU, new Species(16));
        String header = silu.substring(silu.indexOf("/**"), silu.indexOf("*/"));
        assertTrue(header.contains("Kernel for {@code y = silu(x)} (graph silu_rows, line 3:7)"), header);
        assertTrue(header.contains("operand x: f32[T, 20]"), header);
        assertTrue(header.contains("result y: f32[T, 20]"), header);
        assertTrue(header.contains("vector species: FloatVector.SPECIES_512 (16 x f32)"), header);
        assertTrue(header.contains("Algorithm:") && header.contains("<li>split the (20 * sym[0]) elements into blocks"), header);

        String mm = only(MATMUL, new Species(8));
        String mmHeader = mm.substring(mm.indexOf("/**"), mm.indexOf("*/"));
        assertTrue(mmHeader.contains("Kernel for {@code y = matmul(x, w)} (graph small_matmul, line 3:7)"), mmHeader);
        assertTrue(mmHeader.contains("operand w: f32[8, 12]") && mmHeader.contains("result y: f32[T, 12]"), mmHeader);
        assertTrue(mmHeader.contains("vector species: FloatVector.SPECIES_256 (8 x f32)"), mmHeader);
        assertTrue(mmHeader.contains("pack the weight into 1 K-major panels of NR = 16 columns"), mmHeader);
        assertTrue(mm.contains("S = FloatVector.SPECIES_256;") && mm.contains("int L = 8;"), mm);
    }

    /** Nodes with the same op and shapes share one class, and its header says which others it serves. */
    @Test
    void sharedKernelHeaderListsEveryNode() {
        Graph g = IrParser.parse("shared.fir", """
                graph twice(a: f32[T, 12], b: f32[T, 12]) -> (p: f32[T, 12], q: f32[T, 12]) {
                  p = silu(a)
                  q = silu(b)
                  return p, q
                }
                """);
        KernelGenerator.Kernels k = KernelGenerator.generate(g, new Species(8));
        assertEquals(1, k.sources().size());
        assertEquals(List.of(0, 0), List.of(k.kernelOf()[0], k.kernelOf()[1]));
        assertTrue(k.sources().get(0).source().contains("also computes {@code q = silu(b)} (line 3:7)"), k.sources().get(0).source());
    }

    /** Names that are Java keywords, or that generated code uses itself, are fine: they never reach code. */
    @Test
    void javaKeywordsAndGeneratorIdentifiersAsIrNames() {
        Graph g = IrParser.parse("keywords.fir", """
                graph class(int: f32[T, 13], new: f32[13, 20], public: f32[20], static: f32[T, 40], args: f32[T, 1])
                    -> (graph: f32[T, 20], return: f32[T, 20], void: f32[T, 20], this: f32[T, 20]) {
                  return = matmul(int, new)
                  graph = add(silu(return), public)
                  null, S = split(static, parts=2)
                  L = mul(silu(null), S)
                  void = mul(L, args)
                  sym, par = split(static, parts=2)
                  this = weighted_swiglu(concat(sym, par, axis=-1), args)
                  return graph, return, void, this
                }
                """);
        assertEquals("class", g.name());
        for (Graph variant : List.of(g, Pipeline.fuse(g))) {
            CompiledGraph cg = CompiledGraph.compile(variant, Species.preferred(), null);
            for (long t : new long[] {1, 4}) {
                Map<String, Long> binding = Map.of("T", t);
                Map<String, Tensor> in = Agreement.inputs(g, binding, 9);
                List<String> problems = Agreement.compare("T=" + t, Interpreter.run(g, in), Agreement.run(cg, binding, in, 2),
                        Agreement.F32);
                assertTrue(problems.isEmpty(), String.join("\n", problems));
            }
        }
    }

    @Test
    void dollarSignsCannotBeIrNames() {
        CompileError e = assertThrows(CompileError.class, () -> IrParser.parse("dollar.fir", """
                graph g(x__$: f32[4]) -> (y: f32[4]) {
                  y = silu(x__$)
                  return y
                }
                """));
        assertTrue(e.render().matches("dollar\\.fir:1:\\d+: error: .+"), e.render());
        assertEquals(1, e.pos().line());
        assertEquals("graph g(x__".length() + 1, e.pos().col(), e.render());
    }

    /**
     * With names no generator could invent, every kernel of the unfused and the fused graph is searched
     * with its comments stripped: IR names appear only in comments (the header).
     */
    @Test
    void irNamesAppearOnlyInComments() {
        Graph g = IrParser.parse("names.fir", """
                graph qqgraph(qqx: f32[T, 24], qqwg: f32[24, 37], qqwu: f32[24, 37], qqwd: f32[37, 24],
                              qqy: f32[T, 26], qqb: f32[26], qqw: f32[T, 1])
                    -> (qqout: f32[T, 24], qqact: f32[T, 13], qqt: f32[24, T], qqd: f32[T, 26], qqdb: f32[26]) {
                  qqgate = matmul(qqx, qqwg)
                  qqup = matmul(qqx, qqwu)
                  qqh = mul(silu(qqgate), qqup)
                  qqout = matmul(qqh, qqwd)
                  qqz1, qqz2 = split(add(qqy, qqb), parts=2, axis=-1)
                  qqact = mul(mul(silu(qqz1), qqz2), qqw)
                  qqt = transpose(reshape(qqout, shape=[T, 24]), perm=[1, 0])
                  qqd, qqdb = bias_swiglu_back(qqact, clamp(qqy, min=-0.5), qqb, layout=interleaved)
                  return qqout, qqact, qqt, qqd, qqdb
                }
                """);
        Set<String> names = new LinkedHashSet<>(List.of(g.name()));
        g.inputs().stream().map(Param::name).forEach(names::add);
        g.nodes().stream().flatMap(n -> n.results().stream()).filter(r -> r.startsWith("qq")).forEach(names::add);
        List<String> leaks = new ArrayList<>();
        int kernels = 0;
        for (Graph variant : List.of(g, Pipeline.fuse(g))) {
            for (KernelSource s : KernelGenerator.generate(variant, new Species(8)).sources()) {
                kernels++;
                assertTrue(s.source().contains("qq"), "the header should name the node: " + s.className());
                String code = stripComments(s.source());
                for (String name : names) {
                    if (code.contains(name)) {
                        leaks.add(s.className() + " uses '" + name + "' outside comments");
                    }
                }
                if (code.contains("qq") && leaks.isEmpty()) {
                    leaks.add(s.className() + " has a fragment of an IR name outside comments:\n" + code);
                }
            }
        }
        assertTrue(kernels >= 10, "expected kernels for many ops, got " + kernels);
        assertTrue(leaks.isEmpty(), String.join("\n", leaks));
    }

    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    /** Java source without its comments (generated code has no string literals that could hold them). */
    static String stripComments(String java) {
        Matcher m = COMMENT.matcher(java);
        return m.replaceAll(" ");
    }

    @Test
    void stripCommentsRemovesBothKinds() {
        assertEquals("a   b  \nc\n", stripComments("a /* x\n y */ b // z\nc\n"));
    }
}
