package dev.fusec.bench;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.codegen.Cost;
import dev.fusec.codegen.Species;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.DType;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decode step of a model's FFN stack, as {@code fusec bench --weights W --layer all} times it: the
 * graph of one layer run on every layer's weights in turn, each layer's first output the next one's
 * hidden state. The weights are the checkpoint's (mapped, packed once at their stored width, 16-bit
 * kept 16-bit), so a step streams the whole model's FFN weights from memory, as a real decode step
 * does; no input copies are rotated, the model is its own rotation. Every layer reads the same hidden
 * state: the time does not depend on the values, and chained through random FFNs the state either
 * collapses (to subnormals and zeros within a few layers) or, renormalised, carries rounding
 * differences chaotically, so the modes' outputs could no longer be compared; {@code fusec run
 * --layer all} chains them. Bytes count every weight at its
 * stored width plus each layer's activations at 4 bytes, the same for every mode.
 */
public final class LayerStack {
    private LayerStack() {}

    /** A peer runs the whole stack too: {@code layers} holds each layer's inputs, weights included. */
    public interface PeerFactory {
        Benchmark.Runner create(Graph unfused, List<Map<String, Tensor>> layers, int threads);
    }

    public static Benchmark.Result run(Graph g, List<Map<String, Tensor>> layers, Map<String, Long> dims, Benchmark.Settings s,
                                       MachineLimits limits, List<PeerFactory> peers) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        Map<String, Tensor> activations = new LinkedHashMap<>(RandomInputs.generate(g, dims, s.seed(), layers.get(0)));
        layers.get(0).keySet().forEach(activations::remove);
        long bytes = 0;
        long flops = 0;
        for (Map<String, Tensor> w : layers) {
            for (Param p : g.inputs()) {
                Tensor t = w.get(p.name());
                bytes += t != null && t.stored().isPresent() ? t.stored().get().data().byteSize() : 4L * count(types.get(p.name()), dims);
            }
            for (Param p : g.outputs()) {
                bytes += 4L * count(types.get(p.name()), dims);
            }
            for (Node n : g.nodes()) {
                flops += Cost.flops(n, types, dims);
            }
        }
        List<Benchmark.Runner> runners = new ArrayList<>();
        Map<String, String> notRun = new LinkedHashMap<>();
        try (Parallel par = new Parallel(s.threads())) {
            runners.add(fusec("fused", Pipeline.fuse(g), dims, layers, activations, par, s.cache()));
            runners.add(fusec("unfused", g, dims, layers, activations, par, s.cache()));
            if (s.withPeers()) {
                List<Map<String, Tensor>> all = new ArrayList<>();
                for (Map<String, Tensor> w : layers) {
                    Map<String, Tensor> in = new LinkedHashMap<>(activations);
                    in.putAll(w);
                    all.add(in);
                }
                for (PeerFactory f : peers) {
                    try {
                        runners.add(f.create(g, all, s.threads()));
                    } catch (Benchmark.PeerUnavailable e) {
                        notRun.put(e.mode(), e.getMessage());
                    }
                }
            }
            Map<String, Long> shown = new LinkedHashMap<>(dims);
            shown.put("layers", (long) layers.size());
            Benchmark.Result r = Benchmark.time(g.name(), shown, s, limits, runners, notRun, 1, bytes, flops, par);
            return r;
        } finally {
            runners.forEach(Benchmark.Runner::close);
        }
    }

    private static Benchmark.Runner fusec(String mode, Graph graph, Map<String, Long> dims, List<Map<String, Tensor>> layers,
                                          Map<String, Tensor> activations, Parallel par, KernelCache cache) {
        CompiledGraph compiled = CompiledGraph.compile(graph, Species.preferred(), cache);
        List<Executor> executors = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            executors.add(compiled.executor(dims));
        }
        return new Benchmark.Runner() {
            private Map<String, Tensor> last = Map.of();

            public String mode() {
                return mode;
            }

            public void run(int copy) {
                for (int l = 0; l < layers.size(); l++) {
                    Map<String, Tensor> withWeights = new LinkedHashMap<>(activations);
                    withWeights.putAll(layers.get(l));
                    last = compiled.run(executors.get(l), withWeights, par);
                }
            }

            public Map<String, Tensor> outputs() {
                Map<String, Tensor> copy = new LinkedHashMap<>();
                last.forEach((k, v) -> copy.put(k, new Tensor(v.shape(), v.data().clone())));
                return copy;
            }

            public void close() {
            }
        };
    }

    /** The graph with every dtype f32: what a peer without bf16 or f16 arithmetic runs instead. */
    public static Graph asF32(Graph g) {
        List<Param> inputs = g.inputs().stream().map(p -> new Param(p.name(), new TensorType(DType.F32, p.type().shape()), p.pos(), p.weight())).toList();
        List<Param> outputs = g.outputs().stream().map(p -> new Param(p.name(), new TensorType(DType.F32, p.type().shape()), p.pos(), p.weight())).toList();
        List<Node> nodes = g.nodes().stream().map(n -> n.op() instanceof Op.Const c
                ? new Node(n.results(), new Op.Const(c.value(), DType.F32), n.pos(), n.absorbed()) : n).toList();
        return new Graph(g.name(), inputs, nodes, outputs, g.pos());
    }

    private static long count(TensorType t, Map<String, Long> dims) {
        long c = 1;
        for (var d : t.shape().dims()) {
            c *= d.evaluate(dims).orElseThrow();
        }
        return c;
    }
}
