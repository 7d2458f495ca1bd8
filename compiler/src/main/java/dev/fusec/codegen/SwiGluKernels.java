package dev.fusec.codegen;

import dev.fusec.ir.Glu;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.runtime.KernelSource;

/**
 * The SwiGLU family. Forward ops make one pass: each row of y [.., 2I] is read once (gate and up
 * vectors at the layout's offsets; interleaved pairs split apart with two lane shuffles), the bias
 * added, the limit applied, silu(gate) * up (* the row's weight) computed in registers, and the row of
 * the result written once. Backward ops are straight scalar loops over the same indexing, with db and
 * dw summed in double.
 */
final class SwiGluKernels {
    private SwiGluKernels() {}

    private record Parts(String y, String bias, String weights, Glu glu) {}

    static KernelSource forward(Gen g) {
        Parts p = switch (g.node().op()) {
            case Op.SwiGlu s -> new Parts(s.y(), null, null, s.glu());
            case Op.BiasSwiGlu s -> new Parts(s.y(), s.bias(), null, s.glu());
            case Op.WeightedSwiGlu s -> new Parts(s.y(), null, s.weights(), s.glu());
            case Op.WeightedBiasSwiGlu s -> new Parts(s.y(), s.bias(), s.weights(), s.glu());
            default -> throw new IllegalArgumentException("not a SwiGLU: " + g.node().op().opName());
        };
        Shape y = g.shapeOf(p.y());
        int width = (int) y.last().value();
        int half = width / 2;
        Layout layout = p.glu().layout();
        KernelClass k = g.start("split the rows of y [.., " + width + "] across threads",
                "per row: " + (layout == Layout.INTERLEAVED
                        ? "load two vectors of (gate, up) pairs and separate them with lane shuffles"
                        : "load the gate vector at offset " + layout.gateIndex(0, half) + " and up at " + layout.upIndex(0, half))
                        + (p.bias() != null ? ", add the bias" : "")
                        + (p.glu().limit().isPresent() ? ", clamp (gate <= limit, |up| <= limit)" : "")
                        + ", h = silu(gate) * up" + (p.weights() != null ? " * w[row]" : "") + ", store h; scalar code for the tail");
        k.constant("W", Integer.toString(width)).constant("I", Integer.toString(half));
        p.glu().limit().ifPresent(l -> k.constant("LIMIT", ElementwiseKernels.floatLit(l)));
        String rows = g.ext().product(y, 0, y.rank() - 1);
        int bias = p.bias() == null ? -1 : g.node().op().operands().indexOf(p.bias());
        int weights = p.weights() == null ? -1 : g.node().op().operands().indexOf(p.weights());
        String out = "args[" + g.node().op().operands().size() + "]";
        k.run("final int rows = " + rows + ";\n"
                + "final float[] y = args[0];\n"
                + "final float[] bias = " + (bias < 0 ? "null" : "args[" + bias + "]") + ";\n"
                + "final float[] w = " + (weights < 0 ? "null" : "args[" + weights + "]") + ";\n"
                + "final float[] out = " + out + ";\n"
                + "par.forRange(rows, Math.max(1, 8192 / I), (q0, q1) -> apply(y, bias, w, out, q0, q1));\n");

        String clampV = p.glu().limit().isPresent() ? "g = g.min(LIMIT);\n        u = u.max(-LIMIT).min(LIMIT);\n" : "";
        String clampS = p.glu().limit().isPresent() ? "g = Math.min(g, LIMIT);\n        u = Math.max(-LIMIT, Math.min(u, LIMIT));\n" : "";
        String weight = p.weights() != null ? ".mul(ws)" : "";
        String weightS = p.weights() != null ? " * w[r]" : "";
        String biasG;
        String biasU;
        String loads;
        if (layout == Layout.INTERLEAVED) {
            k.field("VectorShuffle<Float>", "EVEN", "VectorShuffle.fromOp(S, i -> (2 * i) % L)");
            k.field("VectorShuffle<Float>", "ODD", "VectorShuffle.fromOp(S, i -> (2 * i + 1) % L)");
            k.field("VectorMask<Float>", "HIGH", "VectorMask.fromLong(S, ((1L << L) - 1) & ~((1L << (L / 2)) - 1))");
            loads = """
                    FloatVector v0 = FloatVector.fromArray(S, y, yb + 2 * j);
                    FloatVector v1 = FloatVector.fromArray(S, y, yb + 2 * j + L);
                    %s
                    FloatVector g = v0.rearrange(EVEN).blend(v1.rearrange(EVEN), HIGH);
                    FloatVector u = v0.rearrange(ODD).blend(v1.rearrange(ODD), HIGH);
                    """.formatted(p.bias() == null ? "" : """
                    v0 = v0.add(FloatVector.fromArray(S, bias, 2 * j));
                    v1 = v1.add(FloatVector.fromArray(S, bias, 2 * j + L));""");
            biasG = p.bias() == null ? "" : " + bias[2 * j]";
            biasU = p.bias() == null ? "" : " + bias[2 * j + 1]";
        } else {
            int go = layout.gateIndex(0, half);
            int uo = layout.upIndex(0, half);
            loads = "FloatVector g = FloatVector.fromArray(S, y, yb + " + go + " + j)"
                    + (p.bias() == null ? "" : ".add(FloatVector.fromArray(S, bias, " + go + " + j))") + ";\n"
                    + "FloatVector u = FloatVector.fromArray(S, y, yb + " + uo + " + j)"
                    + (p.bias() == null ? "" : ".add(FloatVector.fromArray(S, bias, " + uo + " + j))") + ";\n";
            biasG = p.bias() == null ? "" : " + bias[" + go + " + j]";
            biasU = p.bias() == null ? "" : " + bias[" + uo + " + j]";
        }
        String gi = layout == Layout.INTERLEAVED ? "2 * j" : layout.gateIndex(0, half) + " + j";
        String ui = layout == Layout.INTERLEAVED ? "2 * j + 1" : layout.upIndex(0, half) + " + j";
        k.helper("void", "apply", Gen.params("float[] y", "float[] bias", "float[] w", "float[] out", "int from", "int to"), """
                for (int r = from; r < to; r++) {
                    final int yb = r * W;
                    final int ob = r * I;
                    %1$s
                    int j = 0;
                    for (; j <= I - L; j += L) {
                        %2$s
                        %3$s
                        VectorMath.silu(g).mul(u)%4$s.intoArray(out, ob + j);
                    }
                    for (; j < I; j++) {
                        float g = y[yb + %5$s]%6$s;
                        float u = y[yb + %7$s]%8$s;
                        %9$s
                        out[ob + j] = g / (1f + (float) Math.exp(-g)) * u%10$s;
                    }
                }
                """.formatted(p.weights() != null ? "final FloatVector ws = FloatVector.broadcast(S, w[r]);" : "",
                loads, clampV, weight, gi, biasG, ui, biasU, clampS, weightS));
        return k.build();
    }

