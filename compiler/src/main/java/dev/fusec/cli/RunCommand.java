package dev.fusec.cli;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.codegen.Species;
import dev.fusec.interp.InputBinding;
import dev.fusec.interp.Interpreter;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.SourcePos;
import dev.fusec.ir.TensorType;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Npy;
import dev.fusec.runtime.Tensor;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fusec run FILE --mode interp --dim T=8}: runs a graph on seeded random inputs or given
 * .npy files and prints a summary per output; {@code --output} writes results as .npy.
 */
@Command(name = "run", description = "Run a graph on random or given inputs and summarise its outputs.")
final class RunCommand implements Callable<Integer>, Main.FileCommand {
    enum Mode { interp, unfused, fused }

    @Parameters(index = "0", paramLabel = "FILE", description = "IR file (.fir)")
    Path file;

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

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public String file() {
        return file.toString();
    }

    @Override
    public Integer call() {
        Graph g = IrParser.parseFile(file);
        Map<String, TensorType> types = ShapeInference.infer(g);
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (workers < 1 || workers > 1024) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be between 1 and 1024, got " + workers);
        }
        Map<String, Path> outFiles = namedFiles(outputs, "--output", g, false);
        Map<String, Path> inFiles = namedFiles(inputs, "--input", g, true);
        Map<String, Tensor> given = new LinkedHashMap<>();
        inFiles.forEach((name, path) -> given.put(name, readNpy(name, path)));
        Map<String, Long> binding = InputBinding.bind(g, Main.dims(spec, dims), given);
        // Every value must fit one array at these dims, not only the inputs: a matmul or a broadcast
        // of small inputs can be far larger, and the interpreter would fail inside.
        for (Node n : g.nodes()) {
            for (String r : n.results()) {
                InputBinding.shapeOf(new Param(r, types.get(r), n.pos()), binding);
            }
        }
        Map<String, Tensor> in = RandomInputs.generate(g, binding, seed, given);

        long start = System.nanoTime();
        Map<String, Tensor> results;
        List<String> statLines = new ArrayList<>();
        if (mode == Mode.interp) {
            results = Interpreter.run(g, in, binding);
        } else {
            Graph target = mode == Mode.fused ? Pipeline.fuse(g) : g;
            KernelCache cache = noCache ? null : new KernelCache(KernelCache.defaultDir());
            CompiledGraph compiled = CompiledGraph.compile(target, Species.preferred(), cache);
            Executor executor = compiled.executor(binding);
            long runStart = System.nanoTime();
            try (Parallel par = new Parallel(workers)) {
                results = compiled.run(executor, in, binding, par);
            }
            double runMs = (System.nanoTime() - runStart) / 1e6;
            if (stats) {
                statLines = Stats.lines(compiled, executor, runMs, workers);
            }
        }
        double ms = (System.nanoTime() - start) / 1e6;

        // Files first: a write that fails is an error, and an error leaves stdout empty.
        for (var e : outFiles.entrySet()) {
            try {
                Npy.write(e.getValue(), results.get(e.getKey()));
            } catch (IOException ex) {
                throw new CompileError(SourcePos.startOf(e.getValue().toString()), "cannot write: " + ex.getMessage());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "graph %s  mode=%s  %s  seed=%d  (%.1f ms)%n", g.name(), mode,
                binding.isEmpty() ? "no dims" : "dims " + new java.util.TreeMap<>(binding), seed, ms);
        for (Param p : g.outputs()) {
            out.println(summary(p, results.get(p.name())));
        }
        statLines.forEach(out::println);
        return 0;
    }

    /** {@code name: f32[4, 4096]  min=... max=... mean=...}. */
    static String summary(Param p, Tensor t) {
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
        String shape = p.type().dtype() + Arrays.toString(t.shape());
        String stats = counted == 0 ? "no finite values"
                : String.format(Locale.ROOT, "min=%.6g  max=%.6g  mean=%.6g", min, max, sum / counted);
        return p.name() + ": " + shape + "  " + stats + (nans > 0 ? "  nan=" + nans : "");
    }

    private Map<String, Path> namedFiles(List<String> flags, String flag, Graph g, boolean isInput) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String f : flags) {
            int eq = f.indexOf('=');
            if (eq <= 0 || eq == f.length() - 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), flag + " expects NAME=FILE.npy, got '" + f + "'");
            }
            String name = f.substring(0, eq);
            Path path = Path.of(f.substring(eq + 1));
            boolean known = isInput ? g.input(name).isPresent() : g.isOutput(name);
            if (!known) {
                List<String> names = (isInput ? g.inputs() : g.outputs()).stream().map(Param::name).toList();
                throw new CompileError(g.pos(), flag + " names '" + name + "', which is not " + (isInput ? "an input" : "an output")
                        + " of graph " + g.name() + " (" + String.join(", ", names) + ")");
            }
            if (!isInput) {
                Path dir = path.toAbsolutePath().getParent();
                if (dir == null || !Files.isDirectory(dir)) {
                    throw new CompileError(SourcePos.startOf(path.toString()), "cannot write: directory " + dir + " does not exist");
                }
                if (Files.isDirectory(path)) {
                    throw new CompileError(SourcePos.startOf(path.toString()), "cannot write: it is a directory");
                }
            }
            if (files.put(name, path) != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), flag + " names '" + name + "' twice");
            }
        }
        return files;
    }

    /** Reads the .npy given for input {@code name}; every error names the file and the input. */
    private static Tensor readNpy(String name, Path path) {
        SourcePos where = SourcePos.startOf(path.toString());
        String input = "input '" + name + "': ";
        try {
            return Npy.read(path);
        } catch (NoSuchFileException e) {
            throw new CompileError(where, input + "no such file");
        } catch (IOException e) {
            throw new CompileError(where, input + "cannot read: " + e.getMessage());
        } catch (Npy.NpyException e) {
            throw new CompileError(where, input + e.getMessage());
        }
    }
}
