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
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated source as text: one small kernel of each family (elementwise, matmul, the SwiGLU
 * family forward and backward, gate_up_swiglu, a layout kernel) compared with golden files for a fixed
 * species (8 lanes; silu and matmul also 16: the preferred one depends on the machine), every one of
 * them compiled and run against the interpreter, the header every kernel opens with, and the rule that
 * IR names reach generated code only inside comments.
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

    /**
     * One golden kernel: the stem of its files ({@code NAME_8lanes.java.txt}), a graph of exactly one
     * kernel, kept small (the SwiGLU cases have I = 20: two vectors and a tail of 4 at 8 lanes, one and a
     * tail at 16), and the widths whose text is pinned. Every case is compiled and run at both widths whatever it pins.
     */
    record Case(String name, String ir, List<Integer> lanes) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Integer> BOTH = List.of(8, 16);
    /** The fused kernels' text differs between widths only in S and L, so one width pins it. */
    static final List<Integer> EIGHT = List.of(8);

    static final List<Case> CASES = List.of(
            new Case("silu", SILU, BOTH),
            new Case("matmul", MATMUL, BOTH),
            new Case("swiglu_swapped", """
                    # [up; gate] halves (vLLM's MulAndSilu)
                    graph swapped(y: f32[T, 40]) -> (h: f32[T, 20]) {
                      h = swiglu(y, layout=swapped)
                      return h
                    }
                    """, EIGHT),
            new Case("bias_swiglu_interleaved_limit", """
                    # gpt-oss: [g0, u0, g1, u1, ..] pairs (two lane shuffles per pair of vectors), a bias, a limit
                    # that binds on the test's inputs in [-1, 1]
                    graph gptoss_act(y: f32[T, 40], b: f32[40]) -> (h: f32[T, 20]) {
                      h = bias_swiglu(y, b, layout=interleaved, limit=0.5)
                      return h
                    }
                    """, EIGHT),
            new Case("weighted_swiglu", """
                    # MoE: one router weight per token
                    graph moe_act(y: f32[T, 40], w: f32[T, 1]) -> (h: f32[T, 20]) {
                      h = weighted_swiglu(y, w)
                      return h
                    }
                    """, EIGHT),
            new Case("weighted_bias_swiglu_3d", """
                    # [T, 3, 2I] rows with bias, per-row weight and limit
                    graph moe_bias_act(y: f32[T, 3, 40], b: f32[40], w: f32[T, 3, 1]) -> (h: f32[T, 3, 20]) {
                      h = weighted_bias_swiglu(y, b, w, limit=0.5)
                      return h
                    }
                    """, EIGHT),
            new Case("gate_up_swiglu", """
                    # SwiGLU as the epilogue of one [T, 8] x [8, 2 * 12] matmul: gate and up never stored
                    graph ffn_act(x: f32[T, 8], w_gate: f32[8, 12], w_up: f32[8, 12]) -> (h: f32[T, 12]) {
                      h = gate_up_swiglu(x, w_gate, w_up)
                      return h
                    }
                    """, EIGHT),
            new Case("gate_up_swiglu_bf16", """
                    # bf16 weights packed at 16 bits, two to an int: one load feeds gate and up; HF [out, in] weights
                    graph ffn_act_bf16(x: bf16[T, 8], w_gate: bf16[12, 8], w_up: bf16[12, 8]) -> (h: bf16[T, 12]) {
                      h = gate_up_swiglu(x, w_gate, w_up, transpose_b=true)
                      return h
                    }
                    """, EIGHT),
            new Case("linear_f16", """
                    # an f16 weight: the two vectors of a panel from one load, widened
                    graph proj_f16(x: f16[T, 8], w: f16[20, 8]) -> (y: f16[T, 20]) {
                      y = linear(x, w)
                      return y
                    }
                    """, EIGHT),
            new Case("bias_swiglu_gptoss", """
                    # gpt-oss's activation: (up + 1) * gate * sigmoid(1.702 * gate), interleaved, clamped at 7
                    graph gptoss_act2(y: f32[T, 40], b: f32[40]) -> (h: f32[T, 20]) {
                      h = bias_swiglu(y, b, layout=interleaved, limit=7.0, alpha=1.702, beta=1.0)
                      return h
                    }
                    """, EIGHT),
            new Case("bias_swiglu_back", """
                    # Megatron's bias_swiglu_back: dy [T, 40] and db [40] summed over the tokens
                    graph act_back(g: f32[T, 20], y: f32[T, 40], b: f32[40]) -> (dy: f32[T, 40], db: f32[40]) {
                      dy, db = bias_swiglu_back(g, y, b)
                      return dy, db
                    }
                    """, EIGHT),
            new Case("swiglu_back_interleaved_fp8", """
                    # the saved input read back through an f8e4m3 rounding, interleaved pairs
                    graph act_back_fp8(g: f32[T, 20], y: f32[T, 40]) -> (dy: f32[T, 40]) {
                      dy = swiglu_back(g, y, layout=interleaved, fp8_input_store=true)
                      return dy
                    }
                    """, EIGHT),
            new Case("transpose", """
                    # [T, 12] -> [12, T]: strided reads, no vectors
                    graph flip(x: f32[T, 12]) -> (y: f32[12, T]) {
                      y = transpose(x, perm=[1, 0])
                      return y
                    }
                    """, EIGHT));

    static Stream<Arguments> goldenFiles() {
        return CASES.stream().flatMap(c -> c.lanes().stream().map(l -> Arguments.of(c, l)));
    }

    private static String only(String ir, Species species) {
        List<KernelSource> sources = KernelGenerator.generate(IrParser.parse("golden.fir", ir), species).sources();
        assertEquals(1, sources.size());
        return sources.get(0).source();
    }

    @ParameterizedTest(name = "{0} at {1} lanes")
    @MethodSource("goldenFiles")
    void sourceMatchesTheGoldenFile(Case c, int lanes) throws IOException {
        String source = only(c.ir(), new Species(lanes));
        Path golden = GOLDEN.resolve(c.name() + "_" + lanes + "lanes.java.txt");
        if (Boolean.getBoolean("fusec.updateGoldens")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(golden, source, StandardCharsets.UTF_8);
        }
        assertTrue(Files.exists(golden), "missing golden file " + golden + "; run with -Dfusec.updateGoldens=true");
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), source,
                "generated source changed; if intended, run with -Dfusec.updateGoldens=true and review the diff");
    }

    /** No golden file without its case: a renamed case must not leave its old files behind (updating deletes them). */
    @Test
    void everyGoldenFileHasItsCase() throws IOException {
        Set<String> expected = new TreeSet<>();
        goldenFiles().forEach(a -> expected.add(a.get()[0] + "_" + a.get()[1] + "lanes.java.txt"));
        Set<String> present;
        try (Stream<Path> files = Files.list(GOLDEN)) {
            present = files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        if (Boolean.getBoolean("fusec.updateGoldens")) {
            for (String stale : present) {
                if (!expected.contains(stale)) {
                    Files.delete(GOLDEN.resolve(stale));
                }
            }
            return;
        }
        assertEquals(expected, present);
    }

    /**
     * Generated code is tested twice: as text (above), and compiled and called (here): every case at
     * both widths and T = 1 (decode: a matmul's one-row path, no full band of rows), 2 (gate_up's
     * paired panels), 5 (a band and a rest) and 70 (db summed over two chunks of 64 rows), within
     * {@link Agreement#F32} of the interpreter: 1e-4 * max(1, max|want|) per output (fp8_input_store
     * rounds y to f8e4m3 alike on both sides, so it needs no more). Two threads, so the rows (and db's
     * chunks) are split.
     */
    @ParameterizedTest(name = "{0} at {1} lanes")
    @MethodSource("everyCaseAtBothWidths")
    void goldenKernelsCompileAndAgree(Case c, int lanes) {
        Graph g = IrParser.parse("golden.fir", c.ir());
        CompiledGraph cg = CompiledGraph.compile(g, new Species(lanes), null);
        for (long t : new long[] {1, 2, 5, 70}) {
            Map<String, Long> binding = Map.of("T", t);
            Map<String, Tensor> in = Agreement.inputs(g, binding, 3);
            List<String> problems = Agreement.compare(g.name() + " T=" + t, Interpreter.run(g, in),
                    Agreement.run(cg, binding, in, 2), Agreement.F32);
            assertTrue(problems.isEmpty(), String.join("\n", problems));
        }
    }

    static Stream<Arguments> everyCaseAtBothWidths() {
        return CASES.stream().flatMap(c -> BOTH.stream().map(l -> Arguments.of(c, l)));
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
