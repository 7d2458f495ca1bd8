package dev.fusec.bench.jmh;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.codegen.Species;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.onnx.OnnxExporter;
import dev.fusec.onnx.OrtPeer;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One graph of bench/graphs for one T, ready to run: fusec fused or unfused (compiled, inputs and
 * thread pool ready), or ONNX Runtime ("ort") on fusec's export of the unfused graph, configured as
 * `fusec bench` configures it (weights baked in, outputs bound once, same thread count).
 */
final class GraphRun implements AutoCloseable {
    private final Runnable once;
    private final AutoCloseable resources;

    GraphRun(String graph, long tokens, String mode, int threads) {
        Path dir = Path.of(System.getProperty("fusec.graphs", "bench/graphs"));
        Graph g = IrParser.parseFile(dir.resolve(graph + ".fir"));
        Map<String, Long> dims = Map.of("T", tokens);
        Map<String, Tensor> inputs = RandomInputs.generate(g, dims, 1, Map.of());
        switch (mode) {
            case "fused", "unfused" -> {
                CompiledGraph compiled = CompiledGraph.compile(mode.equals("fused") ? Pipeline.fuse(g) : g, Species.preferred(), null);
                Executor executor = compiled.executor(dims);
                Parallel par = new Parallel(threads);
                once = () -> compiled.run(executor, inputs, par);
                resources = par;
            }
            case "ort" -> {
                Map<String, Tensor> weights = new HashMap<>();
                Map<String, Tensor> fed = new HashMap<>();
                for (Param p : g.inputs()) {
                    (OnnxExporter.isWeight(p) ? weights : fed).put(p.name(), inputs.get(p.name()));
                }
                OrtPeer ort = new OrtPeer(OnnxExporter.export(g, weights), threads);
                once = () -> ort.runBound(fed);
                resources = ort;
            }
            default -> throw new IllegalArgumentException("mode must be fused, unfused or ort, got " + mode);
        }
    }

    void run() {
        once.run();
    }

    @Override
    public void close() throws Exception {
        resources.close();
    }
}
