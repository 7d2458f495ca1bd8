package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Interpreter;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Generated kernels against the interpreter on the values where activations go wrong if anything
 * does: infinities, NaNs (with payloads), signed zeros, subnormals, the far negative region where a
 * fast exp is clamped (silu(-100) is a subnormal, silu(-1000) is -0), and the largest floats. Every
 * elementwise activation, and the GLU family forward and backward with each act, fused and unfused:
 * NaN exactly where the interpreter has NaN, the same infinities, the same sign on every element
 * (zeros included), and otherwise the usual 1e-4 relative agreement. The columns are 37, so each row
 * has full vectors and a scalar tail, and every special value lands in both.
 */
class SpecialValuesTest {
    static final float[] SPECIAL = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7F80000C),
        Float.intBitsToFloat(0xFFC00001), -0f, 0f, -1000f, -120f, -103f, -100f, -95f, -89f, -88f, -87.5f, -20f, -14.2f, -13.5f,
        -13.12f, -10.5f, -10f, -1e-40f, 1e-40f, -Float.MIN_VALUE, Float.MIN_VALUE, -Float.MAX_VALUE, Float.MAX_VALUE, 1e30f,
        -1e30f, 16.6f, 5f, -0.75f, -1.28f, 1f, -1f, 0.5f, 88.7f};

    static final int COLS = 37;

    static final String ELEMENTWISE = """
            graph acts(x: f32[T, 37]) -> (a: f32[T, 37], b: f32[T, 37], c: f32[T, 37], d: f32[T, 37]) {
              a = silu(x)
              b = sigmoid(x)
              c = gelu(x)
              d = gelu(x, approximate=tanh)
              return a, b, c, d
            }
            """;

    /** The GLU family with act, written as its fused op: forward, and backward from a gradient g. */
    static String glu(String act) {
        return """
                graph glu_%1$s(y: f32[T, 74], g: f32[T, 37]) -> (o: f32[T, 37], dy: f32[T, 74]) {
                  o = swiglu(y, act=%1$s)
                  dy = swiglu_back(g, y, act=%1$s)
                  return o, dy
                }
                """.formatted(act);
    }

    /** Rows of the special values in every column position, and random normal values around them. */
    static float[] rows(int rows, int cols, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = i % 3 == 0 ? SPECIAL[(i / 3) % SPECIAL.length] : (float) (rng.nextGaussian() * 4);
        }
        return d;
    }

    static List<String> compare(String what, Map<String, Tensor> want, Map<String, Tensor> got) {
        List<String> problems = new ArrayList<>();
        for (var e : want.entrySet()) {
            float[] w = e.getValue().data();
            float[] g = got.get(e.getKey()).data();
            for (int i = 0; i < w.length && problems.size() < 8; i++) {
                String wrong = null;
                if (Float.isNaN(w[i]) != Float.isNaN(g[i])) {
                    wrong = "NaN in one only";
                } else if (Float.isNaN(w[i])) {
                    continue;
                } else if (Float.isInfinite(w[i]) || Float.isInfinite(g[i])) {
                    wrong = w[i] == g[i] ? null : "infinities differ";
                } else if ((Float.floatToRawIntBits(w[i]) < 0) != (Float.floatToRawIntBits(g[i]) < 0)) {
                    wrong = "signs differ";
                } else if (Math.abs(g[i] - w[i]) > 1e-4 * Math.max(1, Math.abs(w[i]))) {
                    wrong = "values differ";
                }
                if (wrong != null) {
                    problems.add(what + ": " + e.getKey() + "[" + i + "] = " + g[i] + ", interpreter " + w[i] + ": " + wrong);
                }
            }
        }
        return problems;
    }

    @Test
    void kernelsAndInterpreterAgreeOnEverySpecialValue() {
        List<String> graphs = List.of(ELEMENTWISE, glu("silu"), glu("gelu"), glu("gelu_tanh"));
        Map<String, Long> binding = Map.of("T", 6L);
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (String ir : graphs) {
            Graph g = IrParser.parse("special.fir", ir);
            Map<String, Tensor> in = new LinkedHashMap<>();
            for (var p : g.inputs()) {
                int cols = (int) p.type().shape().dims().getLast().value();
                in.put(p.name(), new Tensor(new int[] {6, cols}, rows(6, cols, p.name().hashCode())));
            }
            Map<String, Tensor> want = Interpreter.run(g, in, binding);
            for (Graph variant : List.of(g, Pipeline.fuse(g))) {
                CompiledGraph cg = CompiledGraph.compile(variant, Species.preferred(), null);
                Map<String, Tensor> got = Agreement.run(cg, binding, in, 1);
                problems.addAll(compare(g.name() + (variant == g ? " unfused" : " fused"), want, got));
                checked++;
            }
        }
        assertEquals(8, checked);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** The interpreter gives PyTorch's special values (NaN where PyTorch's formula meets inf * 0). */
    @Test
    void theInterpreterGivesPyTorchsValuesAtInfinity() {
        Graph g = IrParser.parse("special.fir", ELEMENTWISE.replace("37", "3"));
        float[] x = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -1000f};
        Map<String, Tensor> out = Interpreter.run(g, Map.of("x", new Tensor(new int[] {1, 3}, x)), Map.of("T", 1L));
        assertTrue(Float.isNaN(out.get("a").data()[0]), "silu(-inf) is NaN");
        assertEquals(0f, out.get("b").data()[0], "sigmoid(-inf) is 0");
        assertTrue(Float.isNaN(out.get("c").data()[0]), "gelu(-inf) is NaN");
        assertTrue(Float.isNaN(out.get("d").data()[0]), "gelu_tanh(-inf) is NaN");
        for (String o : List.of("a", "c", "d")) {
            assertEquals(Float.POSITIVE_INFINITY, out.get(o).data()[1], o + "(+inf)");
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(out.get(o).data()[2]), o + "(-1000) is -0");
        }
    }
}
