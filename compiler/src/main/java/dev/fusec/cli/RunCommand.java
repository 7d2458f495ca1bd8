package dev.fusec.cli;

import dev.fusec.api.CompileOptions;
import dev.fusec.api.CompiledModel;
import dev.fusec.api.FusecGraph;
import dev.fusec.api.Outputs;
import dev.fusec.api.Tensor;
import dev.fusec.api.TensorSpec;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.SourcePos;
import dev.fusec.runtime.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fusec run FILE --mode interp --dim T=8}: runs a graph on seeded random inputs or given
 * .npy files and prints a summary per output; {@code --output} writes results as .npy.
 */
@Command(name = "run", description = "Run a graph on random or given inputs and summarise its outputs.")
final class RunCommand implements Callable<Integer> {
    enum Mode {
        interp(dev.fusec.api.Mode.INTERP), unfused(dev.fusec.api.Mode.UNFUSED), fused(dev.fusec.api.Mode.FUSED);

        final dev.fusec.api.Mode api;

        Mode(dev.fusec.api.Mode api) {
            this.api = api;
        }
    }

    @Mixin
    GraphFile file;

    @Option(names = "--mode", defaultValue = "interp",
            description = "interp (reference), unfused or fused (generated kernels). Default: ${DEFAULT-VALUE}")
    Mode mode;

