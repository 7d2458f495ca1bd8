package dev.fusec.cli;

import dev.fusec.bench.Benchmark;
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
