package dev.fusec.interp;

import static dev.fusec.interp.Tensors.assertClose;
import static dev.fusec.interp.Tensors.assertExact;
import static dev.fusec.interp.Tensors.of;
import static dev.fusec.interp.Tensors.random;
import static dev.fusec.interp.Tensors.run1;
import static dev.fusec.interp.Tensors.shape;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forward SwiGLU family and gate-up ops, each checked twice: (a) against the formula written out
 * here (gate and up picked by layout, clamped by limit, silu(gate) * up), and (b) against the
 * equivalent unfused graph (split / reshape / clamp / silu / mul / add / matmul / concat) run through
 * the interpreter. Tolerances: the fused op is computed in double and rounded once, so 1e-6 relative
 * (1e-12 absolute) against the formula; the unfused graph rounds every intermediate to f32, so 1e-6
 * relative plus 1e-7 absolute against it. gate_up copies the products the unfused matmuls round, so
 * it must equal its unfused graph bit for bit.
 */
class InterpreterSwiGluTest {
    static final double REL = 1e-6;
    static final double ABS_FORMULA = 1e-12;
    static final double ABS_UNFUSED = 1e-7;
    static final int HALF = 4; // I; inputs are [..., 2I] = [..., 8]
    static final double LIMIT = 1.5;

    enum Variant {
        PLAIN("swiglu", false, false),
        BIAS("bias_swiglu", true, false),
        WEIGHTED("weighted_swiglu", false, true),
        WEIGHTED_BIAS("weighted_bias_swiglu", true, true);

        final String op;
        final boolean bias;
        final boolean weights;

        Variant(String op, boolean bias, boolean weights) {
            this.op = op;
            this.bias = bias;
            this.weights = weights;
        }
    }

    /** Leading dims: 2-D [T, 2I] with T = 3, or 3-D [S, B, 2I] with S = 2, B = 3. */
    record Lead(String symbols, int[] extents) {
        int rows() {
            return Arrays.stream(extents).reduce(1, (a, b) -> a * b);
        }

        int[] with(int last) {
            int[] s = Arrays.copyOf(extents, extents.length + 1);
            s[extents.length] = last;
            return s;
        }

        String type(String last) {
            return "f32[" + symbols + ", " + last + "]";
        }

        @Override
        public String toString() {
            return "[" + symbols + ", ...]";
        }
    }