    static KernelSource backward(Gen g) {
        Op op = g.node().op();
        Glu glu;
        int bias = -1;
        int weights = -1;
        switch (op) {
            case Op.SwiGluBack s -> glu = s.glu();
            case Op.BiasSwiGluBack s -> {
                glu = s.glu();
                bias = 2;
            }
            case Op.WeightedSwiGluBack s -> {
                glu = s.glu();
                weights = 2;
            }
            default -> throw new IllegalArgumentException("not a SwiGLU backward: " + op.opName());
        }
        Shape y = g.operand(1);
        int width = (int) y.last().value();
        int half = width / 2;
        Layout layout = glu.layout();
        KernelClass k = g.start("for each row and each j < I: gate and up at the layout's positions"
                        + (bias >= 0 ? " plus the bias" : "") + (glu.fp8InputStore() ? " (y read through f8e4m3, as stored)" : ""),
                "s = sigmoid(gate'); dgate = g' * up' * s * (1 + gate' * (1 - s)); dup = g' * gate' * s, with g' = g"
                        + (weights >= 0 ? " * w[row]" : "") + " and primes the clamped values (no gradient where a clamp binds)",
                bias >= 0 ? "db sums dy over the rows, in double" : weights >= 0 ? "dw[row] sums swiglu(y) * g over the row, in double"
                        : "write dy");
        k.constant("W", Integer.toString(width)).constant("I", Integer.toString(half));
        glu.limit().ifPresent(l -> k.constant("LIMIT", ElementwiseKernels.floatLit(l)));
        String gi = switch (layout) {
            case HALVES -> "j";
            case SWAPPED -> "I + j";
            case INTERLEAVED -> "2 * j";
        };
        String ui = switch (layout) {
            case HALVES -> "I + j";
            case SWAPPED -> "j";
            case INTERLEAVED -> "2 * j + 1";
        };
        String read = glu.fp8InputStore() ? "Rounding.e4m3(y[r * W + %s])" : "y[r * W + %s]";
        StringBuilder body = new StringBuilder();
        body.append("final float[] g = args[0];\nfinal float[] y = args[1];\n");
        body.append("final float[] extra = ").append(bias >= 0 || weights >= 0 ? "args[2]" : "null").append(";\n");
        int n = op.operands().size();
        body.append("final float[] dy = args[").append(n).append("];\n");
        body.append("final float[] second = ").append(op.resultCount() == 2 ? "args[" + (n + 1) + "]" : "null").append(";\n");
        body.append("final int rows = ").append(g.ext().product(y, 0, y.rank() - 1)).append(";\n");
        body.append("final double[] db = new double[W];\n");
        body.append("for (int r = 0; r < rows; r++) {\n");
        body.append("    final double wr = ").append(weights >= 0 ? "extra[r]" : "1.0").append(";\n");
        body.append("    double dw = 0;\n");
        body.append("    for (int j = 0; j < I; j++) {\n");
        body.append("        double gate = ").append(read.formatted(gi)).append(bias >= 0 ? " + extra[" + gi + "]" : "").append(";\n");
        body.append("        double up = ").append(read.formatted(ui)).append(bias >= 0 ? " + extra[" + ui + "]" : "").append(";\n");
        if (glu.limit().isPresent()) {
            body.append("        final boolean gatePasses = gate <= LIMIT;\n");
            body.append("        final boolean upPasses = up >= -LIMIT && up <= LIMIT;\n");
            body.append("        gate = Math.min(gate, LIMIT);\n");
            body.append("        up = Math.max(-LIMIT, Math.min(up, LIMIT));\n");
        } else {
            body.append("        final boolean gatePasses = true;\n        final boolean upPasses = true;\n");
        }
        body.append("""
                        final double s = 1.0 / (1.0 + Math.exp(-gate));
                        final double gr = g[r * I + j];
                        final double gw = gr * wr;
                        final double dGate = gatePasses ? gw * up * s * (1 + gate * (1 - s)) : 0;
                        final double dUp = upPasses ? gw * gate * s : 0;
                """.indent(4).stripTrailing()).append('\n');
        body.append("        dy[r * W + ").append(gi).append("] = (float) dGate;\n");
        body.append("        dy[r * W + ").append(ui).append("] = (float) dUp;\n");
        body.append("        db[").append(gi).append("] += dGate;\n");
        body.append("        db[").append(ui).append("] += dUp;\n");
        body.append("        dw += gate * s * up * gr;\n");
        body.append("    }\n");
        if (weights >= 0) {
            body.append("    second[r] = (float) dw;\n");
        }
        body.append("}\n");
        if (bias >= 0) {
            body.append("for (int i = 0; i < W; i++) {\n    second[i] = (float) db[i];\n}\n");
        }
        k.run(body.toString());
        return k.build();
    }
}
