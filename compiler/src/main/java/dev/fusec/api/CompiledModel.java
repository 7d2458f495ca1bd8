package dev.fusec.api;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.codegen.Species;
import dev.fusec.codegen.opencl.OpenClModel;
import dev.fusec.interp.InputBinding;
import dev.fusec.interp.Interpreter;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Param;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.KernelCompiler;
import dev.fusec.runtime.KernelSource;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Program;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A graph compiled for one {@link Mode}, ready to run many times from any number of threads.
 *
 * <p>Each run borrows an executor for its dims (buffers planned by liveness, weights packed on
 * first use and kept while the same arrays are passed) and a pool of worker threads; concurrent runs
 * get their own, so they never wait on each other. Up to {@value #KEPT_BINDINGS} distinct bindings of
 * the dims keep their executors; a server that sees many token counts pays a re-pack of the weights
 * for the others. {@link #close()} stops the worker threads.
 */
public final class CompiledModel implements AutoCloseable {
    static final int KEPT_BINDINGS = 8;

    private final FusecGraph graph;
    private final Mode mode;
    private final CompileOptions options;
    private final CompiledGraph compiled;
    /** The device program on {@link Backend#OPENCL} (then {@code compiled} is null), and this model's executors on it. */
    private final OpenClModel device;
    private final OpenClModel.Executors deviceRuns;
    private final Map<String, Tensor> weights;
    private final Map<String, dev.fusec.runtime.Tensor> weightTensors;
    /** Executors not in use, by binding, least recently used first. */
    private final LinkedHashMap<Map<String, Long>, ArrayDeque<Executor>> idle = new LinkedHashMap<>(16, 0.75f, true);
    private final ConcurrentLinkedDeque<Parallel> pools = new ConcurrentLinkedDeque<>();
    /** Bindings whose every value was checked to fit an array. */
    private final Set<Map<String, Long>> checked = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private CompiledModel(FusecGraph graph, Mode mode, CompileOptions options, CompiledGraph compiled, OpenClModel device,
                          Map<String, Tensor> weights) {
        this.graph = graph;
        this.mode = mode;
        this.options = options;
        this.compiled = compiled;
        this.device = device;
        this.deviceRuns = device == null ? null : device.new Executors(KEPT_BINDINGS);
        this.weights = Map.copyOf(weights);
        this.weightTensors = unwrap(graph.graph(), weights);
    }

    static CompiledModel compile(FusecGraph source, Mode mode, CompileOptions options) {
        FusecGraph target = mode == Mode.FUSED ? FusecGraph.of(Pipeline.fuse(source.graph())) : source;
        boolean onDevice = mode != Mode.INTERP && options.backend() == Backend.OPENCL;
        CompiledGraph compiled = mode == Mode.INTERP || onDevice ? null : CompiledGraph.compile(target.graph(), Species.preferred(),
                options.kernelCache().map(KernelCache::new).orElse(null));
        OpenClModel device = onDevice ? OpenClModel.open(target.graph(), options.device().orElse(null), options.kernelCache()) : null;
        return new CompiledModel(target, mode, options, compiled, device, Map.of());
    }

    /** The graph this model runs: the fused graph for {@link Mode#FUSED}. */
    public FusecGraph graph() {
        return graph;
    }

    public Mode mode() {
        return mode;
    }

    public CompileOptions options() {
        return options;
    }

    /**
     * This model with {@code weights} bound to inputs of the graph by name (they need not be given to
     * {@link #run} again). It shares the kernels, with executors and worker threads of its own.
     */
    public CompiledModel withWeights(Map<String, Tensor> weights) {
        Map<String, Tensor> all = new HashMap<>(this.weights);
        all.putAll(weights);
        return FusecException.translate(() -> new CompiledModel(graph, mode, options, compiled,
                device == null ? null : device.retain(), all));
    }

    /** Runs on {@code inputs} (by input name; bound weights need not be repeated), dims read off their shapes. */
    public Outputs run(Map<String, Tensor> inputs) {
        return run(inputs, Map.of());
    }

    /** As {@link #run(Map)}, with dims the input shapes cannot give (a symbol used only in {@code S*B}). */
    public Outputs run(Map<String, Tensor> inputs, Map<String, Long> dims) {
        if (closed) {
            throw new IllegalStateException("this CompiledModel is closed");
        }
        return FusecException.translate(() -> execute(inputs, dims));
    }

    private Outputs execute(Map<String, Tensor> inputs, Map<String, Long> dims) {
        Graph g = graph.graph();
        Map<String, dev.fusec.runtime.Tensor> in = new LinkedHashMap<>(weightTensors);
        unwrap(g, inputs).forEach((name, t) -> {
            if (weightTensors.containsKey(name)) {
                throw new CompileError(g.pos(), "input '" + name + "' is bound as a weight of this model; it cannot be given again");
            }
            in.put(name, t);
        });
        TreeSet<String> missing = new TreeSet<>();
        g.inputs().forEach(p -> { if (!in.containsKey(p.name())) missing.add(p.name()); });
        if (!missing.isEmpty()) {
            throw new CompileError(g.pos(), "graph " + g.name() + " needs input(s) " + String.join(", ", missing));
        }
        Map<String, Long> binding = Map.copyOf(InputBinding.bind(g, dims, in));
        if (!checked.contains(binding)) {
            // Every value must fit one array at these dims, not only the inputs: a matmul or broadcast
            // of small inputs can be far larger.
            Map<String, dev.fusec.ir.TensorType> types = graph.types();
            for (Node n : g.nodes()) {
                for (String r : n.results()) {
                    InputBinding.shapeOf(new Param(r, types.get(r), n.pos()), binding);
                }
            }
            checked.add(binding);
        }
        long t0 = System.nanoTime();
        if (device != null) {
            return deviceRuns.with(binding, b -> {
                b.executor().resetTimes();
                long start = System.nanoTime();
                Map<String, dev.fusec.runtime.Tensor> out = b.run(in, true);
                double ms = (System.nanoTime() - start) / 1e6;
                return new Outputs(wrapAll(out), binding, ms, steps(b.executor().stepNanos(), b.executor().program()),
                        memory(b.executor().program(), b.executor().plan()));
            });
        }
        if (compiled == null) {
            Map<String, dev.fusec.runtime.Tensor> out = Interpreter.run(g, in, binding);
            return new Outputs(wrapAll(out), binding, (System.nanoTime() - t0) / 1e6, List.of(), null);
        }
        Executor ex = borrow(binding);
        Parallel par = pools.pollFirst();
        if (par == null) {
            par = new Parallel(options.threads());
        }
        try {
            ex.resetTimes();
            t0 = System.nanoTime();
            Map<String, dev.fusec.runtime.Tensor> out = compiled.run(ex, in, binding, par);
            double ms = (System.nanoTime() - t0) / 1e6;
            Map<String, Tensor> copies = new LinkedHashMap<>();
            // The executor's output arrays are overwritten by its next run: the caller gets copies.
            out.forEach((name, t) -> copies.put(name, Tensor.wrap(new dev.fusec.runtime.Tensor(t.shape(), t.data().clone()))));
            return new Outputs(copies, binding, ms, steps(ex.stepNanos(), ex.program()), memory(ex.program(), ex.plan()));
        } finally {
            giveBack(binding, ex);
            if (closed) {
                par.close();
            } else {
                pools.addFirst(par);
            }
        }
    }

    private Executor borrow(Map<String, Long> binding) {
        synchronized (idle) {
            ArrayDeque<Executor> q = idle.get(binding);
            if (q != null && !q.isEmpty()) {
                return q.pop();
            }
        }
        return compiled.executor(binding);
    }

    private void giveBack(Map<String, Long> binding, Executor ex) {
        synchronized (idle) {
            idle.computeIfAbsent(binding, b -> new ArrayDeque<>()).push(ex);
            while (idle.size() > KEPT_BINDINGS) {
                idle.pollFirstEntry();
            }
        }
    }

    private static List<Outputs.Step> steps(long[] nanos, Program program) {
        List<Program.Step> steps = program.steps();
        Outputs.Step[] out = new Outputs.Step[steps.size()];
        for (int i = 0; i < out.length; i++) {
            Program.Step s = steps.get(i);
            out[i] = new Outputs.Step(s.label(), nanos[i], s.bytes(), s.flops());
        }
        return Arrays.asList(out);
    }

    private static Outputs.Memory memory(Program program, dev.fusec.runtime.LivenessPlanner.Plan plan) {
        long inputs = 0;
        long outputs = 0;
        for (Program.Value v : program.values()) {
            switch (v.kind()) {
                case INPUT -> inputs += 4L * v.size();
                case OUTPUT -> outputs += 4L * v.size();
                case INTERMEDIATE, VIEW -> { }
            }
        }
        return new Outputs.Memory(plan.pooledBytes(), plan.slotSizes().length, inputs, outputs);
    }

    /** How the kernels were obtained; empty kernels for {@link Mode#INTERP}. */
    public KernelInfo kernels() {
        if (device != null) {
            var built = device.compiled().built();
            return new KernelInfo(device.compiled().kernels().kernelCount(), built.fromCache(), built.buildMillis(), 0, built.cacheKey(),
                    Map.of(graph.name() + ".cl", device.compiled().kernels().source()));
        }
        if (compiled == null) {
            return new KernelInfo(0, false, 0, 0, "", Map.of());
        }
        KernelCompiler.Loaded l = compiled.loaded();
        Map<String, String> sources = new LinkedHashMap<>();
        for (KernelSource s : compiled.kernels().sources()) {
            sources.put(s.className(), s.source());
        }
        return new KernelInfo(l.kernels().size(), l.cacheHit(), l.compileMs(), l.loadMs(), l.cacheKey(), sources);
    }

    /**
     * The generated kernels: how many, whether they came from the on-disk cache, javac's and the
     * loader's time, the cache key, and each kernel's Java source by class name. On
     * {@link Backend#OPENCL}: the kernel functions of the one program, its build time (or the load of
     * its cached binary), and its OpenCL C source under {@code GRAPH.cl}.
     */
    public record KernelInfo(int count, boolean fromCache, double compileMillis, double loadMillis, String cacheKey,
                             Map<String, String> sources) {
        public KernelInfo {
            sources = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        }
    }

    /** Stops this model's worker threads (on OpenCL: frees its device buffers); runs in flight finish first. */
    @Override
    public void close() {
        if (device != null && !closed) {
            deviceRuns.close();
            device.release();
        }
        closed = true;
        Parallel p;
        while ((p = pools.pollFirst()) != null) {
            p.close();
        }
        synchronized (idle) {
            idle.clear();
        }
    }

    /** The internal tensors of {@code given}; a name that is no input of {@code g} is an error that lists them. */
    static Map<String, dev.fusec.runtime.Tensor> unwrap(Graph g, Map<String, Tensor> given) {
        Map<String, dev.fusec.runtime.Tensor> out = new LinkedHashMap<>();
        given.forEach((name, t) -> {
            if (g.input(name).isEmpty()) {
                throw new CompileError(g.pos(), "'" + name + "' is not an input of graph " + g.name() + " ("
                        + String.join(", ", g.inputs().stream().map(Param::name).toList()) + ")");
            }
            out.put(name, t.internal());
        });
        return out;
    }

    private static Map<String, Tensor> wrapAll(Map<String, dev.fusec.runtime.Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, Tensor.wrap(v)));
        return out;
    }
}