    @Option(names = "--dim", paramLabel = "NAME=N", description = "bind a symbolic dim, e.g. --dim T=8")
    List<String> dims = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "0", description = "seed for random inputs. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "read an input from .npy (float32/float64, C order)")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--output", paramLabel = "NAME=FILE.npy", description = "write an output as float32 .npy")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "worker threads for generated kernels (default: all cores)")
    Integer threads;

    @Option(names = "--stats", description = "print per-kernel time, bytes, planned memory, compile or cache time")
    boolean stats;

    @Option(names = "--no-cache", description = "compile kernels afresh, ignoring and not writing the kernel cache")
    boolean noCache;

    @Option(names = "--weights", paramLabel = "FILE|DIR",
            description = "bind the graph's weight(\"...\") inputs to a safetensors file or model folder (memory-mapped)")
    Path weights;

    @Option(names = "--layer", paramLabel = "N|all",
            description = "the layer {layer} in weight names stands for; all: every layer in turn, each one's output the next one's input")
    String layer;
    @Option(names = "--backend", defaultValue = "java",
            description = "java (Vector API kernels) or opencl (OpenCL C on an OpenCL device). Default: ${DEFAULT-VALUE}")
    Backend backend;

    @Option(names = "--device", paramLabel = "N|cpu|gpu",
            description = "the OpenCL device, numbered as fusec devices lists them (default: the first GPU, else the first device)")
    String device;

    enum Backend { java, opencl }

    @Override
    public Integer call() {
        FusecGraph g = file.load();
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (workers < 1 || workers > 1024) {
            throw file.usage("--threads must be between 1 and 1024, got " + workers);
        }
        if (backend == Backend.opencl && mode == Mode.interp) {
            throw file.usage("--backend opencl runs generated kernels: give --mode fused or --mode unfused");
        }
        checkDevice(file, device, backend == Backend.opencl);
        Map<String, Path> outFiles = namedFiles(outputs, "--output", g, false);
        Map<String, Path> inFiles = namedFiles(inputs, "--input", g, true);
        ModelLayers.Choice choice = ModelLayers.choice(file, weights, layer);
        try (OutputPaths written = new OutputPaths(); ModelLayers model = ModelLayers.open(g, weights, choice)) {
            // Every output is checked before the work: a path that cannot be written costs nothing.
            outFiles.values().forEach(written::claim);
            Map<String, Tensor> given = new LinkedHashMap<>();
            inFiles.forEach((name, path) -> {
                if (model.bound().contains(name)) {
                    throw g.error("--input names '" + name + "', which --weights binds");
                }
                given.put(name, readNpy(name, path));
            });
            Map<String, Long> dimFlags = file.dims(dims);
            Map<String, Tensor> in = model.inputs(g.randomInputs(seed, dimFlags, model.withFirstLayer(given)));

            long start = System.nanoTime();
            CompileOptions options = CompileOptions.defaults().withThreads(workers);
            if (backend == Backend.opencl) {
                options = options.withBackend(dev.fusec.api.Backend.OPENCL);
                if (device != null) {
                    options = options.withDevice(device);
                }
            }
            Outputs results = null;
            CompiledModel.KernelInfo kernels;
            List<String> layerLines = new ArrayList<>();
            try (CompiledModel compiled = g.compile(mode.api, noCache ? options.withoutKernelCache() : options)) {
                for (int i = 0; i < model.layerCount(); i++) {
                    try (CompiledModel m = model.withLayer(compiled, i)) {
                        results = m.run(in, dimFlags);
                    }
                    if (model.layerCount() > 1) {
                        TensorSpec first = g.outputs().get(0);
                        layerLines.add(String.format(Locale.ROOT, "layer %d: %s  (%.1f ms)", model.layer(i), summary(first,
                                results.get(first.name())), results.millis()));
                    }
                    in = model.chain(g, in, results);
                }
                kernels = compiled.kernels();
            }
            double ms = (System.nanoTime() - start) / 1e6;
            final Outputs last = results;

            // Files first, all together: a write that fails is an error, and an error leaves stdout empty.
            outFiles.forEach((name, path) -> written.put(path, last.get(name)::writeNpy));
            written.commit();
            // With an output on standard output, the summary goes to standard error.
            PrintWriter out = written.toStdout() ? file.err() : file.out();
            out.printf(Locale.ROOT, "graph %s  mode=%s%s  %s  seed=%d%s  (%.1f ms)%n", g.name(), mode,
                    backend == Backend.opencl ? "  backend=opencl" : "",
                    last.dims().isEmpty() ? "no dims" : "dims " + new java.util.TreeMap<>(last.dims()), seed, model.describe(), ms);
            layerLines.forEach(out::println);
            for (TensorSpec p : g.outputs()) {
                out.println(summary(p, last.get(p.name())));
            }
            if (stats && mode != Mode.interp) {
                Stats.lines(kernels, last, workers, backend == Backend.opencl).forEach(out::println);
            }
            out.flush();
        }
        return 0;
    }

    /** {@code --device} is N, cpu or gpu, and only with {@code --backend opencl}; else a usage error. */
    static void checkDevice(GraphFile file, String device, boolean opencl) {
        if (device != null && !opencl) {
            throw file.usage("--device chooses an OpenCL device: give --backend opencl too");
        }
        if (device != null && !device.matches("[0-9]{1,6}|cpu|gpu")) {
            throw file.usage("--device takes a device number (see fusec devices), cpu or gpu; got '" + device + "'");
        }
    }

    /** {@code name: f32[4, 4096]  min=... max=... mean=...}. */
    static String summary(TensorSpec p, Tensor t) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        int nans = 0;
        for (float v : t.data()) {
            if (Float.isNaN(v)) {
                nans++;
                continue;
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        int counted = t.size() - nans;
        String shape = p.dtype() + Arrays.toString(t.shape());
        String stats = counted == 0 ? "no finite values"
                : String.format(Locale.ROOT, "min=%.6g  max=%.6g  mean=%.6g", min, max, sum / counted);
        return p.name() + ": " + shape + "  " + stats + (nans > 0 ? "  nan=" + nans : "");
    }

    private Map<String, Path> namedFiles(List<String> flags, String flag, FusecGraph g, boolean isInput) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String f : flags) {
            int eq = f.indexOf('=');
            if (eq <= 0 || eq == f.length() - 1) {
                throw file.usage(flag + " expects NAME=FILE.npy, got '" + f + "'");
            }
            String name = f.substring(0, eq);
            Path path = Path.of(f.substring(eq + 1));
            List<String> names = (isInput ? g.inputs() : g.outputs()).stream().map(TensorSpec::name).toList();
            if (!names.contains(name)) {
                throw g.error(flag + " names '" + name + "', which is not " + (isInput ? "an input" : "an output")
                        + " of graph " + g.name() + " (" + String.join(", ", names) + ")");
            }
            if (files.put(name, path) != null) {
                throw file.usage(flag + " names '" + name + "' twice");
            }
        }
        return files;
    }

    /** Reads the .npy given for input {@code name}; every error names the file and the input. */
    private static Tensor readNpy(String name, Path path) {
        SourcePos where = SourcePos.startOf(path.toString());
        String input = "input '" + name + "': ";
        try {
            dev.fusec.runtime.Tensor t = Npy.read(path);
            return Tensor.of(t.data(), t.shape());
        } catch (NoSuchFileException e) {
            throw new CompileError(where, input + "no such file");
        } catch (IOException e) {
            throw new CompileError(where, input + "cannot read: " + e.getMessage());
        } catch (Npy.NpyException e) {
            throw new CompileError(where, input + e.getMessage());
        }
    }
}
