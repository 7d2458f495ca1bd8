package dev.fusec.codegen;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.runtime.KernelSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Writes one Java kernel class per node of a graph (reshape needs none: it is a view). Class names
 * are {@code K<index>_<op>}, from the fixed op vocabulary; names from the IR appear only in comments,
 * where the grammar limits them to identifiers.
 */
public final class KernelGenerator {
    private KernelGenerator() {}

    /**
     * The kernels of a graph: one class per distinct computation (nodes with the same op, attributes
     * and operand types share a class, so javac and the JIT see it once), and for each node the index
     * of its kernel, or -1 for a reshape.
     */
    public record Kernels(List<KernelSource> sources, List<Node> nodes, int[] kernelOf) {}

    /** The graph's symbols in the order kernels read them from {@code sym[]}. */
    public static List<String> symbols(Map<String, TensorType> types) {
        TreeSet<String> syms = new TreeSet<>();
        types.values().forEach(t -> t.shape().dims().forEach(d -> syms.addAll(d.symbols())));
        return List.copyOf(syms);
    }

    public static Kernels generate(Graph g, Species species) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        Extents ext = new Extents(symbols(types));
        Map<String, List<Node>> groups = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.Reshape)) {
                groups.computeIfAbsent(signature(n, types), k -> new ArrayList<>()).add(n);
            }
        }
        List<KernelSource> sources = new ArrayList<>();
        Map<String, Integer> indexOf = new HashMap<>();
        for (var e : groups.entrySet()) {
            Node first = e.getValue().get(0);
            Gen gen = new Gen(first, e.getValue(), types, ext, species, g.name(), "K" + sources.size() + "_" + first.op().opName());
            try {
                sources.add(kernel(gen));
            } catch (IllegalStateException symbolicWeight) {
                throw new CompileError(first.pos(), first.op().opName() + ": code generation needs static weight and feature dims: "
                        + symbolicWeight.getMessage());
            }
            indexOf.put(e.getKey(), sources.size() - 1);
        }
        int[] kernelOf = new int[g.nodes().size()];
        for (int i = 0; i < kernelOf.length; i++) {
            Node n = g.nodes().get(i);
            kernelOf[i] = n.op() instanceof Op.Reshape ? -1 : indexOf.get(signature(n, types));
        }
        return new Kernels(sources, g.nodes(), kernelOf);
    }

    /**
     * What a kernel depends on: the op with its operands numbered, and every operand and result type.
     * Nodes with the same signature share a kernel (the OpenCL target groups them the same way).
     */
    public static String signature(Node n, Map<String, TensorType> types) {
        List<String> placeholders = new ArrayList<>();
        for (int i = 0; i < n.op().operands().size(); i++) {
            placeholders.add("v" + i);
        }
        StringBuilder sb = new StringBuilder(n.op().withOperands(placeholders).toString());
        n.op().operands().forEach(o -> sb.append('|').append(types.get(o)));
        n.results().forEach(r -> sb.append("|->").append(types.get(r)));
        return sb.toString();
    }

    private static KernelSource kernel(Gen g) {
        return switch (g.node().op()) {
            case Op.MatMul m -> MatMulKernels.generate(g, m);
            case Op.Linear l -> MatMulKernels.generate(g, l);
            case Op.GateUp gu -> MatMulKernels.generate(g, gu);
            case Op.GateUpSwiGlu gu -> MatMulKernels.generate(g, gu);
            case Op.Binary b -> ElementwiseKernels.binary(g, b);
            case Op.Unary u -> ElementwiseKernels.unary(g, u);
            case Op.Swish w -> ElementwiseKernels.swish(g, w);
            case Op.Const c -> ElementwiseKernels.constant(g, c);
            case Op.Clamp c -> ElementwiseKernels.clamp(g, c);
            case Op.Split s -> LayoutKernels.split(g);
            case Op.Concat c -> LayoutKernels.concat(g);
            case Op.Transpose t -> LayoutKernels.transpose(g);
            case Op.Reshape r -> throw new IllegalStateException("reshape has no kernel");
            case Op.SwiGlu s -> SwiGluKernels.forward(g, s);
            case Op.BiasSwiGlu s -> SwiGluKernels.forward(g, s);
            case Op.WeightedSwiGlu s -> SwiGluKernels.forward(g, s);
            case Op.WeightedBiasSwiGlu s -> SwiGluKernels.forward(g, s);
            case Op.SwiGluBack s -> SwiGluKernels.backward(g, s);
            case Op.BiasSwiGluBack s -> SwiGluKernels.backward(g, s);
            case Op.WeightedSwiGluBack s -> SwiGluKernels.backward(g, s);
        };
    }
}
