package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX Runtime as a peer: its optimised model, its thread setting, input tensors reused across runs. */
class OrtPeerTest {
    private static final String LLAMA_FFN = """
            graph llama_ffn(x: f32[T, 64], w_gate: f32[64, 172], w_up: f32[64, 172], w_down: f32[172, 64])
                -> (y: f32[T, 64]) {
              gate = matmul(x, w_gate)
              up = matmul(x, w_up)
              act = silu(gate)
              h = mul(act, up)
              y = matmul(h, w_down)
              return y
            }
            """;

    private static Map<String, Tensor> inputs(Graph g, long t, long seed) {
        return RandomInputs.generate(g, Map.of("T", t), seed, Map.of());
    }

    private static Map<String, Tensor> weights(Map<String, Tensor> in) {
        Map<String, Tensor> w = new LinkedHashMap<>(in);
        w.remove("x");
        return w;
    }

    @Test
    void listsTheOpsOfTheOptimisedModel(@TempDir Path dir) {
        Graph g = OrtAgreement.parse(LLAMA_FFN);
        Map<String, Tensor> in = inputs(g, 4, 1);
        byte[] model = OnnxExporter.export(g, weights(in));
        Path optimized = dir.resolve("llama_ffn.opt.onnx");
        try (OrtPeer ort = new OrtPeer(model, 2, optimized)) {
            assertTrue(Files.isRegularFile(optimized));
            List<String> ops = ort.optimizedOpTypes();
            System.out.println("ORT optimised Llama FFN, exported " + OnnxOpTypes.of(model) + " -> " + OnnxOpTypes.of(readAll(optimized)));
            assertFalse(ops.isEmpty());
            assertTrue(ops.contains("MatMul"), ops.toString());
            // x * sigmoid(x) is fused (QuickGelu with alpha 1), so the optimised model has no Sigmoid node
            assertFalse(ops.contains("Sigmoid"), ops.toString());
            assertTrue(OnnxOpTypes.of(readAll(optimized)).size() < OnnxOpTypes.of(model).size());
        }
        try (OrtPeer ort = new OrtPeer(model, 1)) {
            assertThrows(IllegalStateException.class, ort::optimizedOpTypes);
        }
    }

    @Test
    void threadCountsGiveTheSameResult() {
        Graph g = OrtAgreement.parse(LLAMA_FFN);
        Map<String, Tensor> in = inputs(g, 3, 2);
        byte[] model = OnnxExporter.export(g, weights(in));
        Map<String, Tensor> x = Map.of("x", in.get("x"));
        float[] one;
        try (OrtPeer ort = new OrtPeer(model, 1)) {
            one = ort.run(x).get("y").data();
        }
        try (OrtPeer ort = new OrtPeer(model, 2)) {
            float[] two = ort.run(x).get("y").data();
            for (int i = 0; i < one.length; i++) {
                assertEquals(one[i], two[i], 1e-5f * Math.max(1, Math.abs(one[i])));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new OrtPeer(model, 0));
    }

    @Test
    void sameArraysReuseTheirTensorsNewArraysAreRead() {
        Graph g = OrtAgreement.parse(LLAMA_FFN);
        Map<String, Tensor> in = inputs(g, 2, 3);
        byte[] model = OnnxExporter.export(g, weights(in));
        try (OrtPeer ort = new OrtPeer(model, 1)) {
            Tensor x = in.get("x");
            float[] first = ort.run(Map.of("x", x)).get("y").data();
            float[] again = ort.run(Map.of("x", x)).get("y").data();
            assertArrayEquals(first, again);
            Tensor other = inputs(g, 2, 4).get("x");
            float[] third = ort.run(Map.of("x", other)).get("y").data();
            assertNotEquals(first[0], third[0]);
            Tensor longer = inputs(g, 5, 4).get("x");
            assertArrayEquals(new int[] {5, 64}, ort.run(Map.of("x", longer)).get("y").shape());
        }
    }

    @Test
    void boundOutputsHoldWhatAPlainRunReturnsAndAreRewrittenInPlace() {
        Graph g = OrtAgreement.parse(LLAMA_FFN);
        Map<String, Tensor> in = inputs(g, 3, 3);
        Map<String, Tensor> other = inputs(g, 3, 4);
        byte[] model = OnnxExporter.export(g, weights(in));
        try (OrtPeer ort = new OrtPeer(model, 1)) {
            Map<String, Tensor> x = Map.of("x", in.get("x"));
            Map<String, Tensor> y = Map.of("x", other.get("x"));
            ort.runBound(x);
            assertArrayEquals(ort.run(x).get("y").data(), ort.boundOutputs().get("y").data());
            assertArrayEquals(new int[] {3, 64}, ort.boundOutputs().get("y").shape());
            ort.runBound(y);
            assertArrayEquals(ort.run(y).get("y").data(), ort.boundOutputs().get("y").data(), "the second bound run overwrote the first");
            assertNotEquals(ort.run(x).get("y").data()[0], ort.boundOutputs().get("y").data()[0]);
        }
    }

    /** A graph that returns an input, fed or baked in: ORT never writes those into a bound buffer. */
    @Test
    void outputsThatAreInputsAreReadFromTheInputs() {
        Graph g = OrtAgreement.parse("""
                graph ident(x: f32[T, 8], w: f32[8, 8]) -> (x: f32[T, 8], w: f32[8, 8], y: f32[T, 8]) {
                  y = matmul(x, w)
                  return x, w, y
                }
                """);
        Map<String, Tensor> in = inputs(g, 2, 6);
        Map<String, Tensor> other = inputs(g, 2, 7);
        OrtPeer.OnGraph session = OrtPeer.onGraph(g, in, 1, null);
        try (OrtPeer ort = session.peer()) {
            ort.runBound(session.fed());
            assertArrayEquals(in.get("x").data(), ort.boundOutputs().get("x").data());
            assertArrayEquals(in.get("w").data(), ort.boundOutputs().get("w").data());
            assertEquals(List.of("x", "w", "y"), List.copyOf(ort.boundOutputs().keySet()));
            ort.runBound(Map.of("x", other.get("x")));
            assertArrayEquals(other.get("x").data(), ort.boundOutputs().get("x").data(), "the latest run's input");
            assertArrayEquals(ort.run(Map.of("x", other.get("x"))).get("y").data(), ort.boundOutputs().get("y").data());
        }
    }

    @Test
    void unbakedWeightsAreInputs() {
        Graph g = OrtAgreement.parse(LLAMA_FFN);
        Map<String, Tensor> in = inputs(g, 2, 5);
        try (OrtPeer ort = new OrtPeer(OnnxExporter.export(g), 1)) {
            assertArrayEquals(new int[] {2, 64}, ort.run(in).get("y").shape());
        }
    }

    private static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
