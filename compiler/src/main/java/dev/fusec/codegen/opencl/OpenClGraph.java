package dev.fusec.codegen.opencl;

import dev.fusec.codegen.CompiledGraph;
import dev.fusec.interp.InputBinding;
import dev.fusec.ir.DType;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.runtime.Program;
import dev.fusec.runtime.Rounding;
import dev.fusec.runtime.Tensor;
import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.DeviceExecutor;
import dev.fusec.runtime.opencl.DeviceProgram;
import dev.fusec.runtime.opencl.ProgramCache;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph compiled for an OpenCL device: its program generated ({@link OpenClKernels}) and built (or
 * loaded from the binary cache), and, per binding of the symbolic dims, a {@link Bound} executor
 * whose device buffers and kernel objects live as long as it does. The same path serves the unfused
 * graph and the fused one.
 */
public final class OpenClGraph implements AutoCloseable {
    /** Build options: none beyond the defaults (no fast-math: the activations must keep their special values). */
    public static final String OPTIONS = "";

    private final Graph graph;
    private final Map<String, TensorType> types;
    private final OpenClKernels kernels;
    private final DeviceContext ctx;
    private final DeviceContext.Built built;

    private OpenClGraph(Graph graph, OpenClKernels kernels, DeviceContext ctx, DeviceContext.Built built) {
        this.graph = graph;
        this.types = ShapeInference.infer(graph);
        this.kernels = kernels;
        this.ctx = ctx;
        this.built = built;
    }

    /** Generates the program of {@code g} and builds it on {@code ctx}'s device ({@code cache} may be null). */
    public static OpenClGraph compile(Graph g, DeviceContext ctx, ProgramCache cache) {
        return compile(g, ctx, cache, OPTIONS);
    }

    /** As {@link #compile(Graph, DeviceContext, ProgramCache)}, with other build options (the tests' on a CPU device). */
    public static OpenClGraph compile(Graph g, DeviceContext ctx, ProgramCache cache, String options) {
        OpenClKernels k = OpenClKernels.generate(g);
        return new OpenClGraph(g, k, ctx, ctx.build(k.source(), options, cache));
    }

    public Graph graph() {
        return graph;
    }

    public OpenClKernels kernels() {
        return kernels;
    }

    /** How the program was obtained: built from source, or its binary loaded from the cache. */
    public DeviceContext.Built built() {
        return built;
    }

    public DeviceContext context() {
        return ctx;
    }

    /** The device program at one binding: each node's launches, then the rounding of results stored narrower than f32. */
    DeviceProgram deviceProgram(Map<String, Long> binding) {
        Program p = CompiledGraph.program(graph, types, binding, ni -> ni);
        List<List<DeviceProgram.Launch>> launches = new ArrayList<>();
        List<Long> scratch = new ArrayList<>();
        for (Program.Step step : p.steps()) {
            NodePlan plan = kernels.plans().get(step.kernel());
            int[] args = step.args();
            int base = scratch.size();
            scratch.addAll(plan.scratch(binding));
            List<DeviceProgram.Launch> out = new ArrayList<>();
            for (NodePlan.Launch l : plan.launches(binding)) {
                List<DeviceProgram.Arg> a = new ArrayList<>();
                for (NodePlan.Arg arg : l.args()) {
                    a.add(switch (arg) {
                        case NodePlan.Arg.Operand o -> new DeviceProgram.Arg.Value(args[o.index()]);
                        case NodePlan.Arg.Result r -> new DeviceProgram.Arg.Value(args[step.operandCount() + r.index()]);
                        case NodePlan.Arg.Scratch s -> new DeviceProgram.Arg.Scratch(base + s.index());
                    });
                }
                for (int s : p.sym()) {
                    a.add(new DeviceProgram.Arg.Int(s));
                }
                out.add(new DeviceProgram.Launch(l.kernel(), a, l.global(), l.local()));
            }
            for (int i = step.operandCount(); i < args.length; i++) {
                Program.Value v = p.values().get(args[i]);
                if (v.rounding() != null) {
                    out.add(new DeviceProgram.Launch(OpenClKernels.roundingKernel(v.rounding()),
                            List.of(new DeviceProgram.Arg.Value(args[i]), new DeviceProgram.Arg.Int(v.size())),
                            new long[] {NodePlan.roundUp(v.size(), ClElementwise.GROUP)}, new long[] {ClElementwise.GROUP}));
                }
            }
            launches.add(out);
        }
        return new DeviceProgram(p, launches, scratch.stream().mapToLong(Long::longValue).toArray());
    }

