package dev.fusec.cli;

import dev.fusec.bench.BenchReport;
import dev.fusec.bench.Benchmark;
import dev.fusec.bench.LayerStack;
import dev.fusec.frontend.WeightBinding;
import dev.fusec.runtime.Checkpoint;
import dev.fusec.runtime.Tensor;
import java.util.OptionalInt;
import dev.fusec.bench.DeviceBenchmark;
import dev.fusec.bench.MachineLimits;
import dev.fusec.interp.InputBinding;
import dev.fusec.ir.Graph;
import dev.fusec.onnx.OnnxExporter;
import dev.fusec.onnx.OnnxOpTypes;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.opencl.ClDevices;
import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.ProgramCache;
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

    @Option(names = "--weights", paramLabel = "FILE|DIR",
            description = "time the graph on a checkpoint's weights (memory-mapped, 16-bit kept 16-bit) instead of random ones")
    Path weights;

    @Option(names = "--layer", paramLabel = "N|all",
            description = "the layer whose weights to use; all: a decode step of the whole FFN stack, every layer in turn")
    String layer;
    @Option(names = "--backend", defaultValue = "java",
            description = "java (Vector API kernels, ONNX Runtime beside them) or opencl (fused and unfused on an OpenCL device,"
                    + " timed by its profiling events). Default: ${DEFAULT-VALUE}")
    RunCommand.Backend backend;

    @Option(names = "--device", paramLabel = "N|cpu|gpu", description = "the OpenCL device (see fusec devices)")
    String device;

    @Override
    public Integer call() throws IOException {
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (workers < 1 || workers > 1024 || runs < 1 || runs > 100_000 || warmup < 0 || warmup > 100_000
                || warmupMillis < 0 || warmupMillis > 3_600_000) {
            throw file.usage(
                    "--threads must be 1..1024, --runs 1..100000, --warmup 0..100000 and --warmup-ms 0..3600000");
        }
        RunCommand.checkDevice(file, device, backend == RunCommand.Backend.opencl);
        if (backend == RunCommand.Backend.opencl) {
            if (report != null || ortModel != null || weights != null) {
                throw file.usage("--report, --save-ort-model and --weights belong to the Java backend's benchmark");
            }
            return onDevice();
        }
        try (OutputPaths written = new OutputPaths()) {
            // Both files are checked before the benchmark, so a path that cannot be written costs nothing.
            for (Path p : new Path[] {report, ortModel}) {
                if (p != null) {
                    written.claim(p);
                }
            }
            Graph g = file.parse();
            if (weights != null) {
                return stack(g, written, workers);
            }
            ModelLayers.choice(file, weights, layer);
            Map<String, Long> binding = InputBinding.bind(g, file.dims(dims), Map.of());
            if (ortModel != null && !noPeers) {
                // ORT's model was asked for: a graph ONNX cannot express is an error here, before any timing
                // (without --save-ort-model, the ort row is only left out, with the reason).
                OnnxExporter.export(g);
            }
            MachineLimits limits = MachineLimits.forThreads(workers, KernelCache.defaultDir(), remeasure);
            Benchmark.Settings settings = new Benchmark.Settings(workers, runs, warmup, warmupMillis, seed, !noPeers,
                    new KernelCache(KernelCache.defaultDir()));
            // ONNX Runtime writes its optimised model itself: into a folder of ours, whence it is copied
            // through the output writer like every other file.
            Path ortDir = ortModel == null ? null : Files.createTempDirectory("fusec-ort-");
            Path ortFile = ortDir == null ? null : ortDir.resolve("optimised.onnx");
            try {
                Benchmark.Result result = Benchmark.run(g, binding, settings, limits, Peers.available(ortFile));
                List<String> ops = null;
                if (ortFile != null && Files.exists(ortFile)) {
                    byte[] model = Files.readAllBytes(ortFile);
                    ops = OnnxOpTypes.of(model);
                    written.put(ortModel, out -> out.write(model));
                }
                if (report != null) {
                    byte[] html = BenchReport.html(result).getBytes(StandardCharsets.UTF_8);
                    written.put(report, out -> out.write(html));
                }
                written.commit();
                PrintWriter out = written.toStdout() ? file.err() : file.out();
                out.print(json ? BenchReport.json(result) : BenchReport.text(result));
                if (ops != null && !json) {
                    out.println("ort's optimised graph, written to " + ortModel + ": " + String.join(", ", ops));
                }
                if (report != null && !json) {
                    out.println("wrote " + report);
                }
                out.flush();
            } finally {
                if (ortFile != null) {
                    Files.deleteIfExists(ortFile);
                    Files.deleteIfExists(ortDir);
                }
            }
        }
        return 0;
    }

    /** {@code --weights}: the graph on the checkpoint's layers, one or all in turn (a decode step of the stack). */
    private int stack(Graph g, OutputPaths written, int workers) throws IOException {
        ModelLayers.Choice choice = ModelLayers.choice(file, weights, layer);
        if (ortModel != null) {
            throw file.usage("--save-ort-model does not go with --weights");
        }
        try (Checkpoint c = WeightBinding.open(weights)) {
            List<Integer> layers = choice.all() ? WeightBinding.allLayers(g, c, weights) : List.of(choice.layer().orElse(-1));
            List<Map<String, Tensor>> bound = new ArrayList<>();
            for (int l : layers) {
                bound.add(WeightBinding.bind(g, c, l < 0 ? OptionalInt.empty() : OptionalInt.of(l)));
            }
            Map<String, Tensor> first = new java.util.LinkedHashMap<>(bound.get(0));
            Map<String, Long> binding = InputBinding.bind(g, file.dims(dims), first);
            MachineLimits limits = MachineLimits.forThreads(workers, KernelCache.defaultDir(), remeasure);
            Benchmark.Settings settings = new Benchmark.Settings(workers, runs, warmup, warmupMillis, seed, !noPeers,
                    new KernelCache(KernelCache.defaultDir()));
            Benchmark.Result result = LayerStack.run(g, bound, binding, settings, limits, Peers.layers());
            if (report != null) {
                byte[] html = BenchReport.html(result).getBytes(StandardCharsets.UTF_8);
                written.put(report, out -> out.write(html));
            }
            written.commit();
            PrintWriter out = written.toStdout() ? file.err() : file.out();
            out.print(json ? BenchReport.json(result) : BenchReport.text(result));
            if (!json) {
                out.printf(java.util.Locale.ROOT, "weights %s: %d layer(s), %.1f MiB of weights a step; per token (T=%s) the fused stack took %.3f ms%n",
                        weights, layers.size(), bound.stream().flatMap(m -> m.values().stream())
                                .mapToLong(t -> t.stored().map(s -> s.data().byteSize()).orElse(0L)).sum() / 1048576.0,
                        binding.getOrDefault("T", 1L), result.rows().get(0).medianMs() / binding.getOrDefault("T", 1L));
            }
            out.flush();
        }
        return 0;
    }

    /** Fused against unfused on an OpenCL device: the device's copy bandwidth beside them. */
    private int onDevice() {
        Graph g = file.parse();
        Map<String, Long> binding = InputBinding.bind(g, file.dims(dims), Map.of());
        try (DeviceContext ctx = DeviceContext.open(ClDevices.select(device))) {
            DeviceBenchmark.Result r = DeviceBenchmark.run(g, binding, ctx, new ProgramCache(KernelCache.defaultDir()), runs, warmup, seed);
            PrintWriter out = file.out();
            out.print(json ? DeviceBenchmark.json(r) : DeviceBenchmark.text(r));
            out.flush();
        }
        return 0;
    }
}
