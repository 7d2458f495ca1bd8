package dev.fusec.pass;

import static dev.fusec.pass.TranslationValidation.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.bench.ScalingGraphs;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.parse.IrParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The worklist rewrite driver against the rescanning oracle ({@link RescanningDriver}): the same
 * fused graph and the same explanation (rewrites in the same order, the same final near misses) on
 * every example, on generated layer stacks and on random FFN graphs, with rules on and off. Then the
 * rewrite cap: it grows with the graph, and rules that undo each other still end in an error; and a
 * rule's invalid rewrite is caught, in place, with the message the full verifier gives.
 */
class RewriteDriverTest {
    static final Path EXAMPLES = Path.of(System.getProperty("basedir", ".")).resolve("../ir-examples").normalize();

    /** Both drivers through the standard pipeline: equal graphs (positions and provenance included), equal events. */
    private static void assertSameAsRescanning(String label, Graph g, Set<String> disabledRules, boolean checkEveryRewrite) {
        PassContext worklist = checkEveryRewrite ? PassContext.checkingEveryRewrite(disabledRules) : new PassContext(disabledRules);
        Graph fused = Pipeline.run(g, Set.of(), Set.of(), worklist, (p, after) -> { });
        PassContext rescanning = new PassContext(disabledRules);
        Graph expected = RescanningDriver.pipeline(g, rescanning);
        assertEquals(expected, fused, label + ": fused graph");
        assertEquals(rescanning.events(), worklist.events(), label + ": explanation");
    }

