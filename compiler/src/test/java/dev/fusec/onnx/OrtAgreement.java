package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fusec.interp.InputBinding;
import dev.fusec.interp.Interpreter;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.parse.IrParser;
import dev.fusec.runtime.Tensor;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs a graph in the reference interpreter and its ONNX export in ONNX Runtime on the same seeded
 * inputs, and checks every output agrees within {@link #TOLERANCE} of the output's largest |value|.
 */
final class OrtAgreement {
    static final double TOLERANCE = 1e-4;

    private OrtAgreement() {}

    static Graph parse(String text) {
        return IrParser.parse("test.fir", text);
    }

    /**
     * Exports {@code g} (baking every input with a fully static shape when {@code bake}), runs both, and
     * returns the worst difference relative to max |value| over all outputs. {@code dims} may name dims
     * the graph lacks (one map serves the 2-D and 3-D variants); only the graph's own are bound, since
     * binding refuses a dim the graph does not have.
     */
    static double check(Graph g, Map<String, Long> dims, boolean bake) {
        Set<String> own = new HashSet<>();
        g.inputs().forEach(p -> p.type().shape().dims().forEach(d -> own.addAll(d.symbols())));
        Map<String, Long> ownDims = new LinkedHashMap<>(dims);
        ownDims.keySet().retainAll(own);
        Map<String, Long> binding = InputBinding.bind(g, ownDims, Map.of());
        Map<String, Tensor> in = RandomInputs.generate(g, binding, 7, Map.of());
        Map<String, Tensor> want = Interpreter.run(g, in);

        Map<String, Tensor> constants = new LinkedHashMap<>();
        Map<String, Tensor> feed = new LinkedHashMap<>();
        for (Param p : g.inputs()) {
            (bake && OnnxExporter.isWeight(p) ? constants : feed).put(p.name(), in.get(p.name()));
        }
        byte[] model = OnnxExporter.export(g, constants);
        double worst = 0;
        try (OrtPeer ort = new OrtPeer(model, 1)) {
            Map<String, Tensor> got = ort.run(feed);
            assertEquals(want.keySet(), got.keySet(), "outputs of " + g.name());
            for (var e : want.entrySet()) {
                Tensor w = e.getValue();
                Tensor o = got.get(e.getKey());
                assertArrayEquals(w.shape(), o.shape(), "shape of " + e.getKey());
                double max = 0;
                double diff = 0;
                for (int i = 0; i < w.size(); i++) {
                    max = Math.max(max, Math.abs(w.data()[i]));
                    diff = Math.max(diff, Math.abs((double) w.data()[i] - o.data()[i]));
                }
                double rel = diff / Math.max(max, 1e-30);
                if (diff > 1e-6 && rel > TOLERANCE) {
                    throw new AssertionError(String.format(Locale.ROOT,
                            "%s %s%s: output %s differs by %.3g (%.3g of max |value| %.3g)",
                            g.name(), dims, bake ? " baked" : "", e.getKey(), diff, rel, max));
                }
                worst = Math.max(worst, diff == 0 ? 0 : rel);
            }
        }
        System.out.printf(Locale.ROOT, "ORT vs interpreter: %-14s %-20s %-6s worst %.3g of max |value|%n",
                g.name(), dims, bake ? "baked" : "inputs", worst);
        return worst;
    }
}