    static final Lead TOKENS = new Lead("T", new int[] {3});
    static final Lead SEQ_BATCH = new Lead("S, B", new int[] {2, 3});

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String layout : List.of("halves", "swapped", "interleaved")) {
            for (Double limit : Arrays.asList(null, LIMIT)) {
                for (Lead lead : List.of(TOKENS, SEQ_BATCH)) {
                    out.add(Arguments.of(layout, limit, lead));
                }
            }
        }
        return out.stream();
    }

    // ---- the formula, written from docs/design.md independently of Layout's index methods ----

    static int gateIndex(String layout, int j) {
        return switch (layout) {
            case "halves" -> j;
            case "swapped" -> HALF + j;
            case "interleaved" -> 2 * j;
            default -> throw new IllegalArgumentException(layout);
        };
    }

    static int upIndex(String layout, int j) {
        return switch (layout) {
            case "halves" -> HALF + j;
            case "swapped" -> j;
            case "interleaved" -> 2 * j + 1;
            default -> throw new IllegalArgumentException(layout);
        };
    }

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /** silu(min(gate, L)) * clamp(up, -L, L), or silu(gate) * up without a limit. */
    static double glu(double gate, double up, Double limit) {
        if (limit != null) {
            gate = Math.min(gate, limit);
            up = Math.max(-limit, Math.min(up, limit));
        }
        return silu(gate) * up;
    }

    /** out[r, j] = glu(y[r, gate j] + b[gate j], y[r, up j] + b[up j]) * w[r]; bias and weights may be null. */
    static double[] formula(Tensor y, Tensor bias, Tensor weights, String layout, Double limit) {
        int rows = y.size() / (2 * HALF);
        double[] out = new double[rows * HALF];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < HALF; j++) {
                int gi = gateIndex(layout, j);
                int ui = upIndex(layout, j);
                double g = y.data()[r * 2 * HALF + gi] + (bias == null ? 0.0 : bias.data()[gi]);
                double u = y.data()[r * 2 * HALF + ui] + (bias == null ? 0.0 : bias.data()[ui]);
                out[r * HALF + j] = glu(g, u, limit) * (weights == null ? 1.0 : weights.data()[r]);
            }
        }
        return out;
    }

    // ---- IR text ----

    static String gluAttrs(String layout, Double limit) {
        return ", layout=" + layout + (limit == null ? "" : ", limit=" + limit);
    }

    static String fusedGraph(Variant v, String layout, Double limit, Lead lead) {
        String ops = "y" + (v.bias ? ", b" : "") + (v.weights ? ", w" : "");
        return "graph fused(" + params(v, lead) + ") -> (out: " + lead.type("4") + ") {\n"
                + "  out = " + v.op + "(" + ops + gluAttrs(layout, limit) + ")\n"
                + "  return out\n}";
    }

    static String params(Variant v, Lead lead) {
        return "y: " + lead.type("8") + (v.bias ? ", b: f32[8]" : "") + (v.weights ? ", w: " + lead.type("1") : "");
    }

    /**
     * The same computation spelled with unfused ops: bias add, then gate and up taken apart
     * (split halves; interleaved = reshape [..., I, 2] + split on the last axis), clamp, silu, mul.
     */
    static String unfusedGraph(Variant v, String layout, Double limit, Lead lead) {
        StringBuilder b = new StringBuilder("graph unfused(" + params(v, lead) + ") -> (out: " + lead.type("4") + ") {\n");
        String src = "y";
        if (v.bias) {
            b.append("  z = add(y, b)\n");
            src = "z";
        }
        String gate;
        String up;
        if (layout.equals("interleaved")) {
            b.append("  pairs = reshape(").append(src).append(", shape=[").append(lead.symbols()).append(", 4, 2])\n");
            b.append("  p1, q1 = split(pairs, parts=2, axis=-1)\n");
            b.append("  p = reshape(p1, shape=[").append(lead.symbols()).append(", -1])\n");
            b.append("  q = reshape(q1, shape=[").append(lead.symbols()).append(", -1])\n");
            gate = "p";
            up = "q";
        } else {
            b.append("  p, q = split(").append(src).append(", parts=2, axis=-1)\n");
            gate = layout.equals("halves") ? "p" : "q";
            up = layout.equals("halves") ? "q" : "p";
        }
        if (limit != null) {
            b.append("  gc = clamp(").append(gate).append(", max=").append(limit).append(")\n");
            b.append("  uc = clamp(").append(up).append(", min=-").append(limit).append(", max=").append(limit).append(")\n");
            gate = "gc";
            up = "uc";
        }
        if (v.weights) {
            b.append("  h = mul(silu(").append(gate).append("), ").append(up).append(")\n");
            b.append("  out = mul(h, w)\n");
        } else {
            b.append("  out = mul(silu(").append(gate).append("), ").append(up).append(")\n");
        }
        return b.append("  return out\n}").toString();
    }

    // ---- swiglu family ----

    @ParameterizedTest(name = "{0} limit={1} {2}")
    @MethodSource("cases")
    void swigluFamilyMatchesFormulaAndUnfusedGraph(String layout, Double limit, Lead lead) {
        // y spans [-3, 3) so that limit 1.5 clamps gates above and ups on both sides.
        Tensor y = random(100, 3, lead.with(8));
        Tensor bias = random(101, 1, 8);
        Tensor w = random(102, 1, lead.with(1));
        for (Variant v : Variant.values()) {
            Object[] inputs = inputs(v, y, bias, w);
            String what = v.op + " layout=" + layout + " limit=" + limit + " " + lead;
            Tensor fused = run1(fusedGraph(v, layout, limit, lead), inputs);
            double[] want = formula(y, v.bias ? bias : null, v.weights ? w : null, layout, limit);
            assertClose(what + " vs formula", lead.with(HALF), want, fused, REL, ABS_FORMULA);
            Tensor unfused = run1(unfusedGraph(v, layout, limit, lead), inputs);
            assertClose(what + " vs unfused graph", lead.with(HALF), Tensors.doubles(unfused), fused, REL, ABS_UNFUSED);
        }
    }

    /**
     * GeGLU: each forward op with act=gelu or gelu_tanh equals its unfused graph with gelu (either
     * formula) in silu's place, and differs from the SiLU op.
     */
    @ParameterizedTest(name = "{0} limit={1} {2}")
    @MethodSource("cases")
    void gegluFamilyMatchesItsUnfusedGraph(String layout, Double limit, Lead lead) {
        Tensor y = random(110, 3, lead.with(8));
        Tensor bias = random(111, 1, 8);
        Tensor w = random(112, 1, lead.with(1));
        for (String act : List.of("gelu", "gelu_tanh")) {
            String call = act.equals("gelu") ? "gelu($1)" : "gelu($1, approximate=tanh)";
            for (Variant v : Variant.values()) {
                Object[] inputs = inputs(v, y, bias, w);
                String what = v.op + " act=" + act + " layout=" + layout + " limit=" + limit + " " + lead;
                Tensor fused = run1(fusedGraph(v, layout, limit, lead).replace(", layout=", ", act=" + act + ", layout="), inputs);
                Tensor unfused = run1(unfusedGraph(v, layout, limit, lead).replaceAll("silu\\((\\w+)\\)", call), inputs);
                assertClose(what + " vs unfused graph", lead.with(HALF), Tensors.doubles(unfused), fused, REL, ABS_UNFUSED);
                assertTrue(maxDiff(Tensors.doubles(fused), Tensors.doubles(run1(fusedGraph(v, layout, limit, lead), inputs))) > 1e-3,
                        what + " equals the SiLU op on this data");
            }
        }
    }

    private static Object[] inputs(Variant v, Tensor y, Tensor bias, Tensor w) {
        List<Object> in = new ArrayList<>(List.of("y", y));
        if (v.bias) {
            in.addAll(List.of("b", bias));
        }
        if (v.weights) {
            in.addAll(List.of("w", w));
        }
        return in.toArray();
    }

    @Test
    void swigluLayoutsAndLimitByHand() {
        // y = [1, 2, 3, 4], I = 2.
        Tensor y = of(shape(1, 4), 1, 2, 3, 4);
        String g = "graph g(y: f32[1, 4]) -> (o: f32[1, 2]) {\n  o = swiglu(y%s)\n  return o\n}";
        // halves: gate [1, 2], up [3, 4]
        assertClose("halves", shape(1, 2), new double[] {silu(1) * 3, silu(2) * 4},
                run1(g.formatted(""), "y", y), REL, 0);
        // swapped: gate [3, 4], up [1, 2]
        assertClose("swapped", shape(1, 2), new double[] {silu(3) * 1, silu(4) * 2},
                run1(g.formatted(", layout=swapped"), "y", y), REL, 0);
        // interleaved: gate [1, 3], up [2, 4]
        assertClose("interleaved", shape(1, 2), new double[] {silu(1) * 2, silu(3) * 4},
                run1(g.formatted(", layout=interleaved"), "y", y), REL, 0);
        // limit 2.5, halves: gate [1, 2] unclamped, up [3, 4] -> [2.5, 2.5]
        assertClose("halves limit=2.5", shape(1, 2), new double[] {silu(1) * 2.5, silu(2) * 2.5},
                run1(g.formatted(", limit=2.5"), "y", y), REL, 0);
        // limit 2.5, swapped: gate [3, 4] -> [2.5, 2.5], up [1, 2] unclamped
        assertClose("swapped limit=2.5", shape(1, 2), new double[] {silu(2.5) * 1, silu(2.5) * 2},
                run1(g.formatted(", layout=swapped, limit=2.5"), "y", y), REL, 0);
        // limit 0.5 on negatives: gate is only clamped above (-4 stays), up is clamped below (-1 -> -0.5)
        Tensor neg = of(shape(1, 4), -4, 0.25, -1, 3);
        assertClose("halves limit=0.5, negative inputs", shape(1, 2), new double[] {silu(-4) * -0.5, silu(0.25) * 0.5},
                run1(g.formatted(", limit=0.5"), "y", neg), REL, 0);
    }

    @Test
    void layoutAndLimitReallyChangeTheResult() {
        // Guards the parameterised test: if layouts or the limit had no effect, it would prove nothing.
        Tensor y = random(100, 3, 3, 8);
        double[] halves = formula(y, null, null, "halves", null);
        for (String other : List.of("swapped", "interleaved")) {
            assertTrue(maxDiff(halves, formula(y, null, null, other, null)) > 0.1, other + " equals halves on this data");
        }
        assertTrue(maxDiff(halves, formula(y, null, null, "halves", LIMIT)) > 0.1, "limit clamps nothing on this data");
        assertTrue(maxDiff(Tensors.doubles(run1(fusedGraph(Variant.PLAIN, "halves", null, TOKENS), "y", y)),
                Tensors.doubles(run1(fusedGraph(Variant.PLAIN, "swapped", null, TOKENS), "y", y))) > 0.1,
                "the interpreter ignores layout");
    }

    static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    // ---- gate_up and gate_up_swiglu ----

    static final int HIDDEN = 5;

    static Stream<Arguments> gateUpCases() {
        List<Arguments> out = new ArrayList<>();
        for (String layout : List.of("halves", "swapped", "interleaved")) {
            for (boolean transposeB : List.of(false, true)) {
                for (Lead lead : List.of(TOKENS, SEQ_BATCH)) {
                    out.add(Arguments.of(layout, transposeB, lead));
                }
            }
        }
        return out.stream();
    }

    /** x @ w for one row r and output column j; w is [H, I], or [I, H] when transposed. */
    static double dot(Tensor x, int r, Tensor w, int j, boolean transposeB) {
        double acc = 0;
        for (int p = 0; p < HIDDEN; p++) {
            double wv = transposeB ? w.data()[j * HIDDEN + p] : w.data()[p * HALF + j];
            acc += x.data()[r * HIDDEN + p] * wv;
        }
        return acc;
    }

    static String weightType(boolean transposeB) {
        return transposeB ? "f32[4, 5]" : "f32[5, 4]";
    }

    @ParameterizedTest(name = "{0} transpose_b={1} {2}")
    @MethodSource("gateUpCases")
    void gateUpIsConcatOfBothProductsArrangedByLayout(String layout, boolean transposeB, Lead lead) {
        Tensor x = random(200, 1, lead.with(HIDDEN));
        Tensor wg = random(201, 1, transposeB ? shape(HALF, HIDDEN) : shape(HIDDEN, HALF));
        Tensor wu = random(202, 1, transposeB ? shape(HALF, HIDDEN) : shape(HIDDEN, HALF));
        String head = "(x: " + lead.type("5") + ", wg: " + weightType(transposeB) + ", wu: " + weightType(transposeB)
                + ") -> (out: " + lead.type("8") + ") {\n";
        String tb = transposeB ? ", transpose_b=true" : "";
        Tensor fused = run1("graph fused" + head + "  out = gate_up(x, wg, wu" + tb + ", layout=" + layout + ")\n"
                + "  return out\n}", "x", x, "wg", wg, "wu", wu);

        double[] want = new double[lead.rows() * 2 * HALF];
        for (int r = 0; r < lead.rows(); r++) {
            for (int j = 0; j < HALF; j++) {
                want[r * 2 * HALF + gateIndex(layout, j)] = dot(x, r, wg, j, transposeB);
                want[r * 2 * HALF + upIndex(layout, j)] = dot(x, r, wu, j, transposeB);
            }
        }
        String what = "gate_up layout=" + layout + " transpose_b=" + transposeB + " " + lead;
        assertClose(what + " vs formula", lead.with(2 * HALF), want, fused, REL, ABS_FORMULA);

        String s = lead.symbols();
        String arrange = switch (layout) {
            case "halves" -> "  out = concat(g, u, axis=-1)\n";
            case "swapped" -> "  out = concat(u, g, axis=-1)\n";
            default -> "  g1 = reshape(g, shape=[" + s + ", 4, 1])\n"
                    + "  u1 = reshape(u, shape=[" + s + ", 4, 1])\n"
                    + "  pairs = concat(g1, u1, axis=-1)\n"
                    + "  out = reshape(pairs, shape=[" + s + ", 8])\n";
        };
        Tensor unfused = run1("graph unfused" + head + "  g = matmul(x, wg" + tb + ")\n  u = matmul(x, wu" + tb + ")\n"
                + arrange + "  return out\n}", "x", x, "wg", wg, "wu", wu);
        assertExact(what + " vs unfused graph", lead.with(2 * HALF), Tensors.doubles(unfused), fused);
    }

    @ParameterizedTest(name = "{0} transpose_b={1} {2}")
    @MethodSource("gateUpCases")
    void gateUpSwigluIsSiluOfGateTimesUp(String layout, boolean transposeB, Lead lead) {
        // x scaled by 3 so that limit 1.5 clamps some gates and ups.
        Tensor x = random(300, 3, lead.with(HIDDEN));
        Tensor wg = random(301, 1, transposeB ? shape(HALF, HIDDEN) : shape(HIDDEN, HALF));
        Tensor wu = random(302, 1, transposeB ? shape(HALF, HIDDEN) : shape(HIDDEN, HALF));
        String tb = transposeB ? ", transpose_b=true" : "";
        for (Double limit : Arrays.asList(null, LIMIT)) {
            String head = "(x: " + lead.type("5") + ", wg: " + weightType(transposeB) + ", wu: "
                    + weightType(transposeB) + ") -> (out: " + lead.type("4") + ") {\n";
            Tensor fused = run1("graph fused" + head + "  out = gate_up_swiglu(x, wg, wu" + tb + gluAttrs(layout, limit)
                    + ")\n  return out\n}", "x", x, "wg", wg, "wu", wu);
            double[] want = new double[lead.rows() * HALF];
            for (int r = 0; r < lead.rows(); r++) {
                for (int j = 0; j < HALF; j++) {
                    want[r * HALF + j] = glu(dot(x, r, wg, j, transposeB), dot(x, r, wu, j, transposeB), limit);
                }
            }
            // The layout says where gate and up would sit in the (never stored) [.., 2I] product,
            // so it must not change the result: silu(x @ w_gate) * (x @ w_up) in every layout.
            String what = "gate_up_swiglu layout=" + layout + " transpose_b=" + transposeB + " limit=" + limit + " " + lead;
            assertClose(what + " vs formula", lead.with(HALF), want, fused, REL, ABS_FORMULA);

            String clamp = limit == null ? "  out = mul(silu(g), u)\n"
                    : "  out = mul(silu(clamp(g, max=" + limit + ")), clamp(u, min=-" + limit + ", max=" + limit + "))\n";
            Tensor unfused = run1("graph unfused" + head + "  g = matmul(x, wg" + tb + ")\n  u = matmul(x, wu" + tb + ")\n"
                    + clamp + "  return out\n}", "x", x, "wg", wg, "wu", wu);
            assertClose(what + " vs unfused graph", lead.with(HALF), Tensors.doubles(unfused), fused, REL, ABS_UNFUSED);
        }
    }
}