    /** An executor for one binding: device buffers allocated and kernels set up now, kept until closed. */
    public Bound executor(Map<String, Long> binding) {
        return new Bound(new DeviceExecutor(ctx, built.program(), deviceProgram(binding)), binding);
    }

    /**
     * A {@link DeviceExecutor} with the graph's input conventions: inputs stored narrower than f32
     * are rounded on the host before upload (a weight once per array it comes in), and inputs with
     * only static dims (weights) are uploaded once while the same arrays are passed.
     */
    public final class Bound implements AutoCloseable {
        private final DeviceExecutor ex;
        private final Map<String, Long> binding;
        private final boolean[] fixed;
        private final float[][] roundedFrom;
        private final float[][] rounded;

        private Bound(DeviceExecutor ex, Map<String, Long> binding) {
            this.ex = ex;
            this.binding = Map.copyOf(binding);
            int n = graph.inputs().size();
            this.fixed = new boolean[n];
            for (int i = 0; i < n; i++) {
                fixed[i] = graph.inputs().get(i).type().shape().dims().stream().allMatch(Dim::isStatic);
            }
            this.roundedFrom = new float[n][];
            this.rounded = new float[n][];
        }

        public DeviceExecutor executor() {
            return ex;
        }

        /**
         * Takes every input as fixed from now on: uploaded once and not again while the same arrays are
         * passed (a benchmark whose inputs never change between runs).
         */
        public Bound allInputsFixed() {
            java.util.Arrays.fill(fixed, true);
            return this;
        }

        /** Runs once and returns the outputs by name (copies, the caller's to keep); null outputs when {@code readBack} is false. */
        public Map<String, Tensor> run(Map<String, Tensor> inputs, boolean readBack) {
            float[][] in = new float[graph.inputs().size()][];
            for (int i = 0; i < in.length; i++) {
                Param p = graph.inputs().get(i);
                float[] d = inputs.get(p.name()).data();
                if (p.type().dtype() != DType.F32) {
                    if (!fixed[i] || roundedFrom[i] != d) {
                        float[] copy = d.clone();
                        Rounding.inPlace(copy, copy.length, p.type().dtype().toString());
                        roundedFrom[i] = d;
                        rounded[i] = copy;
                    }
                    d = rounded[i];
                }
                in[i] = d;
            }
            float[][] out = ex.run(in, fixed, readBack);
            if (!readBack) {
                return null;
            }
            Map<String, Tensor> result = new LinkedHashMap<>();
            for (int i = 0; i < out.length; i++) {
                Param p = graph.outputs().get(i);
                result.put(p.name(), new Tensor(types.get(p.name()).shape().evaluate(binding).orElseThrow(), out[i].clone()));
            }
            return result;
        }

        public Map<String, Long> binding() {
            return binding;
        }

        @Override
        public void close() {
            ex.close();
        }
    }

    /** Runs {@code g} once on a fresh executor: binds the dims from the inputs (and {@code dims}), runs, closes. */
    public Map<String, Tensor> runOnce(Map<String, Tensor> inputs, Map<String, Long> dims) {
        Map<String, Long> binding = InputBinding.bind(graph, dims, inputs);
        try (Bound b = executor(binding)) {
            return b.run(inputs, true);
        }
    }

    @Override
    public void close() {
        ctx.releaseProgram(built.program());
    }

    MemorySegment program() {
        return built.program();
    }
}
