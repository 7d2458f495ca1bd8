package dev.fusec.interp;

import static dev.fusec.interp.Tensors.assertClose;
import static dev.fusec.interp.Tensors.assertExact;
import static dev.fusec.interp.Tensors.of;
import static dev.fusec.interp.Tensors.random;
import static dev.fusec.interp.Tensors.run;
import static dev.fusec.interp.Tensors.shape;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.ir.DType;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SwiGLU backward ops, checked (a) against docs/design.md's formulas written out here, with the
 * clamped elements of limit= getting no gradient, and (b) against central finite differences of the
 * interpreter's own forward ops, loss = sum(g * forward(...)), for every input the op differentiates.
 * Inputs stay at least 0.05 away from the clamp kinks, so a step of 1e-2 never crosses one.
 * Tolerances: formula 1e-6 relative (1e-12 absolute); finite differences 1e-3 absolute + 1e-3
 * relative (f32 rounding of the forward output over a 2e-2 step gives ~2e-5, truncation ~2e-5).
 * fp8_input_store must equal, bit for bit, the plain op run on y pre-rounded to f8e4m3.
 */
class InterpreterBackwardTest {
    static final double REL = 1e-6;
    static final double ABS = 1e-12;
    static final double FD_TOL = 1e-3;
    static final double STEP = 1e-2;
    static final double KINK_GAP = 0.05;
    static final int HALF = 4;
    static final double LIMIT = 1.5;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String layout : List.of("halves", "swapped", "interleaved")) {
            for (Double limit : Arrays.asList(null, LIMIT)) {
                for (InterpreterSwiGluTest.Lead lead : List.of(InterpreterSwiGluTest.TOKENS, InterpreterSwiGluTest.SEQ_BATCH)) {
                    out.add(Arguments.of(layout, limit, lead));
                }
            }
        }
        return out.stream();
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /**
     * docs/design.md: dy = cat(g * sig(y1) * (1 + y1 * (1 - sig(y1))) * y2, g * silu(y1)), gate and up placed
     * by layout; with a limit, y1 = min(gate, L) and y2 = clamp(up, -L, L), and a clamped element
     * gets zero gradient. {@code gradScale} multiplies g per row (the token weights), may be null.
     */
    static double[] swigluBackFormula(Tensor g, Tensor y, Tensor bias, Tensor gradScale, String layout, Double limit) {
        int rows = g.size() / HALF;
        double[] dy = new double[rows * 2 * HALF];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < HALF; j++) {
                int gi = InterpreterSwiGluTest.gateIndex(layout, j);
                int ui = InterpreterSwiGluTest.upIndex(layout, j);
                double y1 = y.data()[r * 2 * HALF + gi] + (bias == null ? 0.0 : bias.data()[gi]);
                double y2 = y.data()[r * 2 * HALF + ui] + (bias == null ? 0.0 : bias.data()[ui]);
                boolean gatePasses = true;
                boolean upPasses = true;
                if (limit != null) {
                    gatePasses = y1 <= limit;
                    upPasses = Math.abs(y2) <= limit;
                    y1 = Math.min(y1, limit);
                    y2 = Math.max(-limit, Math.min(y2, limit));
                }
                double gr = g.data()[r * HALF + j] * (gradScale == null ? 1.0 : gradScale.data()[r]);
                double s = sigmoid(y1);
                dy[r * 2 * HALF + gi] = gatePasses ? gr * s * (1 + y1 * (1 - s)) * y2 : 0;
                dy[r * 2 * HALF + ui] = upPasses ? gr * y1 * s : 0;
            }
        }
        return dy;
    }

    /** y (plus bias) moved off the clamp kinks at -L and L, so finite differences see a smooth function. */
    static Tensor awayFromKinks(Tensor y, Tensor bias, Double limit) {
        if (limit == null) {
            return y;
        }
        float[] d = y.data().clone();
        int width = y.dim(y.rank() - 1);
        for (int i = 0; i < d.length; i++) {
            for (double kink : new double[] {-limit, limit}) {
                double v = d[i] + (bias == null ? 0.0 : bias.data()[i % width]);
                if (Math.abs(v - kink) < KINK_GAP) {
                    d[i] += (float) (v >= kink ? 2 * KINK_GAP : -2 * KINK_GAP);
                }
            }
        }
        return new Tensor(y.shape(), d);
    }

    /**
     * d loss / d inputs[name][k] for every k, by central differences over the interpreter, where
     * loss = sum(g * first output of forward). The step actually taken (after f32 rounding) is the divisor.
     */
    static double[] finiteDifferences(Graph forward, Map<String, Tensor> inputs, String name, Tensor g) {
        Tensor t = inputs.get(name);
        double[] grad = new double[t.size()];
        for (int k = 0; k < t.size(); k++) {
            float plus = (float) (t.data()[k] + STEP);
            float minus = (float) (t.data()[k] - STEP);
            grad[k] = (loss(forward, inputs, name, k, plus, g) - loss(forward, inputs, name, k, minus, g))
                    / ((double) plus - minus);
        }
        return grad;
    }

    private static double loss(Graph forward, Map<String, Tensor> inputs, String name, int k, float value, Tensor g) {
        Map<String, Tensor> in = new LinkedHashMap<>(inputs);
        float[] d = inputs.get(name).data().clone();
        d[k] = value;
        in.put(name, new Tensor(inputs.get(name).shape(), d));
        Tensor out = Interpreter.run(forward, in).values().iterator().next();
        double sum = 0;
        for (int i = 0; i < out.size(); i++) {
            sum += (double) g.data()[i] * out.data()[i];
        }
        return sum;
    }

    static String attrs(String layout, Double limit) {
        return InterpreterSwiGluTest.gluAttrs(layout, limit);
    }

    static Graph parse(String ir) {
        return IrParser.parse("test.fir", ir);
    }

    // ---- swiglu_back ----

    @ParameterizedTest(name = "{0} limit={1} {2}")
    @MethodSource("cases")
    void swigluBack(String layout, Double limit, InterpreterSwiGluTest.Lead lead) {
        Tensor g = random(400, 1, lead.with(HALF));
        Tensor y = awayFromKinks(random(401, 3, lead.with(2 * HALF)), null, limit);
        String head = "(g: " + lead.type("4") + ", y: " + lead.type("8") + ") -> (dy: " + lead.type("8") + ") {\n";
        Tensor dy = run("graph back" + head + "  dy = swiglu_back(g, y" + attrs(layout, limit) + ")\n  return dy\n}",
                "g", g, "y", y).get("dy");
        String what = "swiglu_back layout=" + layout + " limit=" + limit + " " + lead;
        assertClose(what + " vs formula", lead.with(2 * HALF), swigluBackFormula(g, y, null, null, layout, limit), dy, REL, ABS);

        Graph forward = parse("graph fwd(y: " + lead.type("8") + ") -> (out: " + lead.type("4") + ") {\n"
                + "  out = swiglu(y" + attrs(layout, limit) + ")\n  return out\n}");
        double[] fd = finiteDifferences(forward, Map.of("y", y), "y", g);
        assertClose(what + " vs finite differences", lead.with(2 * HALF), fd, dy, FD_TOL, FD_TOL);
        if (limit != null) {
            assertTrue(Arrays.stream(Tensors.doubles(dy)).filter(v -> v == 0).count() >= 2,
                    what + ": no element is clamped, so the limit's zero gradient is untested");
        }
    }

    @Test
    void swigluBackByHand() {
        // gates [0, 3], ups [2, -1], g = [1, 2]:
        // dgate0 = 1 * sig(0) * (1 + 0) * 2 = 1; dup0 = 1 * silu(0) = 0;
        // dgate1 = 2 * sig(3) * (1 + 3 * (1 - sig(3))) * -1; dup1 = 2 * silu(3).
        Tensor dy = run("""
                graph back(g: f32[1, 2], y: f32[1, 4]) -> (dy: f32[1, 4]) {
                  dy = swiglu_back(g, y)
                  return dy
                }""", "g", of(shape(1, 2), 1, 2), "y", of(shape(1, 4), 0, 3, 2, -1)).get("dy");
        double s3 = sigmoid(3);
        assertClose("swiglu_back by hand", shape(1, 4), new double[] {1, 2 * s3 * (1 + 3 * (1 - s3)) * -1, 0, 2 * 3 * s3},
                dy, REL, 0);
    }

    // ---- bias_swiglu_back ----

    @ParameterizedTest(name = "{0} limit={1} {2}")
    @MethodSource("cases")
    void biasSwigluBack(String layout, Double limit, InterpreterSwiGluTest.Lead lead) {
        Tensor g = random(500, 1, lead.with(HALF));
        Tensor b = random(501, 1, 2 * HALF);
        Tensor y = awayFromKinks(random(502, 3, lead.with(2 * HALF)), b, limit);
        String head = "(g: " + lead.type("4") + ", y: " + lead.type("8") + ", b: f32[8]) -> (dy: " + lead.type("8")
                + ", db: f32[8]) {\n";
        Map<String, Tensor> r = run("graph back" + head + "  dy, db = bias_swiglu_back(g, y, b" + attrs(layout, limit)
                + ")\n  return dy, db\n}", "g", g, "y", y, "b", b);
        String what = "bias_swiglu_back layout=" + layout + " limit=" + limit + " " + lead;

        double[] dyWant = swigluBackFormula(g, y, b, null, layout, limit);
        double[] dbWant = new double[2 * HALF];
        for (int i = 0; i < dyWant.length; i++) {
            dbWant[i % (2 * HALF)] += dyWant[i]; // summed over every leading (token) dim
        }
        assertClose(what + " dy vs formula", lead.with(2 * HALF), dyWant, r.get("dy"), REL, ABS);
        assertClose(what + " db vs formula", shape(2 * HALF), dbWant, r.get("db"), REL, 1e-9);

        Graph forward = parse("graph fwd(y: " + lead.type("8") + ", b: f32[8]) -> (out: " + lead.type("4") + ") {\n"
                + "  out = bias_swiglu(y, b" + attrs(layout, limit) + ")\n  return out\n}");
        Map<String, Tensor> in = Map.of("y", y, "b", b);
        assertClose(what + " dy vs finite differences", lead.with(2 * HALF), finiteDifferences(forward, in, "y", g),
                r.get("dy"), FD_TOL, FD_TOL);
        assertClose(what + " db vs finite differences", shape(2 * HALF), finiteDifferences(forward, in, "b", g),
                r.get("db"), FD_TOL, FD_TOL);
    }

    @Test
    void biasSwigluBackAddsBiasInDouble() {
        // I = 1, halves: rows [gate, up] = [1, 0] and [1 + 2^-23, 0], bias [2^-24, 0], g = [1, -1].
        // dup = g * silu(gate + b), so db[up] = silu(1 + 2^-24) - silu(1 + 3 * 2^-24) ~ -1.1e-7.
        // Adding y + b in f32 instead would round the gates to 1 and 1 + 2^-22 (ties to even) and give
        // twice that; the cancellation in db makes the difference visible after rounding to f32.
        double e = Math.scalb(1.0, -24);
        Map<String, Tensor> r = run("""
                graph back(g: f32[2, 1], y: f32[2, 2], b: f32[2]) -> (dy: f32[2, 2], db: f32[2]) {
                  dy, db = bias_swiglu_back(g, y, b)
                  return dy, db
                }""", "g", of(shape(2, 1), 1, -1), "y", of(shape(2, 2), 1, 0, 1 + 2 * e, 0), "b", of(shape(2), e, 0));
        double silu1 = (1 + e) * sigmoid(1 + e);
        double silu2 = (1 + 3 * e) * sigmoid(1 + 3 * e);
        assertClose("bias_swiglu_back db with y + b not representable in f32", shape(2),
                new double[] {0, silu1 - silu2}, r.get("db"), REL, 0);
    }

    // ---- weighted_swiglu_back ----

    @ParameterizedTest(name = "{0} limit={1} {2}")
    @MethodSource("cases")
    void weightedSwigluBack(String layout, Double limit, InterpreterSwiGluTest.Lead lead) {
        Tensor g = random(600, 1, lead.with(HALF));
        Tensor w = random(601, 1, lead.with(1));
        Tensor y = awayFromKinks(random(602, 3, lead.with(2 * HALF)), null, limit);
        String head = "(g: " + lead.type("4") + ", y: " + lead.type("8") + ", w: " + lead.type("1") + ") -> (dy: "
                + lead.type("8") + ", dw: " + lead.type("1") + ") {\n";
        Map<String, Tensor> r = run("graph back" + head + "  dy, dw = weighted_swiglu_back(g, y, w" + attrs(layout, limit)
                + ")\n  return dy, dw\n}", "g", g, "y", y, "w", w);
        String what = "weighted_swiglu_back layout=" + layout + " limit=" + limit + " " + lead;

        // dy = swiglu_back(g * w, y); dw = sum(swiglu(y) * g, -1, keepdim)
        double[] dyWant = swigluBackFormula(g, y, null, w, layout, limit);
        double[] swiglu = InterpreterSwiGluTest.formula(y, null, null, layout, limit);
        double[] dwWant = new double[lead.rows()];
        for (int i = 0; i < swiglu.length; i++) {
            dwWant[i / HALF] += swiglu[i] * g.data()[i];
        }
        assertClose(what + " dy vs formula", lead.with(2 * HALF), dyWant, r.get("dy"), REL, ABS);
        assertClose(what + " dw vs formula", lead.with(1), dwWant, r.get("dw"), REL, 1e-9);

        Graph forward = parse("graph fwd(y: " + lead.type("8") + ", w: " + lead.type("1") + ") -> (out: "
                + lead.type("4") + ") {\n  out = weighted_swiglu(y, w" + attrs(layout, limit) + ")\n  return out\n}");
        Map<String, Tensor> in = Map.of("y", y, "w", w);
        assertClose(what + " dy vs finite differences", lead.with(2 * HALF), finiteDifferences(forward, in, "y", g),
                r.get("dy"), FD_TOL, FD_TOL);
        assertClose(what + " dw vs finite differences", lead.with(1), finiteDifferences(forward, in, "w", g),
                r.get("dw"), FD_TOL, FD_TOL);
    }

    // ---- GeGLU: act=gelu and gelu_tanh ----

    static Stream<Arguments> gegluCases() {
        List<Arguments> out = new ArrayList<>();
        for (String act : List.of("gelu", "gelu_tanh")) {
            for (String layout : List.of("halves", "swapped", "interleaved")) {
                for (Double limit : Arrays.asList(null, LIMIT)) {
                    out.add(Arguments.of(act, layout, limit));
                }
            }
        }
        return out.stream();
    }

    /**
     * The three backward ops with act= against central differences of their forward ops with the same
     * act=, every input they differentiate (the forward ops are checked against their unfused graphs
     * in InterpreterSwiGluTest).
     */
    @ParameterizedTest(name = "act={0} {1} limit={2}")
    @MethodSource("gegluCases")
    void gegluBackwardIsTheDerivativeOfGeGlu(String act, String layout, Double limit) {
        InterpreterSwiGluTest.Lead lead = InterpreterSwiGluTest.SEQ_BATCH;
        Tensor g = random(800, 1, lead.with(HALF));
        Tensor b = random(801, 1, 2 * HALF);
        Tensor w = random(802, 1, lead.with(1));
        Tensor y = awayFromKinks(awayFromKinks(random(803, 3, lead.with(2 * HALF)), b, limit), null, limit);
        String a = ", act=" + act + attrs(layout, limit);
        String what = "act=" + act + " layout=" + layout + " limit=" + limit;
        String types = "(g: " + lead.type("4") + ", y: " + lead.type("8") + ", b: f32[8], w: " + lead.type("1")
                + ") -> (dy1: " + lead.type("8") + ", dy2: " + lead.type("8") + ", db: f32[8], dy3: " + lead.type("8")
                + ", dw: " + lead.type("1") + ") {\n";
        Map<String, Tensor> r = run("graph back" + types + "  dy1 = swiglu_back(g, y" + a + ")\n"
                + "  dy2, db = bias_swiglu_back(g, y, b" + a + ")\n"
                + "  dy3, dw = weighted_swiglu_back(g, y, w" + a + ")\n"
                + "  return dy1, dy2, db, dy3, dw\n}", "g", g, "y", y, "b", b, "w", w);
        String in8 = lead.type("8");
        String out4 = lead.type("4");
        Graph plain = parse("graph f(y: " + in8 + ") -> (out: " + out4 + ") {\n  out = swiglu(y" + a + ")\n  return out\n}");
        Graph biased = parse("graph f(y: " + in8 + ", b: f32[8]) -> (out: " + out4 + ") {\n  out = bias_swiglu(y, b" + a
                + ")\n  return out\n}");
        Graph weighted = parse("graph f(y: " + in8 + ", w: " + lead.type("1") + ") -> (out: " + out4 + ") {\n"
                + "  out = weighted_swiglu(y, w" + a + ")\n  return out\n}");
        assertClose(what + " swiglu_back", lead.with(2 * HALF), finiteDifferences(plain, Map.of("y", y), "y", g), r.get("dy1"),
                FD_TOL, FD_TOL);
        Map<String, Tensor> yb = Map.of("y", y, "b", b);
        assertClose(what + " bias_swiglu_back dy", lead.with(2 * HALF), finiteDifferences(biased, yb, "y", g), r.get("dy2"),
                FD_TOL, FD_TOL);
        assertClose(what + " bias_swiglu_back db", shape(2 * HALF), finiteDifferences(biased, yb, "b", g), r.get("db"),
                FD_TOL, FD_TOL);
        Map<String, Tensor> yw = Map.of("y", y, "w", w);
        assertClose(what + " weighted_swiglu_back dy", lead.with(2 * HALF), finiteDifferences(weighted, yw, "y", g),
                r.get("dy3"), FD_TOL, FD_TOL);
        assertClose(what + " weighted_swiglu_back dw", lead.with(1), finiteDifferences(weighted, yw, "w", g), r.get("dw"),
                FD_TOL, FD_TOL);
        // A wrong act would show: silu's backward differs.
        Map<String, Tensor> silu = run("graph back(g: " + lead.type("4") + ", y: " + in8 + ") -> (dy1: " + in8 + ") {\n"
                + "  dy1 = swiglu_back(g, y" + attrs(layout, limit) + ")\n  return dy1\n}", "g", g, "y", y);
        assertTrue(InterpreterSwiGluTest.maxDiff(Tensors.doubles(silu.get("dy1")), Tensors.doubles(r.get("dy1"))) > 1e-3, what);
    }

    // ---- fp8_input_store ----

    static Stream<Arguments> fp8Cases() {
        List<Arguments> out = new ArrayList<>();
        for (String layout : List.of("halves", "swapped", "interleaved")) {
            for (Double limit : Arrays.asList(null, LIMIT)) {
                out.add(Arguments.of(layout, limit));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} limit={1}")
    @MethodSource("fp8Cases")
    void fp8InputStoreReadsYRoundedToF8E4M3(String layout, Double limit) {
        InterpreterSwiGluTest.Lead lead = InterpreterSwiGluTest.SEQ_BATCH;
        Tensor g = random(700, 1, lead.with(HALF));
        Tensor y = random(701, 3, lead.with(2 * HALF));
        Tensor b = random(702, 1, 2 * HALF);
        Tensor w = random(703, 1, lead.with(1));
        float[] rounded = y.data().clone();
        for (int i = 0; i < rounded.length; i++) {
            rounded[i] = DType.F8E4M3.round(rounded[i]);
        }
        Tensor y8 = new Tensor(y.shape(), rounded);
        String types = "(g: " + lead.type("4") + ", y: " + lead.type("8") + ", b: f32[8], w: " + lead.type("1")
                + ") -> (dy1: " + lead.type("8") + ", dy2: " + lead.type("8") + ", db: f32[8], dy3: " + lead.type("8")
                + ", dw: " + lead.type("1") + ", fwd: " + lead.type("4") + ") {\n";
        String body = "  dy1 = swiglu_back(g, y%1$s)\n"
                + "  dy2, db = bias_swiglu_back(g, y, b%1$s)\n"
                + "  dy3, dw = weighted_swiglu_back(g, y, w%1$s)\n"
                + "  fwd = swiglu(y%1$s)\n"
                + "  return dy1, dy2, db, dy3, dw, fwd\n}";
        String plain = "graph plain" + types + body.formatted(attrs(layout, limit));
        String fp8 = "graph fp8" + types + body.formatted(attrs(layout, limit) + ", fp8_input_store=true");
        Map<String, Tensor> withFlag = run(fp8, "g", g, "y", y, "b", b, "w", w);
        Map<String, Tensor> preRounded = run(plain, "g", g, "y", y8, "b", b, "w", w);
        Map<String, Tensor> unrounded = run(plain, "g", g, "y", y, "b", b, "w", w);
        String what = "fp8_input_store layout=" + layout + " limit=" + limit;
        for (String out : List.of("dy1", "dy2", "db", "dy3", "dw")) {
            Tensor t = withFlag.get(out);
            assertExact(what + " " + out + " vs plain op on y rounded to f8e4m3", t.shape(),
                    Tensors.doubles(preRounded.get(out)), t);
            assertTrue(InterpreterSwiGluTest.maxDiff(Tensors.doubles(t), Tensors.doubles(unrounded.get(out))) > 1e-3,
                    what + " " + out + ": the flag made no difference, so this test proves nothing");
        }
        // Only what is saved for backward is narrowed: the forward op reads y at full precision.
        assertExact(what + " forward swiglu unaffected", withFlag.get("fwd").shape(),
                Tensors.doubles(unrounded.get("fwd")), withFlag.get("fwd"));
    }
}
