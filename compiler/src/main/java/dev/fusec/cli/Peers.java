package dev.fusec.cli;

import dev.fusec.bench.Benchmark;
import dev.fusec.bench.LayerStack;
import dev.fusec.ir.DType;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.onnx.OrtPeer;
import dev.fusec.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The benchmark peers: ONNX Runtime (CPU) on fusec's own ONNX export of the unfused graph. Its best
 * configuration: inputs with only static dims (weights, biases) baked in as initializers so ORT can
 * pre-pack them, all graph optimisations, the same intra-op thread count, spinning off. One session
 * per rotated input copy, so ORT reads its weights from memory exactly as fusec does.
 */
final class Peers {
    private Peers() {}

    /** The peers; ONNX Runtime writes the model it runs after its own optimisations to {@code ortModel} when given. */
    static List<Benchmark.PeerFactory> available(Path ortModel) {
        return List.of((g, copies, threads) -> ort(g, copies, threads, ortModel));
    }

    /**
     * ONNX Runtime on a whole FFN stack: one session per layer, its weights baked in. ORT's CPU provider
     * has no bf16 (or f16) MatMul, so a graph in those runs as f32 on the weights widened: the row is
     * named {@code ort-f32}, and it streams twice the bytes fusec does.
     */
    static List<LayerStack.PeerFactory> layers() {
        return List.of(Peers::ortLayers);
    }

    private static Benchmark.Runner ortLayers(Graph g, List<Map<String, Tensor>> layers, int threads) {
        boolean narrow = g.inputs().stream().anyMatch(p -> p.type().dtype() != DType.F32);
        Graph graph = narrow ? LayerStack.asF32(g) : g;
        List<OrtPeer> sessions = new ArrayList<>();
        List<Map<String, Tensor>> fed = new ArrayList<>();
        try {
            for (Map<String, Tensor> inputs : layers) {
                Map<String, Tensor> wide = new java.util.LinkedHashMap<>();
                // A fresh f32 array per weight, not the stored tensor's cached copy: ORT copies it into its model.
                inputs.forEach((k, v) -> wide.put(k, v.stored().map(s -> new Tensor(s.shape(), s.widen())).orElse(v)));
                OrtPeer.OnGraph session = OrtPeer.onGraph(graph, wide, threads, null);
                sessions.add(session.peer());
                fed.add(session.fed());
            }
        } catch (CompileError e) {
            sessions.forEach(OrtPeer::close);
            throw new Benchmark.PeerUnavailable(narrow ? "ort-f32" : "ort", "not run: " + e.getMessage());
        }
        return new Benchmark.Runner() {
            public String mode() {
                return narrow ? "ort-f32" : "ort";
            }

            public void run(int copy) {
                for (int l = 0; l < sessions.size(); l++) {
                    sessions.get(l).runBound(fed.get(l));
                }
            }

            public Map<String, Tensor> outputs() {
                return sessions.getLast().boundOutputs();
            }

            public void close() {
                sessions.forEach(OrtPeer::close);
            }
        };
    }

    private static Benchmark.Runner ort(Graph g, List<Map<String, Tensor>> copies, int threads, Path ortModel) {
        List<OrtPeer> sessions = new ArrayList<>();
        List<Map<String, Tensor>> fed = new ArrayList<>();
        for (Map<String, Tensor> inputs : copies) {
            OrtPeer.OnGraph session;
            try {
                session = OrtPeer.onGraph(g, inputs, threads, sessions.isEmpty() ? ortModel : null);
            } catch (CompileError e) {
                throw new Benchmark.PeerUnavailable("ort", "not run: " + e.getMessage());
            }
            sessions.add(session.peer());
            fed.add(session.fed());
        }
        return new Benchmark.Runner() {
            public String mode() {
                return "ort";
            }

            public void run(int copy) {
                sessions.get(copy).runBound(fed.get(copy));
            }

            public Map<String, Tensor> outputs() {
                return sessions.getFirst().boundOutputs();
            }

            public void close() {
                sessions.forEach(OrtPeer::close);
            }
        };
    }
}
