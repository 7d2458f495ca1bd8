package dev.fusec.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.api.CompileOptions;
import dev.fusec.api.CompiledModel;
import dev.fusec.api.FusecGraph;
import dev.fusec.api.Mode;
import dev.fusec.api.Outputs;
import dev.fusec.api.Tensor;
import dev.fusec.api.Weights;
import dev.fusec.frontend.hf.HfImport;
import dev.fusec.runtime.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each fixture model (tools/model-fixtures/make_fixtures.py: small random Hugging Face models,
 * made and run by PyTorch and transformers) imported, bound to its checkpoint and run in every mode,
 * against PyTorch's own MLP outputs on the same inputs: f32 within 2e-4 of the largest output, and
 * bf16/f16 within the bound derived in {@link #narrowBound}. The worst difference per family and mode
 * is printed (the table in docs/models.md).
 */
class ModelImportTest {
    static final Path MODELS = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/models");
    static final double F32_TOLERANCE = 2e-4;

    @TempDir
    static Path cache;

    private static final List<String> REPORT = new ArrayList<>();

    @AfterAll
    static void report() {
        REPORT.forEach(System.out::println);
    }

    static CompileOptions options() {
        return CompileOptions.defaults().withThreads(2).withKernelCache(cache);
    }

    static FusecGraph imported(String family) {
        HfImport.Result r = HfImport.read(MODELS.resolve(family));
        return FusecGraph.parse(r.ir(), family + ".fir");
    }

    static float[] npy(String family, String file) {
        return Tensor.readNpy(MODELS.resolve(family).resolve(file)).data();
    }

    /** max |a - b| / max |b|. */
    static double relative(float[] a, float[] b) {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < b.length; i++) {
            scale = Math.max(scale, Math.abs(b[i]));
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst / scale;
    }

    /** The fixture's inputs for {@code layer}: x, and for the MoE families the routing PyTorch computed. */
    static Map<String, Tensor> inputs(String family, FusecGraph g, int layer) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", Tensor.readNpy(MODELS.resolve(family).resolve("x.npy")));
        if (g.inputs().stream().anyMatch(s -> s.name().equals("routing"))) {
            in.put("routing", Tensor.readNpy(MODELS.resolve(family).resolve("routing" + layer + ".npy")));
        }
        return in;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_bias", "mistral", "qwen2", "phi3", "mixtral", "gpt_oss"})
    void importedF32ModelsMatchPyTorchInEveryMode(String family) {
        FusecGraph g = imported(family);
        try (Weights w = Weights.open(MODELS.resolve(family))) {
            assertEquals(List.of(0, 1), w.layers(g));
            for (Mode mode : Mode.values()) {
                double worst = 0;
                try (CompiledModel base = g.compile(mode, options())) {
                    for (int layer = 0; layer < 2; layer++) {
                        float[] want = npy(family, "mlp" + layer + "_out.npy");
                        try (CompiledModel m = base.withWeights(w.bind(g, layer))) {
                            Outputs out = m.run(inputs(family, g, layer));
                            double d = relative(out.get("y").data(), want);
                            assertTrue(d <= F32_TOLERANCE, family + " " + mode + " layer " + layer + ": " + d);
                            worst = Math.max(worst, d);
                            if (g.outputs().size() > 1) {
                                double r = relative(out.get("router_logits").data(), npy(family, "router" + layer + "_logits.npy"));
                                assertTrue(r <= F32_TOLERANCE, family + " router logits " + mode + ": " + r);
                            }
                            // One token (the decode path of every kernel) is row 0 of the same computation.
                            Map<String, Tensor> one = new LinkedHashMap<>();
                            inputs(family, g, layer).forEach((k, v) -> one.put(k, Tensor.of(Arrays.copyOf(v.data(), v.shape()[1]), 1, v.shape()[1])));
                            float[] row = m.run(one).get("y").data();
                            double d1 = relative(row, Arrays.copyOf(want, row.length));
                            assertTrue(d1 <= F32_TOLERANCE, family + " " + mode + " T=1 layer " + layer + ": " + d1);
                            worst = Math.max(worst, d1);
                        }
                    }
                }
                REPORT.add(String.format("%-11s %-8s worst relative difference from PyTorch: %.2e", family, mode, worst));
            }
        }
    }

    @Test
    void theMoeRoutingFromFusecsRouterLogitsIsPyTorchs() {
        for (String family : List.of("mixtral", "gpt_oss")) {
            FusecGraph g = imported(family);
            try (Weights w = Weights.open(MODELS.resolve(family));
                 CompiledModel m = g.compile(Mode.INTERP, options()).withWeights(w.bind(g, 0))) {
                float[] logits = m.run(inputs(family, g, 0)).get("router_logits").data();
                float[] routing = family.equals("mixtral") ? Routing.mixtral(logits, 4, 2) : Routing.gptOss(logits, 4, 2);
                assertTrue(relative(routing, npy(family, "routing0.npy")) < 1e-5, family);
            }
        }
    }

    @Test
    void layerAllRunsEachLayerOnThePreviousOnesOutput() {
        for (String family : List.of("llama", "phi3")) {
            FusecGraph g = imported(family);
            try (Weights w = Weights.open(MODELS.resolve(family));
                 CompiledModel base = g.compile(Mode.FUSED, options())) {
                Tensor x = Tensor.readNpy(MODELS.resolve(family).resolve("x.npy"));
                for (int layer : w.layers(g)) {
                    try (CompiledModel m = base.withWeights(w.bind(g, layer))) {
                        x = m.run(Map.of("x", x)).get("y");
                    }
                }
                assertTrue(relative(x.data(), npy(family, "stack_out.npy")) <= F32_TOLERANCE, family);
            }
        }
    }

    /**
     * bf16 and f16 checkpoints, graphs in that dtype (every value rounded to it as it is stored), against
     * PyTorch running the same MLP in that dtype on the CPU. The tolerance is derived, not fitted: each
     * side rounds the gate and up projections, the activation and the product h (four roundings of at
     * most u = 2^-8 for bf16, 2^-11 for f16, relative), so each h_j is off by at most about 4u|h_j|, which the
     * down projection carries to at most 4u (|W_down| |h|)_i, plus one rounding u|y_i| of y itself;
     * the two sides' errors add, so |fusec_i - torch_i| <= 8u (|W_down| |h|)_i + 2u |y_i|, element by
     * element ((|W_down| |h|) computed here in double from the checkpoint). Fused mode rounds less (gate
     * and up stay in registers), so the same bound holds.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama_bf16", "llama_f16"})
    void narrowCheckpointsStayNarrowAndMatchPyTorchWithinTheRoundingBound(String family) {
        double u = family.endsWith("bf16") ? 0x1p-8 : 0x1p-11;
        FusecGraph g = imported(family);
        assertEquals(family.endsWith("bf16") ? "bf16" : "f16", g.inputs().get(1).dtype());
        try (Weights w = Weights.open(MODELS.resolve(family))) {
            for (Mode mode : Mode.values()) {
                double worstRatio = 0;
                double worstRel = 0;
                try (CompiledModel base = g.compile(mode, options())) {
                    for (int layer = 0; layer < 2; layer++) {
                        float[] want = npy(family, "mlp" + layer + "_out.npy");
                        double[] bound = narrowBound(family, layer, u);
                        try (CompiledModel m = base.withWeights(w.bind(g, layer))) {
                            float[] got = m.run(inputs(family, g, layer)).get("y").data();
                            for (int i = 0; i < want.length; i++) {
                                double ratio = Math.abs(got[i] - want[i]) / bound[i];
                                assertTrue(ratio <= 1, family + " " + mode + " layer " + layer + " element " + i + ": "
                                        + got[i] + " vs " + want[i] + ", bound " + bound[i]);
                                worstRatio = Math.max(worstRatio, ratio);
                            }
                            worstRel = Math.max(worstRel, relative(got, want));
                        }
                    }
                }
                REPORT.add(String.format("%-11s %-8s worst relative difference from PyTorch (%s): %.2e, at most %.0f%% of the rounding bound",
                        family, mode, family.substring(family.indexOf('_') + 1), worstRel, 100 * worstRatio));
            }
        }
    }

    /** 8u (|W_down| |h|)_i + 2u |y_i| per output element, h and y from the checkpoint's weights in double. */
    static double[] narrowBound(String family, int layer, double u) {
        try (Checkpoint c = WeightBinding.open(MODELS.resolve(family))) {
            String p = "model.layers." + layer + ".mlp.";
            float[] wg = c.tensor(p + "gate_proj.weight").orElseThrow().widen();
            float[] wu = c.tensor(p + "up_proj.weight").orElseThrow().widen();
            float[] wd = c.tensor(p + "down_proj.weight").orElseThrow().widen();
            float[] x = npy(family, "x.npy");
            int hidden = 64;
            int inter = wg.length / hidden;
            int tokens = x.length / hidden;
            double[] bound = new double[tokens * hidden];
            for (int t = 0; t < tokens; t++) {
                double[] h = new double[inter];
                for (int j = 0; j < inter; j++) {
                    double gate = 0;
                    double up = 0;
                    for (int k = 0; k < hidden; k++) {
                        gate += x[t * hidden + k] * wg[j * hidden + k];
                        up += x[t * hidden + k] * wu[j * hidden + k];
                    }
                    h[j] = gate / (1 + Math.exp(-gate)) * up;
                }
                for (int i = 0; i < hidden; i++) {
                    double abs = 0;
                    double y = 0;
                    for (int j = 0; j < inter; j++) {
                        abs += Math.abs(wd[i * inter + j] * h[j]);
                        y += wd[i * inter + j] * h[j];
                    }
                    bound[t * hidden + i] = 8 * u * abs + 2 * u * Math.abs(y) + 1e-30;
                }
            }
            return bound;
        }
    }

    /** The routing the MoE families compute from their router's logits (not FFN ops: computed here). */
    static final class Routing {
        /** Mixtral: softmax over all experts, top k, renormalised. */
        static float[] mixtral(float[] logits, int experts, int k) {
            float[] out = new float[logits.length];
            for (int t = 0; t < logits.length / experts; t++) {
                double[] p = softmax(logits, t * experts, experts);
                int[] top = top(p, k);
                double sum = 0;
                for (int e : top) {
                    sum += p[e];
                }
                for (int e : top) {
                    out[t * experts + e] = (float) (p[e] / sum);
                }
            }
            return out;
        }

        /** gpt-oss: top k of the logits, softmax over those. */
        static float[] gptOss(float[] logits, int experts, int k) {
            float[] out = new float[logits.length];
            for (int t = 0; t < logits.length / experts; t++) {
                double[] l = new double[experts];
                for (int e = 0; e < experts; e++) {
                    l[e] = logits[t * experts + e];
                }
                int[] top = top(l, k);
                double max = l[top[0]];
                double sum = 0;
                for (int e : top) {
                    sum += Math.exp(l[e] - max);
                }
                for (int e : top) {
                    out[t * experts + e] = (float) (Math.exp(l[e] - max) / sum);
                }
            }
            return out;
        }

        private static double[] softmax(float[] v, int at, int n) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, v[at + i]);
            }
            double[] p = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                p[i] = Math.exp(v[at + i] - max);
                sum += p[i];
            }
            for (int i = 0; i < n; i++) {
                p[i] /= sum;
            }
            return p;
        }

        private static int[] top(double[] p, int k) {
            Integer[] idx = new Integer[p.length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, (a, b) -> Double.compare(p[b], p[a]));
            int[] out = new int[k];
            for (int i = 0; i < k; i++) {
                out[i] = idx[i];
            }
            return out;
        }
    }
}
