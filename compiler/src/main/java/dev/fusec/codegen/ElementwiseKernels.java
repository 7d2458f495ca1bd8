package dev.fusec.codegen;

import dev.fusec.ir.Activation;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.runtime.KernelSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Elementwise kernels: silu, sigmoid, gelu, clamp, and add/sub/mul with broadcasting. One pass over memory,
 * vectorised with masked tails (scalar ones for the unary ops and clamp), split across threads in blocks. Broadcasting is specialised on how
 * each operand lines up with the result: the same shape, one row repeated ([N] against [R, N]), one
 * value per row ([R, 1]), or a single value; anything else gets a general strided loop.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    /** Elements per parallel block: large enough to amortise the hand-off, small enough to balance. */
    static final int BLOCK = 16384;

    /** silu, sigmoid, gelu (either formula). */
    static KernelSource unary(Gen g, Op.Unary u) {
        String what = switch (u.kind()) {
            case SILU, SIGMOID, GELU -> u.opName();
            case GELU_TANH -> "gelu (tanh form)";
        };
        return elementwise(g, what, vectorUnary(u.kind(), "v"), scalarUnary(u.kind(), "v"));
    }

    /** swish(x, alpha) = x * sigmoid(alpha * x). */
    static KernelSource swish(Gen g, Op.Swish w) {
        String a = floatLit(w.alpha());
        return elementwise(g, "swish (alpha " + w.alpha() + ")", "v.mul(VectorMath.sigmoid(v.mul(" + a + ")))",
                "v / (1f + (float) Math.exp(-(" + a + " * v)))");
    }

    /** A scalar constant: one float written (the executor rounds it to a narrower dtype, as every result). */
    static KernelSource constant(Gen g, Op.Const c) {
        KernelClass k = g.start("write the value " + c.value() + " into the one element of the result");
        k.run("args[0][0] = " + floatLit(c.value()) + ";\n");
        return k.build();
    }

    /** min(max(x, min), max). */
    static KernelSource clamp(Gen g, Op.Clamp c) {
        String vector = "v" + c.min().stream().mapToObj(m -> ".max(" + floatLit(m) + ")").findFirst().orElse("")
                + c.max().stream().mapToObj(m -> ".min(" + floatLit(m) + ")").findFirst().orElse("");
        String lower = c.min().stream().mapToObj(m -> "Math.max(v, " + floatLit(m) + ")").findFirst().orElse("v");
        String scalar = c.max().stream().mapToObj(m -> "Math.min(" + lower + ", " + floatLit(m) + ")").findFirst().orElse(lower);
        return elementwise(g, c.opName(), vector, scalar);
    }

    /** One pass over the elements: {@code vector} of a FloatVector v, {@code scalar} of a float v for the tail. */
    private static KernelSource elementwise(Gen g, String what, String vector, String scalar) {
        // The tail, one element at a time: a masked second copy of SiLU in this method could pass C2's
        // inlining budget (NodeCountInliningCutoff), be refused and box.
        KernelClass k = g.start("split the " + g.ext().count(g.result(0)) + " elements into blocks of " + BLOCK + " across threads",
                "per block: load a vector, compute " + what + ", store; the last elements, fewer than L,"
                        + " one at a time");
        k.constant("BLOCK", Integer.toString(BLOCK));
        k.run(g.arrays() + "final int n = " + g.ext().count(g.result(0)) + ";\n"
                + "par.forRange((n + BLOCK - 1) / BLOCK, 4, (b0, b1) -> apply(a0, r0, b0 * BLOCK, Math.min(n, b1 * BLOCK)));\n");
        k.helper("void", "apply", Gen.params("float[] x", "float[] out", "int from", "int to"), """
                int i = from;
                for (; i <= to - L; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, i);
                    %1$s.intoArray(out, i);
                }
                for (; i < to; i++) {
                    final float v = x[i];
                    out[i] = %2$s;
                }
                """.formatted(vector, scalar));
        return k.build();
    }

    /** A unary op of the FloatVector {@code v}. */
    static String vectorUnary(Op.UnaryKind kind, String v) {
        return switch (kind) {
            case SILU -> vectorActivation(Activation.SILU, v);
            case GELU -> vectorActivation(Activation.GELU, v);
            case GELU_TANH -> vectorActivation(Activation.GELU_TANH, v);
            case SIGMOID -> "VectorMath.sigmoid(" + v + ")";
        };
    }

    /** A unary op of the float {@code v} (a simple name), for tails. */
    static String scalarUnary(Op.UnaryKind kind, String v) {
        return switch (kind) {
            case SILU -> scalarActivation(Activation.SILU, v);
            case GELU -> scalarActivation(Activation.GELU, v);
            case GELU_TANH -> scalarActivation(Activation.GELU_TANH, v);
            case SIGMOID -> scalarSigmoid(v);
        };
    }

    /** The gating activation of the FloatVector {@code v}, one VectorMath call (inlined: see VectorMath). */
    static String vectorActivation(Activation act, String v) {
        return switch (act) {
            case SILU -> "VectorMath.silu(" + v + ")";
            case GELU -> "VectorMath.gelu(" + v + ")";
            case GELU_TANH -> "VectorMath.geluTanh(" + v + ")";
        };
    }

    /**
     * The forward GLU's gate term of the FloatVector {@code g} (a simple name): act(g), or for silu with
     * alpha (gpt-oss) g * sigmoid(alpha * g).
     */
    static String vectorGate(Glu glu, String g) {
        return glu.alpha() == 1.0 ? vectorActivation(glu.act(), g)
                : g + ".mul(VectorMath.sigmoid(" + g + ".mul(" + floatLit(glu.alpha()) + ")))";
    }

    /** {@link #vectorGate} of a float, for tails. */
    static String scalarGate(Glu glu, String g) {
        return glu.alpha() == 1.0 ? scalarActivation(glu.act(), g)
                : g + " / (1f + (float) Math.exp(-(" + floatLit(glu.alpha()) + " * " + g + ")))";
    }

    /** The forward GLU's up term of a vector ({@code vector}) or float named {@code u}: u, or u + beta. */
    static String upTerm(Glu glu, String u, boolean vector) {
        if (glu.beta() == 0.0) {
            return u;
        }
        return vector ? u + ".add(" + floatLit(glu.beta()) + ")" : "(" + u + " + " + floatLit(glu.beta()) + ")";
    }

    /** The gating activation of the float {@code v} (a simple name: it may appear twice), for tails. */
    static String scalarActivation(Activation act, String v) {
        return switch (act) {
            case SILU -> scalarSilu(v);
            case GELU -> "VectorMath.gelu(" + v + ")";
            case GELU_TANH -> "VectorMath.geluTanh(" + v + ")";
        };
    }

    /** Scalar SiLU of the float expression {@code x}, for tails: the reference's double, rounded once. */
    static String scalarSilu(String x) {
        return "(float) Activations.silu(" + x + ")";
    }

    /** Scalar sigmoid of the float expression {@code x}, for tails: the reference's double, rounded once. */
    static String scalarSigmoid(String x) {
        return "(float) Activations.sigmoid(" + x + ")";
    }

    static String floatLit(double v) {
        float f = (float) v;
        if (Float.isInfinite(f)) {
            return f > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY";
        }
        return Float.toString(f) + "f";
    }

    /** How an operand's elements line up with a [rows, cols] view of the result. */
    enum Role { FULL, ROW, PER_ROW, SCALAR }

    static KernelSource binary(Gen g, Op.Binary b) {
        Shape out = g.result(0);
        Role ra = role(g.operand(0), out);
        Role rb = role(g.operand(1), out);
        String op = switch (b.kind()) {
            case ADD -> "add";
            case SUB -> "sub";
            case MUL -> "mul";
        };
        if (ra == null || rb == null || out.rank() == 0) {
            return generalBinary(g, b.kind());
        }
        String cols = g.ext().of(out.last());
        String rows = g.ext().product(out, 0, out.rank() - 1);
        boolean band = ra == Role.ROW || rb == Role.ROW;
        KernelClass k = g.start("view the result as [" + rows + ", " + cols + "]; operand a is " + ra + ", b is " + rb
                        + " (FULL: same shape, ROW: one row repeated, PER_ROW: one value per row, SCALAR: one value)",
                "split the rows across threads; per row, a vector loop over the columns with a masked tail"
                        + (band ? "; " + Bands.ROWS + " rows at a time side by side (the rest one by one), each vector of the"
                                + " repeated row loaded once for them" : ""));
        k.run(g.arrays() + "final int rows = " + rows + ";\n"
                + "final int cols = " + cols + ";\n"
                + "par.forRange(rows, Math.max(1, " + BLOCK + " / Math.max(cols, 1)), (q0, q1) -> apply(a0, a1, r0, cols, q0, q1));\n");
        String rowStart = "final int base = r * cols;\n" + scalarOf("a", ra) + scalarOf("b", rb);
        String tail = """
                if (j < cols) {
                    VectorMask<Float> m = S.indexInRange(j, cols);
                    %s.%s(%s).intoArray(out, base + j, m);
                }
                """.formatted(load("a", ra, true), op, load("b", rb, true));
        if (band) {
            // As in the bias SwiGLU: a repeated row of more than L1 was read again from L2 for every
            // row; a band of rows shares each of its vectors.
            k.constant("BAND", Integer.toString(Bands.ROWS));
            k.helper("void", "band", Gen.params("float[] a", "float[] b", "float[] out", "int cols", "int r0"), """
                    int j = 0;
                    for (; j <= cols - L; j += L) {
                        %1$s
                        %2$s
                    }
                    %3$s
                    """.formatted((ra == Role.ROW ? "final FloatVector ar = " + load("a", ra, false) + ";\n" : "")
                            + (rb == Role.ROW ? "final FloatVector br = " + load("b", rb, false) + ";\n" : ""),
                    JavaText.nested(Bands.eachRow("q", rowStart + (ra == Role.ROW ? "ar" : load("a", ra, false)) + "." + op + "("
                            + (rb == Role.ROW ? "br" : load("b", rb, false)) + ").intoArray(out, base + j);"), 4),
                    Bands.eachRow("q", rowStart + tail)));
        }
        k.helper("void", "apply", Gen.params("float[] a", "float[] b", "float[] out", "int cols", "int from", "int to"), """
                int r = from;
                %1$s
                for (; r < to; r++) {
                    %2$s
                    int j = 0;
                    for (; j <= cols - L; j += L) {
                        %3$s.%4$s(%5$s).intoArray(out, base + j);
                    }
                    %6$s
                }
                """.formatted(band ? Bands.whole("band(a, b, out, cols, r)") : "",
                JavaText.nested(rowStart, 4), load("a", ra, false), op, load("b", rb, false),
                JavaText.nested(tail, 4)));
        return k.build();
    }

    private static String scalarOf(String x, Role r) {
        return switch (r) {
            case PER_ROW -> "final FloatVector " + x + "s = FloatVector.broadcast(S, " + x + "[r]);\n";
            case SCALAR -> "final FloatVector " + x + "s = FloatVector.broadcast(S, " + x + "[0]);\n";
            case FULL, ROW -> "";
        };
    }

    private static String load(String x, Role r, boolean masked) {
        String m = masked ? ", m" : "";
        return switch (r) {
            case FULL -> "FloatVector.fromArray(S, " + x + ", base + j" + m + ")";
            case ROW -> "FloatVector.fromArray(S, " + x + ", j" + m + ")";
            case PER_ROW, SCALAR -> x + "s";
        };
    }

    static Role role(Shape s, Shape out) {
        if (s.equals(out)) {
            return Role.FULL;
        }
        List<Dim> padded = new ArrayList<>();
        for (int i = 0; i < out.rank() - s.rank(); i++) {
            padded.add(Dim.of(1));
        }
        padded.addAll(s.dims());
        if (padded.size() != out.rank()) {
            return null;
        }
        boolean leadingOnes = padded.subList(0, out.rank() - 1).stream().allMatch(d -> d.equals(Dim.of(1)));
        boolean lastOne = padded.get(out.rank() - 1).equals(Dim.of(1));
        if (leadingOnes && lastOne) {
            return Role.SCALAR;
        }
        if (leadingOnes && padded.get(out.rank() - 1).equals(out.last())) {
            return Role.ROW;
        }
        if (lastOne && padded.subList(0, out.rank() - 1).equals(out.dims().subList(0, out.rank() - 1))) {
            return Role.PER_ROW;
        }
        return null;
    }

    /** Any other broadcast: nested loops over the result with per-operand strides (0 on broadcast dims). */
    private static KernelSource generalBinary(Gen g, Op.BinaryKind kind) {
        Shape out = g.result(0);
        int rank = out.rank();
        KernelClass k = g.start("walk the result in C order with one nested loop per dim; each operand advances by its own "
                + "stride, 0 along the dims it is broadcast on (scalar code: an uncommon shape)");
        StringBuilder body = new StringBuilder(g.arrays());
        String sym = switch (kind) {
            case ADD -> "+";
            case SUB -> "-";
            case MUL -> "*";
        };
        if (rank == 0) {
            k.run(body + "r0[0] = a0[0] " + sym + " a1[0];\n");
            return k.build();
        }
        for (int i = 0; i < rank; i++) {
            body.append("final int e").append(i).append(" = ").append(g.ext().of(out.dim(i))).append(";\n");
        }
        for (int op2 = 0; op2 < 2; op2++) {
            Shape s = g.operand(op2);
            String stride = "1";
            for (int i = rank - 1; i >= 0; i--) {
                int si = i - (rank - s.rank());
                boolean broadcast = si < 0 || s.dim(si).equals(Dim.of(1)) && !out.dim(i).equals(Dim.of(1));
                body.append("final int s").append(op2).append("_").append(i).append(" = ")
                        .append(broadcast ? "0" : stride).append(";\n");
                if (si >= 0) {
                    stride = stride + " * " + g.ext().of(s.dim(si));
                }
            }
        }
        body.append("int o = 0;\n");
        for (int i = 0; i < rank; i++) {
            String ia = i == 0 ? "0" : "ia" + (i - 1);
            String ib = i == 0 ? "0" : "ib" + (i - 1);
            body.append("for (int i").append(i).append(" = 0, ia").append(i).append(" = ").append(ia).append(", ib").append(i)
                    .append(" = ").append(ib).append("; i").append(i).append(" < e").append(i).append("; i").append(i)
                    .append("++, ia").append(i).append(" += s0_").append(i).append(", ib").append(i).append(" += s1_")
                    .append(i).append(") {\n");
        }
        body.append("r0[o++] = a0[ia").append(rank - 1).append("] ").append(sym).append(" a1[ib").append(rank - 1).append("];\n");
        body.append("}\n".repeat(rank));
        k.run(body.toString());
        return k.build();
    }
}