    @Test
    void sameAsRescanningOnEveryExample() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(EXAMPLES)) {
            files = s.filter(p -> p.toString().endsWith(".fir")).sorted().toList();
        }
        assertTrue(files.size() >= 14, "examples found in " + EXAMPLES + ": " + files);
        for (Path f : files) {
            Graph g = IrParser.parseFile(f);
            assertSameAsRescanning(f.getFileName().toString(), g, Set.of(), true);
            for (String rule : Pipeline.ruleNames()) {
                assertSameAsRescanning(f.getFileName() + " without " + rule, g, Set.of(rule), true);
            }
        }
    }

    @Test
    void sameAsRescanningOnGeneratedLayerStacks() {
        for (ScalingGraphs.Kind kind : ScalingGraphs.Kind.values()) {
            Graph small = parse(ScalingGraphs.generate(kind, ScalingGraphs.layersFor(kind, 120)));
            assertSameAsRescanning(kind + ", 120 statements, checked", small, Set.of(), true);
            Graph g = parse(ScalingGraphs.generate(kind, ScalingGraphs.layersFor(kind, 300)));
            assertSameAsRescanning(kind + ", 300 statements", g, Set.of(), false);
        }
        Graph mixed = parse(ScalingGraphs.generate(ScalingGraphs.Kind.MIXED, 12));
        for (String rule : Pipeline.ruleNames()) {
            assertSameAsRescanning("mixed layers without " + rule, mixed, Set.of(rule), true);
        }
    }

    @Test
    void sameAsRescanningOnRandomGraphs() {
        Random rnd = new Random(FusionPropertyTest.SEED);
        for (int i = 0; i < 150; i++) {
            FusionPropertyTest.Case c = new FusionPropertyTest.Generator(rnd, i).build();
            Set<String> off = i % 3 == 0 ? Set.of() : Set.of(List.copyOf(Pipeline.ruleNames()).get(i % Pipeline.ruleNames().size()));
            assertSameAsRescanning("random graph #" + i + " without " + off + ":\n" + c.text(), parse(c.text()), off, false);
        }
    }

    /** {@code from(a, b) -> to(a, b)} on every binary op of kind {@code from}. */
    private static Rule rewrite(String name, Op.BinaryKind from, Op.BinaryKind to) {
        return rule(name, s -> {
            Op.Binary b = (Op.Binary) s.op();
            return b.kind() != from ? Match.NOT_APPLICABLE
                    : new Match.Fired(List.of(s.node()), List.of(s.node().withOp(new Op.Binary(to, b.a(), b.b()))), List.of(), to.name());
        });
    }

    private static Rule rule(String name, Function<Site, Match> match) {
        return new Rule() {
            public String name() { return name; }
            public String algebra() { return name; }
            public Class<? extends Op> root() { return Op.Binary.class; }
            public Match match(Site s) { return match.apply(s); }
        };
    }

    private static final String ONE_ADD = """
            graph g(a: f32[T, 4], b: f32[T, 4]) -> (y: f32[T, 4]) {
              y = add(a, b)
              return y
            }
            """;

    /** {@code n} adds in a chain: v1 = add(x, x), v2 = add(v1, x), ... */
    private static Graph chainOfAdds(int n) {
        StringBuilder sb = new StringBuilder("graph chain(x: f32[T, 4]) -> (v" + n + ": f32[T, 4]) {\n  v1 = add(x, x)\n");
        for (int i = 2; i <= n; i++) {
            sb.append("  v").append(i).append(" = add(v").append(i - 1).append(", x)\n");
        }
        return parse(sb.append("  return v").append(n).append("\n}\n").toString());
    }

    @Test
    void rulesThatUndoEachOtherDoNotConverge() {
        List<Rule> flip = List.of(rewrite("to-sub", Op.BinaryKind.ADD, Op.BinaryKind.SUB),
                rewrite("to-add", Op.BinaryKind.SUB, Op.BinaryKind.ADD));
        CompileError e = assertThrows(CompileError.class, () -> RewriteDriver.fixpoint(parse(ONE_ADD), "flip", flip, PassContext.defaults()));
        assertEquals("pass flip did not converge after 10016 rewrites (rules undo each other)", e.getMessage());
        // The cap grows with the graph, and still catches them.
        CompileError big = assertThrows(CompileError.class, () -> RewriteDriver.fixpoint(chainOfAdds(2_000), "flip", flip,
                PassContext.defaults()));
        assertEquals("pass flip did not converge after " + (10_000 + 16 * 2_000) + " rewrites (rules undo each other)", big.getMessage());
    }

    @Test
    void aBigGraphMayNeedMoreRewritesThanTheOldFixedCapOf10000() {
        PassContext ctx = PassContext.defaults();
        Graph out = RewriteDriver.fixpoint(chainOfAdds(12_000), "subtract", List.of(rewrite("to-sub", Op.BinaryKind.ADD, Op.BinaryKind.SUB)), ctx);
        assertEquals(12_000, ctx.hits().get("to-sub"));
        assertTrue(out.nodes().stream().allMatch(n -> ((Op.Binary) n.op()).kind() == Op.BinaryKind.SUB));
    }

    @Test
    void manyInsertionsAtOnePlaceKeepTheOrder() {
        // Each rewrite puts two nodes where the add was, so the gap between the last pad and the add
        // shrinks by a third each time: within 80 rewrites the labels run out and are renumbered, and order must hold.
        Rule pad = rule("pad", s -> {
            Op.Binary add = (Op.Binary) s.op();
            String name = s.freshName("pad");
            if (add.kind() != Op.BinaryKind.ADD || name.equals("pad_80")) {
                return Match.NOT_APPLICABLE;
            }
            Node padding = new Node(List.of(name), new Op.Binary(Op.BinaryKind.MUL, add.a(), add.a()), s.node().pos());
            return new Match.Fired(List.of(s.node()), List.of(padding, s.node()), List.of(), name);
        });
        Graph g = parse(ONE_ADD);
        PassContext checked = PassContext.checkingEveryRewrite(Set.of());
        Graph out = RewriteDriver.fixpoint(g, "pad", List.of(pad), checked);
        PassContext rescanning = PassContext.defaults();
        assertEquals(RescanningDriver.fixpoint(g, "pad", List.of(pad), rescanning), out);
        assertEquals(rescanning.events(), checked.events());
        assertEquals(81, out.nodes().size());
        assertEquals("pad", out.nodes().get(0).result());
        assertEquals("y", out.nodes().get(80).result());
    }

    /** A rule that replaces every add with {@code replace(site)}, once per node. */
    private static Rule replacingAdds(Function<Site, List<Node>> replace) {
        return rule("bad", s -> ((Op.Binary) s.op()).kind() != Op.BinaryKind.ADD ? Match.NOT_APPLICABLE
                : new Match.Fired(List.of(s.node()), replace.apply(s), List.of(), "bad"));
    }

    /** The worklist driver's in-place check and the full verifier reject a bad rewrite with one message. */
    private static void assertRejectedAlike(String source, Rule bad, String expected) {
        Graph g = parse(source);
        IllegalStateException worklist = assertThrows(IllegalStateException.class,
                () -> RewriteDriver.fixpoint(g, "p", List.of(bad), PassContext.defaults()));
        IllegalStateException rescanning = assertThrows(IllegalStateException.class,
                () -> RescanningDriver.fixpoint(g, "p", List.of(bad), PassContext.defaults()));
        assertEquals(expected, worklist.getMessage());
        assertEquals(rescanning.getMessage(), worklist.getMessage());
    }

    @Test
    void anInvalidRewriteIsCaughtWithTheVerifiersMessage() {
        String two = """
                graph g(a: f32[T, 4], b: f32[4, 4]) -> (y: f32[T, 4]) {
                  z = add(a, a)
                  y = mul(z, a)
                  return y
                }
                """;
        assertRejectedAlike(two, replacingAdds(s -> List.of(s.node().withOp(new Op.MatMul("a", "a", false)))),
                "rule bad produced an invalid graph: test.fir:2:7: error: matmul: inner dims differ: [T, 4] @ [T, 4] (4 vs T)");
        assertRejectedAlike(two, replacingAdds(s -> List.of()),
                "rule bad produced an invalid graph: test.fir:3:7: error: use of undefined value 'z'");
        assertRejectedAlike(two, replacingAdds(s -> List.of(new Node(List.of("z"), new Op.MatMul("a", "b", false), s.node().pos()),
                        new Node(List.of("w"), new Op.Binary(Op.BinaryKind.ADD, "y", "a"), s.node().pos()))),
                "rule bad produced an invalid graph: test.fir:2:7: error: use of undefined value 'y'");
        String three = """
                graph g(a: f32[T, 4]) -> (y: f32[T, 4]) {
                  q = mul(a, a)
                  z = add(a, a)
                  y = mul(z, q)
                  return y
                }
                """;
        assertRejectedAlike(three, replacingAdds(s -> List.of(new Node(List.of("q"), s.node().op(), s.node().pos()))),
                "rule bad produced an invalid graph: test.fir:3:7: error: redefinition of 'q'");
        String returned = """
                graph g(a: f32[T, 4], b: f32[4, 2]) -> (y: f32[T, 4]) {
                  y = add(a, a)
                  return y
                }
                """;
        assertRejectedAlike(returned, replacingAdds(s -> List.of(s.node().withOp(new Op.MatMul("a", "b", false)))),
                "rule bad produced an invalid graph: test.fir:1:41: error: output 'y' is declared f32[T, 4] but the graph computes f32[T, 2]");
    }

    @Test
    void aChangedTypeReachesTheUsersOfTheValue() {
        // z keeps its name but becomes [T, 2]; mul(z, a) then no longer broadcasts.
        String chain = """
                graph g(a: f32[T, 4], b: f32[4, 2]) -> (y: f32[T, 4]) {
                  z = add(a, a)
                  y = mul(z, a)
                  return y
                }
                """;
        assertRejectedAlike(chain, replacingAdds(s -> List.of(s.node().withOp(new Op.MatMul("a", "b", false)))),
                "rule bad produced an invalid graph: test.fir:3:7: error: mul: cannot broadcast [T, 2] with [T, 4] (2 vs 4)");
    }
}
