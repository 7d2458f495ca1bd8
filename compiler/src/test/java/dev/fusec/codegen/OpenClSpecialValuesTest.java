package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fusec.codegen.opencl.OpenClGraph;
import dev.fusec.interp.Interpreter;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.runtime.Tensor;
import dev.fusec.runtime.opencl.DeviceContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The activations on the device at the values where formulas break: infinities and NaN (silu(-inf)
 * is NaN, as -inf * 0; sigmoid(-inf) is 0; gelu(-inf) is NaN, as PyTorch's), the edges of exp's range, and results
 * that are subnormal in truth (silu(-100) = -3.7e-42, sigmoid(-90) = 8.2e-40), which must come out
 * subnormal, not flushed to zero, on a device that keeps denormals. Each result is compared with the
 * interpreter's: NaN with NaN, zeros with their sign, anything else within 1e-4 of it relatively
 * (1e-3 where the result is subnormal, which holds fewer bits).
 */
class OpenClSpecialValuesTest {
    static final float[] X = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -104f, -100f, -90f, -88.5f, -80f,
            -50f, -20f, -13f, -1e-40f, -0f, 0f, 1e-40f, 0.5f, 20f, 88.5f, 100f, 1e30f, -1e30f};

    @Test
    void activationsKeepTheInterpretersSpecialValuesAndSubnormals() {
        DeviceContext ctx = OpenClDevice.get();
        Assumptions.assumeTrue(ctx.device().denormals(), "OpenCL special-value test skipped: " + ctx.device().name()
                + " flushes single-precision denormals to zero");
        Graph g = IrParser.parse("special.fir", """
                graph special(x: f32[1, 21]) -> (s: f32[1, 21], g: f32[1, 21], e: f32[1, 21], t: f32[1, 21]) {
                  s = silu(x)
                  g = sigmoid(x)
                  e = gelu(x)
                  t = gelu(x, approximate=tanh)
                  return s, g, e, t
                }
                """);
        Map<String, Tensor> in = Map.of("x", new Tensor(new int[] {1, X.length}, X.clone()));
        Map<String, Tensor> want = Interpreter.run(g, in);
        Map<String, Tensor> got;
        try (OpenClGraph cg = OpenClGraph.compile(g, ctx, null)) {
            got = cg.runOnce(in, Map.of());
        }
        List<String> problems = new ArrayList<>();
        for (String out : want.keySet()) {
            for (int i = 0; i < X.length; i++) {
                float w = want.get(out).data()[i];
                float v = got.get(out).data()[i];
                boolean ok;
                if (Float.isNaN(w) || Float.isNaN(v) || Float.isInfinite(w) || w == 0) {
                    ok = Float.floatToIntBits(w) == Float.floatToIntBits(v);
                } else {
                    double tol = Math.abs(w) < Float.MIN_NORMAL ? 1e-3 : 1e-4;
                    ok = Math.abs(v - (double) w) <= tol * Math.abs(w);
                }
                if (!ok) {
                    problems.add(out + "(" + X[i] + ") = " + v + ", want " + w);
                }
            }
        }
        assertEquals(List.of(), problems);
    }
}
