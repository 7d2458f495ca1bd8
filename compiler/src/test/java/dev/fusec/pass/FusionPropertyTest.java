package dev.fusec.pass;

import static dev.fusec.pass.TranslationValidation.assertAgreeQuietly;
import static dev.fusec.pass.TranslationValidation.assertRoundTrips;
import static dev.fusec.pass.TranslationValidation.count;
import static dev.fusec.pass.TranslationValidation.events;
import static dev.fusec.pass.TranslationValidation.fuse;
import static dev.fusec.pass.TranslationValidation.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fusec.ir.Activation;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.SourcePos;
import dev.fusec.pass.TranslationValidation.Fused;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Property test over random FFN-like graphs written as IR text (seeded, so a failure reproduces): the
 * pipeline's result verifies, round-trips through the printer, computes what the source computes
 * (interpreter, {@link TranslationValidation#TOLERANCE}), never does more matmul or SiLU work, and, where
 * nothing blocks it, did fuse. A failure prints the graph that broke.
 */
class FusionPropertyTest {
    static final long SEED = 0x5EED_F05EL;
    static final int GRAPHS = 400;

    /** Names a rule or the parser might also pick, so fresh-name clashes get exercised. */
    static final List<String> TRICKY = List.of("gate", "up", "gate_up", "up_gate", "h", "y", "x", "act", "silu_1",
            "sigmoid_1", "mul_1", "matmul_2", "gate_mm", "T", "S", "graph", "return");

    /** One generated graph and the facts the checks need about it. */
    record Case(int index, String text, Map<String, Long> dims, Family family, Kind kind, boolean bias, boolean weighted,
                boolean swapped, boolean siluReturned, boolean gateReturned, boolean thirdProjection, String gateWeight,
                String upWeight, Activation act) {
        boolean extraUsers() {
            return siluReturned || gateReturned;
        }
    }

    /** Two projections of x (gate and up), or one [.., 2I] tensor split in halves. */
    enum Family { PROJECTIONS, SPLIT }

    /** How gate and up are projected: both matmul, both linear (transpose_b), or one of each. */
    enum Kind { MATMUL, LINEAR, MIXED }

    @Test
    void randomFfnGraphsFuseSafely() {
        Random rnd = new Random(SEED);
        Map<String, Integer> tally = new LinkedHashMap<>();
        double worst = 0;
        for (int i = 0; i < GRAPHS; i++) {
            Case c = new Generator(rnd, i).build();
            try {
                worst = Math.max(worst, check(c, tally));
            } catch (AssertionError | RuntimeException e) {
                fail("graph #" + i + " (" + describe(c) + "):\n" + c.text(), e);
            }
        }
        System.out.printf("%d random graphs, worst relative difference %.3e (tolerance %.0e); outcomes %s%n",
                GRAPHS, worst, TranslationValidation.TOLERANCE, tally);
        // The generator must really reach every outcome, or the properties above prove little.
        for (String outcome : List.of("gate_up_swiglu", "gate_up_swiglu+third", "gate_up+weighted_swiglu", "swiglu", "swiglu/swapped",
                "bias_swiglu", "weighted_swiglu", "weighted_bias_swiglu", "blocked", "mixed", "act=gelu", "act=gelu_tanh",
                "gate_up_swiglu act=gelu", "gate_up_swiglu act=gelu_tanh", "blocked gelu")) {
            assertTrue(tally.getOrDefault(outcome, 0) >= 5, "outcome " + outcome + " reached only "
                    + tally.getOrDefault(outcome, 0) + " times: " + tally);
        }
    }

    private static String describe(Case c) {
        return c.family() + (c.family() == Family.PROJECTIONS ? " " + c.kind() : "") + " act=" + c.act() + (c.bias() ? " bias" : "")
                + (c.weighted() ? " weighted" : "") + (c.swapped() ? " swapped" : "") + (c.siluReturned() ? " silu-returned" : "")
                + (c.gateReturned() ? " gate-returned" : "") + (c.thirdProjection() ? " third-projection" : "")
                + " dims " + c.dims();
    }

    /** All the properties for one graph; returns its worst relative difference. */
    private static double check(Case c, Map<String, Integer> tally) {
        Graph source = parse(c.text());
        Fused f = fuse(source);
        Graph out = f.graph();
        assertRoundTrips(out);
        double worst = assertAgreeQuietly("random graph #" + c.index(), source, out, c.dims(), c.index(), 1);

        assertTrue(count(out, TranslationValidation::matmulWork) <= count(source, TranslationValidation::matmulWork),
                "more matmul work after fusion");
        assertTrue(count(out, TranslationValidation::siluWork) <= count(source, TranslationValidation::siluWork),
                "more SiLU evaluations after fusion");
        Set<SourcePos> written = source.nodes().stream().map(Node::pos).collect(Collectors.toSet());
        for (Node n : out.nodes()) {
            assertTrue(!n.op().isFused() || !n.absorbed().isEmpty(), n.op().opName() + " without provenance");
            n.absorbed().forEach(a -> assertTrue(written.contains(a.pos()), "absorbed " + a + " is no source position"));
        }

        List<Op> family = out.nodes().stream().map(Node::op).filter(FusionPropertyTest::isSwiGluFamily).toList();
        long leftoverSilu = count(out, op -> op instanceof Op.Unary ? 1 : 0);
        String outcome;
        if (c.siluReturned()) {
            // silu must stay for its other user; fusing anyway would compute it twice.
            String computed = c.act() == Activation.SILU ? "silu" : "gelu";
            assertTrue(c.kind() == Kind.MIXED || events(f.ctx(), "swiglu").stream().anyMatch(e -> !e.fired()
                    && e.detail().contains("has other uses (it is a graph output); fusing would compute " + computed + " twice")),
                    "no reason given: " + f.ctx().events());
            assertEquals(1, leftoverSilu);
            assertTrue(family.isEmpty());
            outcome = c.act() == Activation.SILU ? "blocked" : "blocked gelu";
        } else if (c.family() == Family.PROJECTIONS && c.kind() == Kind.MIXED) {
            assertTrue(events(f.ctx(), "gate-up-merge").stream().anyMatch(e -> !e.fired() && e.detail().contains("transpose_b differs")),
                    "no reason given: " + f.ctx().events());
            assertEquals(0, count(out, op -> op instanceof Op.GateUp || op instanceof Op.GateUpSwiGlu ? 1 : 0));
            outcome = "mixed";
        } else {
            // Nothing blocks SwiGLU: exactly one SwiGLU-family op, no silu left.
            assertEquals(1, family.size(), "SwiGLU-family ops");
            assertEquals(0, leftoverSilu, "activation left over");
            Op act = family.get(0);
            assertEquals(c.act(), Glu.of(act).orElseThrow().act(), "act= of " + act);
            if (c.act() != Activation.SILU) {
                tally.merge("act=" + c.act(), 1, Integer::sum);
                if (act instanceof Op.GateUpSwiGlu) {
                    tally.merge("gate_up_swiglu act=" + c.act(), 1, Integer::sum);
                }
            }
            outcome = act.opName();
            if (c.family() == Family.PROJECTIONS) {
                Op.GateUp gu = out.nodes().stream().map(Node::op).filter(Op.GateUp.class::isInstance)
                        .map(Op.GateUp.class::cast).findFirst().orElse(null);
                boolean transposed = c.kind() == Kind.LINEAR;
                if (!c.weighted() && !c.gateReturned()) {
                    // A plain FFN: the epilogue fusion fired, gate weight first.
                    Op.GateUpSwiGlu fused = assertInstance(Op.GateUpSwiGlu.class, act);
                    assertEquals(List.of(c.gateWeight(), c.upWeight(), transposed, Layout.HALVES),
                            List.of(fused.wGate(), fused.wUp(), fused.transposeB(), fused.glu().layout()));
                    assertEquals(1, f.ctx().hits().get("gate-up-swiglu"));
                    assertEquals(0, count(out, op -> op instanceof Op.Split || op instanceof Op.GateUp ? 1 : 0));
                    outcome = c.thirdProjection() ? "gate_up_swiglu+third" : outcome;
                } else {
                    assertTrue(gu != null, "gate_up");
                    assertEquals(List.of(c.gateWeight(), c.upWeight(), transposed, Layout.HALVES),
                            List.of(gu.wGate(), gu.wUp(), gu.transposeB(), gu.layout()));
                    assertTrue(c.weighted() ? act instanceof Op.WeightedSwiGlu : act instanceof Op.SwiGlu, outcome);
                    outcome = "gate_up+" + outcome;
                }
            } else {
                String want = (c.weighted() ? "weighted_" : "") + (c.bias() && !c.gateReturned() ? "bias_" : "") + "swiglu";
                assertEquals(want, act.opName());
                assertEquals(c.swapped() ? Layout.SWAPPED : Layout.HALVES, glu(act).layout());
                if (c.swapped() && act instanceof Op.SwiGlu) {
                    outcome = "swiglu/swapped";
                }
            }
        }
        tally.merge(outcome, 1, Integer::sum);
        return worst;
    }

    private static <T> T assertInstance(Class<T> kind, Object o) {
        assertTrue(kind.isInstance(o), "expected " + kind.getSimpleName() + ", got " + o);
        return kind.cast(o);
    }

    /** The forward GLU-family ops (every op listed). */
    private static boolean isSwiGluFamily(Op op) {
        return switch (op) {
            case Op.SwiGlu _, Op.BiasSwiGlu _, Op.WeightedSwiGlu _, Op.WeightedBiasSwiGlu _, Op.GateUpSwiGlu _ -> true;
            case Op.MatMul _, Op.Linear _, Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _,
                 Op.Reshape _, Op.Transpose _, Op.GateUp _, Op.SwiGluBack _, Op.BiasSwiGluBack _, Op.WeightedSwiGluBack _ -> false;
        };
    }

    private static Glu glu(Op op) {
        return Glu.of(op).orElseThrow(() -> new IllegalArgumentException(op.opName() + " has no GLU attributes"));
    }

    /** Writes one random graph as IR text, statement by statement. */
    static final class Generator {
        private final Random rnd;
        private final int index;
        private final Set<String> used = new HashSet<>();
        private final List<String> inputs = new ArrayList<>();
        private final List<String> lines = new ArrayList<>();
        private final String tokens;
        private final int rank;
        private final Map<String, Long> dims = new LinkedHashMap<>();
        /** The gating activation of this graph, half of them GELU in either formula. */
        private Activation activation = Activation.SILU;

        Generator(Random rnd, int index) {
            this.rnd = rnd;
            this.index = index;
            rank = rnd.nextBoolean() ? 2 : 3;
            if (rank == 2) {
                tokens = "T";
                dims.put("T", 1L + rnd.nextInt(6));
            } else {
                tokens = "S, B";
                dims.put("S", 1L + rnd.nextInt(3));
                dims.put("B", 1L + rnd.nextInt(3));
            }
        }

        private String fresh() {
            while (true) {
                String name;
                if (rnd.nextInt(4) == 0) {
                    name = TRICKY.get(rnd.nextInt(TRICKY.size()));
                } else {
                    StringBuilder sb = new StringBuilder().append((char) ('a' + rnd.nextInt(26)));
                    String tail = "abcdefghijklmnopqrstuvwxyz0123456789_";
                    for (int k = rnd.nextInt(6); k > 0; k--) {
                        sb.append(tail.charAt(rnd.nextInt(tail.length())));
                    }
                    name = sb.toString();
                }
                if (used.add(name)) {
                    return name;
                }
            }
        }

        private String input(String shape) {
            String n = fresh();
            inputs.add(n + ": f32[" + shape + "]");
            return n;
        }

        private String tokenShape(long last) {
            return tokens + ", " + last;
        }

        /** {@code value = matmul(x, w)} (w [K, N]) or {@code linear(x, w)} (w [N, K]); returns the weight. */
        private String project(String value, String x, long k, long n, boolean linear) {
            String w = input(linear ? n + ", " + k : k + ", " + n);
            lines.add(value + " = " + (linear ? "linear(" : "matmul(") + x + ", " + w + ")");
            return w;
        }

        /**
         * The case's activation of {@code g} in a random spelling: silu(g), x * sigmoid(x) either way
         * round, gelu(g) with or without approximate=none, gelu(g, approximate=tanh); a value name, or a
         * nested expression when {@code named} is false.
         */
        private String silu(String g, boolean named) {
            int spelling = rnd.nextInt(3);
            String expr;
            if (activation == Activation.GELU) {
                expr = spelling == 0 ? "gelu(" + g + ", approximate=none)" : "gelu(" + g + ")";
            } else if (activation == Activation.GELU_TANH) {
                expr = "gelu(" + g + ", approximate=tanh)";
            } else if (spelling == 0) {
                expr = "silu(" + g + ")";
            } else {
                String sig = "sigmoid(" + g + ")";
                if (rnd.nextBoolean()) {
                    String s = fresh();
                    lines.add(s + " = " + sig);
                    sig = s;
                }
                expr = spelling == 1 ? "mul(" + g + ", " + sig + ")" : "mul(" + sig + ", " + g + ")";
            }
            if (named || rnd.nextBoolean()) {
                String a = fresh();
                lines.add(a + " = " + expr);
                return a;
            }
            return expr;
        }

        private String mul(String a, String b) {
            return rnd.nextBoolean() ? "mul(" + a + ", " + b + ")" : "mul(" + b + ", " + a + ")";
        }

        Case build() {
            int a = rnd.nextInt(6);
            activation = a < 3 ? Activation.SILU : a < 5 ? Activation.GELU : Activation.GELU_TANH;
            long h = 4 + rnd.nextInt(21);
            long i = 2 + rnd.nextInt(19);
            Family family = rnd.nextInt(10) < 6 ? Family.PROJECTIONS : Family.SPLIT;
            boolean siluReturned = rnd.nextInt(8) == 0;
            boolean gateReturned = rnd.nextInt(8) == 0;
            boolean weighted = rnd.nextInt(3) == 0;
            boolean bias = false;
            boolean swapped;
            boolean third = false;
            List<String> extraOutputs = new ArrayList<>();
            Kind kind = Kind.MATMUL;
            String gateWeight = null;
            String upWeight = null;
            String x = input(tokenShape(h));
            String gate;
            String up;
            String act;
            if (family == Family.PROJECTIONS) {
                int k = rnd.nextInt(20);
                kind = k < 9 ? Kind.MATMUL : k < 18 ? Kind.LINEAR : Kind.MIXED;
                boolean gateLinear = kind == Kind.LINEAR || (kind == Kind.MIXED && rnd.nextBoolean());
                boolean upLinear = kind == Kind.MIXED ? !gateLinear : gateLinear;
                gate = fresh();
                up = fresh();
                // Another projection of x with the same weight shape (returned), before, between or after gate and up.
                third = kind != Kind.MIXED && rnd.nextInt(5) == 0;
                int thirdAt = rnd.nextInt(3);
                swapped = rnd.nextBoolean(); // up projected first
                thirdProjection(third && thirdAt == 0, x, h, i, gateLinear, extraOutputs);
                if (swapped) {
                    upWeight = project(up, x, h, i, upLinear);
                    thirdProjection(third && thirdAt == 1, x, h, i, gateLinear, extraOutputs);
                    gateWeight = project(gate, x, h, i, gateLinear);
                    act = silu(gate, siluReturned);
                } else {
                    gateWeight = project(gate, x, h, i, gateLinear);
                    boolean siluEarly = rnd.nextBoolean();
                    act = siluEarly ? silu(gate, siluReturned) : null;
                    thirdProjection(third && thirdAt == 1, x, h, i, gateLinear, extraOutputs);
                    upWeight = project(up, x, h, i, upLinear);
                    act = siluEarly ? act : silu(gate, siluReturned);
                }
                thirdProjection(third && thirdAt == 2, x, h, i, gateLinear, extraOutputs);
            } else {
                String y;
                if (rnd.nextBoolean()) {
                    y = input(tokenShape(2 * i));
                } else {
                    y = fresh();
                    project(y, x, h, 2 * i, rnd.nextBoolean());
                }
                bias = rnd.nextBoolean();
                if (bias) {
                    String b = input(Long.toString(2 * i));
                    String z = fresh();
                    lines.add(z + " = " + (rnd.nextBoolean() ? "add(" + y + ", " + b + ")" : "add(" + b + ", " + y + ")"));
                    y = z;
                }
                String first = fresh();
                String second = fresh();
                String attrs = switch (rnd.nextInt(4)) {
                    case 0 -> "parts=2, axis=-1";
                    case 1 -> "parts=2, axis=" + (rank - 1);
                    case 2 -> "sizes=[" + i + ", " + i + "], axis=" + (rank - 1);
                    default -> "sizes=[" + i + ", " + i + "]";
                };
                lines.add(first + ", " + second + " = split(" + y + ", " + attrs + ")");
                swapped = rnd.nextBoolean(); // the second half is gated
                gate = swapped ? second : first;
                up = swapped ? first : second;
                act = silu(gate, siluReturned);
            }
            String hidden = fresh();
            lines.add(hidden + " = " + mul(act, up));
            String result = hidden;
            if (weighted) {
                String r = input(tokenShape(1));
                result = fresh();
                lines.add(result + " = " + mul(hidden, r));
            }
            long width = i;
            if (rnd.nextInt(5) < 2) {
                String down = fresh();
                project(down, result, i, h, rnd.nextBoolean());
                result = down;
                width = h;
            }
            List<String> outputs = new ArrayList<>(List.of(result + ": f32[" + tokenShape(width) + "]"));
            if (siluReturned) {
                outputs.add(act + ": f32[" + tokenShape(i) + "]");
            }
            if (gateReturned) {
                outputs.add(gate + ": f32[" + tokenShape(i) + "]");
            }
            outputs.addAll(extraOutputs);
            StringBuilder text = new StringBuilder("graph " + fresh() + "(" + String.join(", ", inputs) + ") -> ("
                    + String.join(", ", outputs) + ") {\n");
            lines.forEach(l -> text.append("  ").append(l).append('\n'));
            text.append("  return ").append(outputs.stream().map(o -> o.substring(0, o.indexOf(':')))
                    .collect(Collectors.joining(", "))).append("\n}\n");
            return new Case(index, text.toString(), dims, family, kind, bias, weighted, swapped, siluReturned,
                    gateReturned, third, gateWeight, upWeight, activation);
        }

        /** When {@code emit}: {@code q = proj(x, wq)}, shaped like gate's projection, returned so it stays. */
        private void thirdProjection(boolean emit, String x, long h, long i, boolean linear, List<String> outputs) {
            if (emit) {
                String q = fresh();
                project(q, x, h, i, linear);
                outputs.add(q + ": f32[" + tokenShape(i) + "]");
            }
        }
    }
}
