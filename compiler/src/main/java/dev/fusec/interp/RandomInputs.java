package dev.fusec.interp;

import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Param;
import dev.fusec.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random inputs: uniform in [-1, 1), rounded to each input's dtype. An input read as the
 * weight of a matmul is scaled by 1/sqrt(fan-in), as model initialisers do, so activations stay near
 * 1 and SiLU and GELU are exercised where they curve. An input's values depend only on the seed and its name,
 * so a graph and its fused form see the same data.
 */
public final class RandomInputs {
    private RandomInputs() {}

    public static Map<String, Tensor> generate(Graph g, Map<String, Long> binding, long seed, Map<String, Tensor> given) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Param p : g.inputs()) {
            Tensor t = given.get(p.name());
            if (t == null) {
                t = Tensor.zeros(InputBinding.shapeOf(p, binding));
                SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ p.name().hashCode());
                float[] d = t.data();
                double scale = weightScale(g, p.name(), t);
                for (int i = 0; i < d.length; i++) {
                    d[i] = p.type().dtype().round((float) ((rng.nextDouble() * 2 - 1) * scale));
                }
            }
            out.put(p.name(), t);
        }
        return out;
    }

    /** 1/sqrt(K) when {@code name} is the weight operand of a matmul-like op, else 1. */
    private static double weightScale(Graph g, String name, Tensor t) {
        for (Node n : g.nodes()) {
            // Which operands are weights, and whether stored [N, K]: every op listed.
            Boolean transposed = switch (n.op()) {
                case Op.MatMul m -> m.b().equals(name) ? m.transposeB() : null;
                case Op.Linear l -> l.w().equals(name) ? true : null;
                case Op.GateUp gu -> gu.wGate().equals(name) || gu.wUp().equals(name) ? gu.transposeB() : null;
                case Op.GateUpSwiGlu gu -> gu.wGate().equals(name) || gu.wUp().equals(name) ? gu.transposeB() : null;
                case Op.Binary _, Op.Unary _, Op.Swish _, Op.Const _, Op.Clamp _, Op.Split _, Op.Concat _, Op.Reshape _, Op.Transpose _, Op.SwiGlu _,
                     Op.BiasSwiGlu _, Op.WeightedSwiGlu _, Op.WeightedBiasSwiGlu _, Op.SwiGluBack _, Op.BiasSwiGluBack _,
                     Op.WeightedSwiGluBack _ -> null;
            };
            if (transposed != null && t.rank() == 2) {
                return 1 / Math.sqrt(Math.max(1, transposed ? t.dim(1) : t.dim(0)));
            }
        }
        return 1;
    }
}
