package dev.fusec.codegen;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.runtime.KernelSource;
import java.util.ArrayList;
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

    /** One node's kernel, or none for a reshape. */
    public record Generated(Node node, KernelSource source) {}

    /** The graph's symbols in the order kernels read them from {@code sym[]}. */
    public static List<String> symbols(Map<String, TensorType> types) {
        TreeSet<String> syms = new TreeSet<>();
        types.values().forEach(t -> t.shape().dims().forEach(d -> syms.addAll(d.symbols())));
        return List.copyOf(syms);
    }

    public static List<Generated> generate(Graph g, Species species) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        Extents ext = new Extents(symbols(types));
        List<Generated> out = new ArrayList<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            if (n.op() instanceof Op.Reshape) {
                out.add(new Generated(n, null));
                continue;
            }
            Gen gen = new Gen(n, types, ext, species, g.name(), "K" + i + "_" + n.op().opName());
            try {
                out.add(new Generated(n, kernel(gen)));
            } catch (IllegalStateException symbolicWeight) {
                throw new CompileError(n.pos(), n.op().opName() + ": code generation needs static weight and feature dims: "
                        + symbolicWeight.getMessage());
            }
        }
        return out;
    }

    private static KernelSource kernel(Gen g) {
        return switch (g.node().op()) {
            case Op.MatMul m -> MatMulKernels.generate(g);
            case Op.Linear l -> MatMulKernels.generate(g);
            case Op.GateUp gu -> MatMulKernels.generate(g);
            case Op.GateUpSwiGlu gu -> MatMulKernels.generate(g);
            case Op.Binary b -> ElementwiseKernels.binary(g);
            case Op.Unary u -> ElementwiseKernels.unary(g);
            case Op.Clamp c -> ElementwiseKernels.unary(g);
            case Op.Split s -> LayoutKernels.split(g);
            case Op.Concat c -> LayoutKernels.concat(g);
            case Op.Transpose t -> LayoutKernels.transpose(g);
            case Op.Reshape r -> throw new IllegalStateException("reshape has no kernel");
            case Op.SwiGlu s -> SwiGluKernels.forward(g);
            case Op.BiasSwiGlu s -> SwiGluKernels.forward(g);
            case Op.WeightedSwiGlu s -> SwiGluKernels.forward(g);
            case Op.WeightedBiasSwiGlu s -> SwiGluKernels.forward(g);
            case Op.SwiGluBack s -> SwiGluKernels.backward(g);
            case Op.BiasSwiGluBack s -> SwiGluKernels.backward(g);
            case Op.WeightedSwiGluBack s -> SwiGluKernels.backward(g);
        };
    }
}
