package dev.fusec.bench.jmh;

import dev.fusec.bench.Benchmark;
import dev.fusec.codegen.CompiledGraph;
import dev.fusec.codegen.Species;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.onnx.OrtPeer;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One graph of bench/graphs for one T, ready to run: fusec fused or unfused (compiled, inputs and
 * thread pool ready), or ONNX Runtime ("ort") on fusec's export of the unfused graph, configured as
 * `fusec bench` configures it (weights baked in, outputs bound once, same thread count). As there,
 * inputs that fit in twice the last-level cache come in several copies that successive runs take in
 * turn, so decode reads its weights from memory, as a model's are, rather than from the cache the
 * previous run left them in. With one copy, a two-thread Qwen2.5-0.5B FFN decode step timed at
 * 0.65 ms fused and 0.76 ms in ORT; with two in turn, at 0.78 and 1.35 ms: the cache flattered ORT most.
 */
final class GraphRun implements AutoCloseable {
    private final List<Runnable> runs = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private int next;

    GraphRun(String graph, long tokens, String mode, int threads) {
        Path dir = Path.of(System.getProperty("fusec.graphs", "bench/graphs"));
        Graph g = IrParser.parseFile(dir.resolve(graph + ".fir"));
        Map<String, Long> dims = Map.of("T", tokens);
        int copies = Benchmark.inputCopies(Benchmark.inputBytes(g, dims));
        switch (mode) {
            case "fused", "unfused" -> {
                CompiledGraph compiled = CompiledGraph.compile(mode.equals("fused") ? Pipeline.fuse(g) : g, Species.preferred(), null);
                Parallel par = new Parallel(threads);
                resources.add(par);
                for (int c = 0; c < copies; c++) {
                    Map<String, Tensor> inputs = RandomInputs.generate(g, dims, 1 + c, Map.of());
                    Executor executor = compiled.executor(dims);
                    runs.add(() -> compiled.run(executor, inputs, par));
                }
            }
            case "ort" -> {
                for (int c = 0; c < copies; c++) {
                    OrtPeer.OnGraph ort = OrtPeer.onGraph(g, RandomInputs.generate(g, dims, 1 + c, Map.of()), threads, null);
                    resources.add(ort.peer());
                    runs.add(() -> ort.peer().runBound(ort.fed()));
                }
            }
            default -> throw new IllegalArgumentException("mode must be fused, unfused or ort, got " + mode);
        }
    }

    /** One run of the graph, on the next input copy. */
    void run() {
        runs.get(next).run();
        next = (next + 1) % runs.size();
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
    }
}
