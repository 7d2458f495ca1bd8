package dev.fusec.codegen;

import dev.fusec.interp.InputBinding;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.DType;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.KernelCompiler;
import dev.fusec.runtime.Program;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;

/**
 * A graph turned into loaded kernels: generate every kernel's source, compile them in one javac task
 * (or load them from the cache), and, per binding of the symbolic dims, lay out a {@link Program} the
 * runtime executes. The same path serves the unfused graph and the fused one.
 */
public final class CompiledGraph {
    private final Graph graph;
    private final Map<String, TensorType> types;
    private final KernelGenerator.Kernels kernels;
    private final KernelCompiler.Loaded loaded;

    private CompiledGraph(Graph graph, KernelGenerator.Kernels kernels, KernelCompiler.Loaded loaded) {
        this.graph = graph;
        this.types = ShapeInference.infer(graph);
        this.kernels = kernels;
        this.loaded = loaded;
    }

    /** Generates, compiles (or loads from {@code cache}, which may be null) and loads every kernel of {@code g}. */
    public static CompiledGraph compile(Graph g, Species species, KernelCache cache) {
        KernelGenerator.Kernels k = KernelGenerator.generate(g, species);
        return new CompiledGraph(g, k, KernelCompiler.load(k.sources(), species.toString(), cache));
    }

    public Graph graph() {
        return graph;
    }

    public KernelCompiler.Loaded loaded() {
        return loaded;
    }

    /** The executable program for one binding of the symbolic dims. */
    public Executor executor(Map<String, Long> binding) {
        return new Executor(program(graph, types, binding, ni -> kernels.kernelOf()[ni]), loaded.kernels());
    }

    /**
     * The {@link Program} of {@code graph} (its inferred {@code types}) at {@code binding}: its values with concrete sizes, and one
     * step per node that {@code kernelOfNode} gives a kernel (reshapes get none: their results are
     * views). The Java executor and the OpenCL one run the same programs.
     */
    public static Program program(Graph graph, Map<String, TensorType> types, Map<String, Long> binding,
                                  IntUnaryOperator kernelOfNode) {
        List<String> symbols = KernelGenerator.symbols(types);
        int[] sym = new int[symbols.size()];
        for (int i = 0; i < sym.length; i++) {
            sym[i] = (int) (long) binding.get(symbols.get(i));
        }
        Map<String, Integer> id = new HashMap<>();
        List<Program.Value> values = new ArrayList<>();
        for (Param p : graph.inputs()) {
            id.put(p.name(), values.size());
            values.add(new Program.Value(p.name(), size(graph, types, p.name(), binding, p), Program.Kind.INPUT, -1, null));
        }
        List<Program.Step> steps = new ArrayList<>();
        for (int ni = 0; ni < graph.nodes().size(); ni++) {
            Node n = graph.nodes().get(ni);
            for (String r : n.results()) {
                TensorType t = types.get(r);
                int size = size(graph, types, r, binding, null);
                Program.Kind kind = graph.isOutput(r) ? Program.Kind.OUTPUT : Program.Kind.INTERMEDIATE;
                String rounding = t.dtype() == DType.F32 ? null : t.dtype().toString();
                if (n.op() instanceof Op.Reshape re) {
                    values.add(new Program.Value(r, size, Program.Kind.VIEW, id.get(re.x()), null));
                } else {
                    values.add(new Program.Value(r, size, kind, -1, rounding));
                }
                id.put(r, values.size() - 1);
            }
            int kernel = n.op() instanceof Op.Reshape ? -1 : kernelOfNode.applyAsInt(ni);
            if (kernel >= 0) {
                List<Integer> args = new ArrayList<>();
                n.op().operands().forEach(o -> args.add(id.get(o)));
                n.results().forEach(r -> args.add(id.get(r)));
                steps.add(new Program.Step(n.op().opName() + " " + String.join(",", n.results()) + " @" + n.pos().lineCol(),
                        kernel, args.stream().mapToInt(Integer::intValue).toArray(), n.op().operands().size(),
                        Cost.flops(n, types, binding), Cost.bytes(n, types, binding)));
            }
        }
        int[] inputs = graph.inputs().stream().mapToInt(p -> id.get(p.name())).toArray();
        int[] outputs = graph.outputs().stream().mapToInt(p -> id.get(p.name())).toArray();
        return new Program(values, steps, inputs, outputs, sym);
    }

