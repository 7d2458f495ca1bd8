package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import dev.fusec.pass.Pass;
import dev.fusec.pass.Pipeline;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fusion passes as the user drives them: {@code fusec fuse} with its pass and rule switches,
 * {@code --print-after-all}, {@code --explain}, {@code fusec passes} and {@code fusec dot}, all through
 * {@link Main#execute} with captured streams.
 */
class FusionCliTest {
    static final String LLAMA = """
            graph ffn(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
              gate = matmul(x, w_gate)
              up = matmul(x, w_up)
              act = mul(gate, sigmoid(gate))
              h = mul(act, up)
              y = matmul(h, w_down)
              return y
            }
            """;

    @TempDir
    Path dir;
    Path llama;

    /** What one CLI run printed and returned. */
    record Run(int code, String out, String err) {}

    @BeforeEach
    void writeLlama() throws IOException {
        llama = write("llama.fir", LLAMA);
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static Run fusec(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private static Run ok(String... args) {
        Run r = fusec(args);
        assertEquals(0, r.code(), () -> "exit status; stderr: " + r.err());
        assertEquals("", r.err());
        return r;
    }

    @Test
    void fuseByDefaultPrintsTheFusedGraph() {
        assertEquals("""
                graph ffn(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
                  h = gate_up_swiglu(x, w_gate, w_up)
                  y = matmul(h, w_down)
                  return y
                }
                """, ok("fuse", llama.toString()).out());
    }

    @Test
    void disableRuleSwiGluStopsAfterTheGateUpMerge() {
        assertEquals("""
                graph ffn(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
                  gate_up = gate_up(x, w_gate, w_up)
                  gate, up = split(gate_up, parts=2, axis=-1)
                  act = silu(gate)
                  h = mul(act, up)
                  y = matmul(h, w_down)
                  return y
                }
                """, ok("fuse", llama.toString(), "--disable-rule", "swiglu").out());
    }

    @Test
    void onlyCanonicalizeAndDceGiveTheCanonicalSpelling() {
        assertEquals("""
                graph ffn(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], w_down: f32[4, 8]) -> (y: f32[T, 8]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  act = silu(gate)
                  h = mul(act, up)
                  y = matmul(h, w_down)
                  return y
                }
                """, ok("fuse", llama.toString(), "--passes", "canonicalize,dce").out());
    }

    @Test
    void disablePassGateUpLeavesSwiGluNoSplitToFind() {
        Run r = ok("fuse", llama.toString(), "--disable-pass", "gate-up", "--explain");
        assertTrue(r.out().contains("silu-from-sigmoid      fired"), r.out());
        assertTrue(r.out().contains("gate-up-merge=0 swiglu=0"), r.out());
        assertTrue(r.out().contains("not fired (mul) silu(gate) * up: operands are not two halves of one split"), r.out());
        String fused = ok("fuse", llama.toString(), "--disable-pass", "gate-up").out();
        assertEquals(ok("fuse", llama.toString(), "--passes", "canonicalize,dce").out(), fused);
    }

    @Test
    void unknownPassOrRuleIsAUsageErrorListingTheKnownNames() {
        String passes = String.join(", ", Pipeline.passNames());
        String rules = String.join(", ", Pipeline.ruleNames());
        List<String[]> cases = List.of(
                new String[] {"--passes", "canonicalize,nosuch", "unknown pass 'nosuch'; known: " + passes},
                new String[] {"--disable-pass", "gateup", "unknown pass 'gateup'; known: " + passes},
                new String[] {"--disable-rule", "swiglu2", "unknown rule 'swiglu2'; known: " + rules});
        for (String[] c : cases) {
            Run r = fusec("fuse", llama.toString(), c[0], c[1]);
            assertEquals(2, r.code(), c[0] + ": a usage error");
            assertEquals("", r.out());
            assertEquals(c[2], r.err().lines().findFirst().orElse(""), "the first line says what is wrong");
        }
        assertTrue(passes.contains("gate-up") && rules.contains("gate-up-merge"));
    }

    @Test
    void printAfterAllShowsEveryPassAsIrThatParsesBack() {
        String out = ok("fuse", llama.toString(), "--print-after-all").out();
        Matcher m = Pattern.compile("(?m)^# ---- IR (?:after pass (\\S+)|as written) ----$").matcher(out);
        List<String> names = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1) == null ? "<source>" : m.group(1));
            starts.add(m.start());
        }
        List<String> expected = new ArrayList<>(List.of("<source>"));
        Pipeline.standard().stream().map(Pass::name).forEach(expected::add);
        assertEquals(expected, names);
        starts.add(out.length());
        Graph last = null;
        for (int i = 0; i < names.size(); i++) {
            String block = out.substring(starts.get(i), starts.get(i + 1)).lines()
                    .filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
            last = IrParser.parse(names.get(i) + ".fir", block);
            ShapeInference.infer(last);
            assertEquals(block.strip(), IrPrinter.print(last).strip(), "block after " + names.get(i) + " is printed IR");
        }
        assertEquals(ok("fuse", llama.toString()).out(), IrPrinter.print(last));
        int gateUp = names.indexOf("gate-up");
        assertTrue(out.substring(starts.get(gateUp), starts.get(gateUp + 1)).contains("= gate_up(x, w_gate, w_up)"));
    }

    @Test
    void explainListsEachEventAndTheRuleHits() throws IOException {
        Path file = write("silu_out.fir", """
                graph g(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4]) -> (h: f32[T, 4], act: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  act = silu(gate)
                  h = mul(act, up)
                  return h, act
                }
                """);
        List<String> lines = ok("fuse", file.toString(), "--explain").out().lines().toList();
        assertEquals("g: 1 rewrite(s) fired, 1 site(s) not fused", lines.get(0));
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).matches("  2:10 +gate-up +gate-up-merge +fired +gate_up = gate_up\\(x, w_gate, w_up\\) "
                + "absorbed matmul 2:10, matmul 3:8"), lines.get(1));
        assertTrue(lines.get(2).matches("  5:7 +swiglu +swiglu +not fired \\(mul\\) 'act' has other uses "
                + "\\(it is a graph output\\); fusing would compute silu twice"), lines.get(2));
        StringBuilder hits = new StringBuilder("rule hits:");
        for (String rule : Pipeline.ruleNames()) {
            hits.append(' ').append(rule).append('=').append(rule.equals("gate-up-merge") ? 1 : 0);
        }
        assertEquals(hits.toString(), lines.get(3));

        List<String> llamaLines = ok("fuse", llama.toString(), "--explain").out().lines().toList();
        assertEquals("ffn: 4 rewrite(s) fired, 0 site(s) not fused", llamaLines.get(0));
        List<String> events = llamaLines.subList(1, llamaLines.size() - 1);
        events.forEach(l -> assertTrue(l.matches("  \\d+:\\d+ +\\S+ +\\S+ +fired .*"), l));
        assertEquals(List.of("silu-from-sigmoid", "gate-up-merge", "swiglu", "gate-up-swiglu"),
                events.stream().map(l -> l.trim().split(" +")[2]).toList());
        assertTrue(llamaLines.getLast().startsWith("rule hits: "));
    }

    @Test
    void passesListsEveryPassAndRule() {
        String out = ok("passes").out();
        for (String pass : Pipeline.passNames()) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(pass + " ")), pass);
        }
        for (String rule : Pipeline.ruleNames()) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith("    " + rule + " ")), rule);
        }
        assertEquals(12, Pipeline.ruleNames().size());
    }

    private static int count(String text, String needle) {
        return text.split(Pattern.quote(needle), -1).length - 1;
    }

    @Test
    void dotDrawsFusedNodesAsClustersWithShapes() throws IOException {
        String plain = ok("dot", llama.toString()).out();
        assertTrue(plain.startsWith("digraph \"ffn\" {"), plain);
        assertEquals(0, count(plain, "subgraph \"cluster_"));
        assertTrue(plain.contains("\"op_gate\" [label=\"gate = matmul(x, w_gate)\\nf32[T, 4]\"]"), plain);

        String fused = ok("dot", llama.toString(), "--fused").out();
        assertTrue(fused.startsWith("digraph \"ffn\" {"));
        assertEquals(1, count(fused, "subgraph \"cluster_"));
        assertTrue(fused.contains("label=\"h = gate_up_swiglu(x, w_gate, w_up)\\nf32[T, 4]\""), fused);
        assertTrue(fused.contains("\"op_y\" [label=\"y = matmul(h, w_down)\\nf32[T, 8]\"]"), fused);
        for (String absorbed : List.of("gate = matmul  @2:10", "up = matmul  @3:8", "act = mul  @4:9", "h = mul  @5:7")) {
            assertTrue(fused.contains(absorbed), absorbed);
        }

        Path weighted = write("weighted.fir", """
                graph w(x: f32[T, 8], w_gate: f32[8, 4], w_up: f32[8, 4], r: f32[T, 1]) -> (out: f32[T, 4]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  out = mul(mul(silu(gate), up), r)
                  return out
                }
                """);
        String two = ok("dot", weighted.toString(), "--fused").out();
        assertEquals(2, count(two, "subgraph \"cluster_"), two);
        assertTrue(two.contains("fused gate_up ") && two.contains("fused weighted_swiglu "), two);
        assertTrue(two.contains("\\nf32[T, 8]\"") && two.contains("\\nf32[T, 4]\""), two);
    }

    @Test
    void dotDeclaresEachNodeOnce() throws IOException {
        // A value named like the ids of the absorbed-node boxes once shared its box with one of them.
        Path clash = write("clash.fir", LLAMA.replace("y = matmul", "h_absorbed_0 = matmul")
                .replace("(y: f32[T, 8])", "(h_absorbed_0: f32[T, 8])").replace("return y", "return h_absorbed_0"));
        String dot = ok("dot", clash.toString(), "--fused").out();
        List<String> declared = dot.lines().map(l -> Pattern.compile("^\\s*(\"[^\"]+\") \\[").matcher(l))
                .filter(Matcher::find).map(m -> m.group(1)).toList();
        assertEquals(4 + 2 + 5 + 1, declared.size(), dot); // inputs, ops, absorbed boxes, output
        assertEquals(declared.size(), new java.util.HashSet<>(declared).size(), "a node id is declared twice:\n" + dot);
        assertTrue(dot.contains("\"op_h_absorbed_0\" [label=\"h_absorbed_0 = matmul(h, w_down)"), dot);
    }

    private static boolean graphvizInstalled() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "dot"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void dotSvgRendersThroughGraphvizOrSaysHowToInstallIt() throws IOException {
        Path svg = dir.resolve("out.svg");
        Run r = fusec("dot", llama.toString(), "--fused", "--svg", svg.toString());
        if (graphvizInstalled()) {
            assertEquals(0, r.code(), r.err());
            assertEquals("wrote " + svg + System.lineSeparator(), r.out());
            String text = Files.readString(svg);
            assertTrue(text.startsWith("<?xml") || text.startsWith("<svg"), text.substring(0, Math.min(80, text.length())));
            assertTrue(text.contains("gate_up_swiglu"));
        } else {
            assertEquals(1, r.code());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith(llama + ":1:1: error: ") && r.err().contains("install"), r.err());
            assertFalse(Files.exists(svg));
        }
    }
}
