package dev.fusec.codegen;

import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.ir.TensorType;
import java.util.Map;

/**
 * FLOPs and bytes of one node, counted from shapes: a [M, K] x [K, N] product is 2*M*K*N FLOPs;
 * an elementwise or SwiGLU op is memory-bound and counted by elements; bytes are every operand read
 * once plus every result written once, at 4 bytes per element (f32 storage).
 */
public final class Cost {
    private Cost() {}

    public static long flops(Node n, Map<String, TensorType> types, Map<String, Long> binding) {
        return switch (n.op()) {
            case Op.MatMul m -> matmul(types.get(m.a()).shape(), types.get(m.b()).shape(), m.transposeB(), 1, binding);
            case Op.Linear l -> matmul(types.get(l.x()).shape(), types.get(l.w()).shape(), true, 1, binding);
            case Op.GateUp g -> matmul(types.get(g.x()).shape(), types.get(g.wGate()).shape(), g.transposeB(), 2, binding);
            case Op.GateUpSwiGlu g -> matmul(types.get(g.x()).shape(), types.get(g.wGate()).shape(), g.transposeB(), 2, binding);
            case Op.Reshape r -> 0;
            case Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Transpose _, Op.SwiGlu _, Op.BiasSwiGlu _,
                 Op.WeightedSwiGlu _, Op.WeightedBiasSwiGlu _, Op.SwiGluBack _, Op.BiasSwiGluBack _, Op.WeightedSwiGluBack _ ->
                    n.results().stream().mapToLong(r -> count(types.get(r).shape(), binding)).sum();
        };
    }

    public static long bytes(Node n, Map<String, TensorType> types, Map<String, Long> binding) {
        if (n.op() instanceof Op.Reshape) {
            return 0;
        }
        long elements = 0;
        for (String o : n.op().operands()) {
            elements += count(types.get(o).shape(), binding);
        }
        for (String r : n.results()) {
            elements += count(types.get(r).shape(), binding);
        }
        return elements * Float.BYTES;
    }

    static long count(Shape s, Map<String, Long> binding) {
        long c = 1;
        for (var d : s.dims()) {
            c *= d.evaluate(binding).orElseThrow();
        }
        return c;
    }

    private static long matmul(Shape a, Shape w, boolean transposed, int weights, Map<String, Long> binding) {
        long k = a.last().evaluate(binding).orElseThrow();
        long m = count(a, binding) / Math.max(k, 1);
        long n = (transposed ? w.dim(0) : w.dim(1)).evaluate(binding).orElseThrow();
        return 2L * m * k * n * weights;
    }
}
