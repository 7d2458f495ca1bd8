package dev.fusec.cli;

import dev.fusec.bench.BenchReport;
import dev.fusec.bench.Benchmark;
import dev.fusec.bench.MachineLimits;
import dev.fusec.interp.InputBinding;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.SourcePos;
import dev.fusec.onnx.OnnxExporter;
import dev.fusec.onnx.OnnxOpTypes;
import dev.fusec.runtime.AtomicFiles;
import dev.fusec.runtime.KernelCache;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusec bench FILE --dim T=...}: fused vs unfused vs peers, with the machine's limit beside each row. */
@Command(name = "bench", description = "Time fused vs unfused (vs ONNX Runtime) and compare with the machine's measured limits.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    GraphFile file;

    @Option(names = "--dim", paramLabel = "NAME=N", description = "bind a symbolic dim, e.g. --dim T=512")
    List<String> dims = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "threads for every mode, peers included (default: all cores)")
    Integer threads;

    @Option(names = "--runs", defaultValue = "15", description = "timed runs per mode. Default: ${DEFAULT-VALUE}")
    int runs;

    @Option(names = "--warmup", defaultValue = "5",
            description = "untimed rounds of every mode first, at least (and one per input copy). Default: ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--warmup-ms", paramLabel = "MS", defaultValue = "1000",
            description = "keep warming up (all modes in turn) until this much time has passed; after a full collection, go on"
                    + " until the JIT has been idle for 100 ms (at most 4x this time; 0: not at all). Default: ${DEFAULT-VALUE}")
    long warmupMillis;

    @Option(names = "--seed", defaultValue = "0", description = "seed for the random inputs. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--no-peers", description = "time fusec's modes only")
    boolean noPeers;

    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    @Option(names = "--report", paramLabel = "FILE.html", description = "also write a self-contained HTML page with an SVG chart")
    Path report;

    @Option(names = "--save-ort-model", paramLabel = "FILE.onnx",
            description = "write the model ONNX Runtime runs after its own graph optimisations, and list its ops")
    Path ortModel;

    @Option(names = "--remeasure-limits", description = "measure the machine's limits again instead of using the cached ones")
    boolean remeasure;

    @Override
    public Integer call() throws IOException {
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (workers < 1 || workers > 1024 || runs < 1 || runs > 100_000 || warmup < 0 || warmup > 100_000
                || warmupMillis < 0 || warmupMillis > 3_600_000) {
            throw file.usage(
                    "--threads must be 1..1024, --runs 1..100000, --warmup 0..100000 and --warmup-ms 0..3600000");
        }
        for (Path written : new Path[] {report, ortModel}) {
            Path dir = written == null ? null : written.toAbsolutePath().getParent();
            if (written != null && (dir == null || !Files.isDirectory(dir))) {
                throw new CompileError(SourcePos.startOf(written.toString()), "cannot write: directory " + dir + " does not exist");
            }
        }
        Graph g = file.parse();
        Map<String, Long> binding = InputBinding.bind(g, file.dims(dims), Map.of());
        if (ortModel != null && !noPeers) {
            // ORT's model was asked for: a graph ONNX cannot express is an error here, before any timing
            // (without --save-ort-model, the ort row is only left out, with the reason).
            OnnxExporter.export(g);
        }
        MachineLimits limits = MachineLimits.forThreads(workers, KernelCache.defaultDir(), remeasure);
        Benchmark.Settings settings = new Benchmark.Settings(workers, runs, warmup, warmupMillis, seed, !noPeers,
                new KernelCache(KernelCache.defaultDir()));
        Benchmark.Result result = Benchmark.run(g, binding, settings, limits, Peers.available(ortModel));
        PrintWriter out = file.out();
        out.print(json ? BenchReport.json(result) : BenchReport.text(result));
        if (ortModel != null && !noPeers && !json) {
            out.println("ort's optimised graph, written to " + ortModel + ": "
                    + String.join(", ", OnnxOpTypes.of(Files.readAllBytes(ortModel))));
        }
        if (report != null) {
            AtomicFiles.write(report, BenchReport.html(result).getBytes(StandardCharsets.UTF_8));
            if (!json) {
                out.println("wrote " + report);
            }
        }
        return 0;
    }
}