    private static int size(Graph graph, Map<String, TensorType> types, String value, Map<String, Long> binding, Param declared) {
        Optional<int[]> s = types.get(value).shape().evaluate(binding);
        long n = s.map(Tensor::elementCount).orElse(Long.MAX_VALUE);
        if (n > InputBinding.MAX_ELEMENTS) {
            throw new CompileError(declared != null ? declared.pos() : graph.pos(), "value '" + value + "' of type "
                    + types.get(value) + " is too large at " + new java.util.TreeMap<>(binding));
        }
        return (int) n;
    }

    /** Runs the graph once: binds dims from the inputs, executes, and returns the outputs by name. */
    public Map<String, Tensor> run(Executor ex, Map<String, Tensor> inputs, dev.fusec.runtime.Parallel par) {
        return run(ex, inputs, Map.of(), par);
    }

    /** As {@link #run(Executor, Map, dev.fusec.runtime.Parallel)}, with dims the inputs' shapes cannot give (S*B). */
    public Map<String, Tensor> run(Executor ex, Map<String, Tensor> inputs, Map<String, Long> dims,
                                   dev.fusec.runtime.Parallel par) {
        float[][] in = new float[graph.inputs().size()][];
        dev.fusec.runtime.StoredTensor[] stored = new dev.fusec.runtime.StoredTensor[in.length];
        for (int i = 0; i < in.length; i++) {
            Param p = graph.inputs().get(i);
            Tensor t = inputs.get(p.name());
            var st = t.stored().filter(s -> storedAs(p.type().dtype(), s.dtype()));
            if (st.isPresent()) {
                // A checkpoint's weight in the declared dtype: packed in place by the kernels that only
                // pack it, else widened once (its values are on the dtype's grid: nothing to round).
                if (ex.preparedOnly(i)) {
                    stored[i] = st.get();
                } else {
                    in[i] = t.data();
                }
                continue;
            }
            float[] d = t.data();
            if (p.type().dtype() != DType.F32) {
                if (p.type().shape().dims().stream().allMatch(Dim::isStatic)) {
                    // A weight: rounded once per array it comes in, so its packed form is reused too.
                    d = ex.roundedOnce(i, d, p.type().dtype().toString());
                } else {
                    // An activation: rounded on every run, since a caller may refill the same array.
                    d = d.clone();
                    for (int j = 0; j < d.length; j++) {
                        d[j] = p.type().dtype().round(d[j]);
                    }
                }
            }
            in[i] = d;
        }
        float[][] out = ex.run(in, stored, par);
        Map<String, Long> binding = InputBinding.bind(graph, dims, inputs);
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (int i = 0; i < out.length; i++) {
            Param p = graph.outputs().get(i);
            result.put(p.name(), new Tensor(types.get(p.name()).shape().evaluate(binding).orElseThrow(), out[i]));
        }
        return result;
    }

    /** Whether a checkpoint's {@code stored} elements are values of {@code declared} as they are. */
    static boolean storedAs(DType declared, dev.fusec.runtime.SafeTensors.DType stored) {
        return switch (declared) {
            case F32 -> stored == dev.fusec.runtime.SafeTensors.DType.F32;
            case BF16 -> stored == dev.fusec.runtime.SafeTensors.DType.BF16;
            case F16 -> stored == dev.fusec.runtime.SafeTensors.DType.F16;
            case F8E4M3 -> false;
        };
    }

    /** The generated kernel sources and which node uses which. */
    public KernelGenerator.Kernels kernels() {
        return kernels;
    }
}
