package dev.fusec.bench.jmh;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.codegen.Species;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.nio.file.Path;
import java.util.Map;

/** One graph of bench/graphs, compiled fused or unfused for one T, with its inputs and thread pool ready. */
final class GraphRun implements AutoCloseable {
    private final CompiledGraph compiled;
    private final Executor executor;
    private final Map<String, Tensor> inputs;
    private final Parallel par;

    GraphRun(String graph, long tokens, String mode, int threads) {
        Path dir = Path.of(System.getProperty("fusec.graphs", "bench/graphs"));
        Graph g = IrParser.parseFile(dir.resolve(graph + ".fir"));
        Map<String, Long> dims = Map.of("T", tokens);
        inputs = RandomInputs.generate(g, dims, 1, Map.of());
        compiled = CompiledGraph.compile(mode.equals("fused") ? Pipeline.fuse(g) : g, Species.preferred(), null);
        executor = compiled.executor(dims);
        par = new Parallel(threads);
    }

    Map<String, Tensor> run() {
        return compiled.run(executor, inputs, par);
    }

    @Override
    public void close() {
        par.close();
    }
}
