package dev.fusec.codegen.opencl;

import dev.fusec.ir.Activation;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Elementwise kernels: silu, sigmoid, gelu (both formulas), swish, const, clamp, and add/sub/mul with NumPy
 * broadcasting. One work-item per result element, in groups of {@value #GROUP}; a broadcast operand
 * is read at the index its own strides give (0 along the dims it repeats on), with the division by
 * the static extents constant-folded.
 */
final class ClElementwise {
    private ClElementwise() {}

    static final int GROUP = 256;

    /** The OpenCL call computing the unary op on the float expression {@code x}. */
    static String unaryCall(Op.UnaryKind kind, String x) {
        return switch (kind) {
            case SILU -> activation(Activation.SILU, x);
            case GELU -> activation(Activation.GELU, x);
            case GELU_TANH -> activation(Activation.GELU_TANH, x);
            case SIGMOID -> "fusec_sigmoid(" + x + ")";
        };
    }

    static String activation(Activation act, String x) {
        return switch (act) {
            case SILU -> "fusec_silu(" + x + ")";
            case GELU -> "fusec_gelu(" + x + ")";
            case GELU_TANH -> "fusec_gelu_tanh(" + x + ")";
        };
    }

    /**
     * The forward GLU's gate term of the float expression {@code x} (a simple name: it may appear
     * twice): act(x), or for silu with alpha (gpt-oss) x * sigmoid(alpha * x).
     */
    static String gate(Glu glu, String x) {
        return glu.alpha() == 1.0 ? activation(glu.act(), x) : x + " * fusec_sigmoid(" + ClText.floatLit(glu.alpha()) + " * " + x + ")";
    }

    /** The name of {@link #gate} for a kernel's comment: the activation, or swish with its alpha. */
    static String gateName(Glu glu) {
        return glu.alpha() == 1.0 ? glu.act().toString() : "swish[alpha " + glu.alpha() + "]";
    }

    /** The forward GLU's up term: u, or (u + beta); never u + 0, which would turn -0 into +0. */
    static String up(Glu glu, String u) {
        return glu.beta() == 0.0 ? u : "(" + u + " + " + ClText.floatLit(glu.beta()) + ")";
    }

    static String derivative(Activation act, String x) {
        return switch (act) {
            case SILU -> "fusec_silu_grad(" + x + ")";
            case GELU -> "fusec_gelu_grad(" + x + ")";
            case GELU_TANH -> "fusec_gelu_tanh_grad(" + x + ")";
        };
    }

    static NodePlan unary(ClGen g, Op.Unary u) {
        return map(g, u.opName() + (u.kind() == Op.UnaryKind.GELU_TANH ? " (tanh form)" : ""), unaryCall(u.kind(), "x[i]"));
    }

    /** swish(x, alpha) = x * sigmoid(alpha * x). */
    static NodePlan swish(ClGen g, Op.Swish w) {
        return map(g, "swish[alpha " + w.alpha() + "]", "x[i] * fusec_sigmoid(" + ClText.floatLit(w.alpha()) + " * x[i])");
    }

    /** A scalar constant: one work-item writes the value into the one element of the result. */
    static NodePlan constant(ClGen g, Op.Const c) {
        g.begin("", List.of(ClGen.outParam("out")), "one work-item: out[0] = " + c.value());
        g.out().open("if (get_global_id(0) == 0)");
        g.out().line("out[0] = " + ClText.floatLit(c.value()) + ";");
        g.out().close();
        g.end();
        return oneDimensional(g, 0);
    }

    /** min(max(x, min), max), NaN kept (a comparison with NaN is false, so it passes both bounds). */
    static NodePlan clamp(ClGen g, Op.Clamp c) {
        String v = "v";
        StringBuilder expr = new StringBuilder();
        if (c.min().isPresent()) {
            String m = ClText.floatLit(c.min().getAsDouble());
            expr.append("v = v < ").append(m).append(" ? ").append(m).append(" : v;\n");
        }
        if (c.max().isPresent()) {
            String m = ClText.floatLit(c.max().getAsDouble());
            expr.append("v = v > ").append(m).append(" ? ").append(m).append(" : v;\n");
        }
        String n = g.text().count(g.result(0));
        g.begin("", List.of(ClGen.in("x"), ClGen.outParam("out")), "one work-item per element: clamp, store");
        g.out().line("const int i = get_global_id(0);");
        g.out().open("if (i < " + n + ")");
        g.out().line("float " + v + " = x[i];");
        g.out().lines(expr.toString());
        g.out().line("out[i] = v;");
        g.out().close();
        g.end();
        return oneDimensional(g, 1);
    }

    private static NodePlan map(ClGen g, String what, String expr) {
        String n = g.text().count(g.result(0));
        g.begin("", List.of(ClGen.in("x"), ClGen.outParam("out")), "one work-item per element: out = " + what + "(x)");
        g.out().line("const int i = get_global_id(0);");
        g.out().open("if (i < " + n + ")");
        g.out().line("out[i] = " + expr + ";");
        g.out().close();
        g.end();
        return oneDimensional(g, 1);
    }

    /** One launch over the first result's elements, the node's operands and results as arguments. */
    static NodePlan oneDimensional(ClGen g, int operands) {
        Shape out = g.result(0);
        String kernel = g.name("");
        int results = g.node().results().size();
        return binding -> {
            List<NodePlan.Arg> args = new ArrayList<>();
            for (int i = 0; i < operands; i++) {
                args.add(new NodePlan.Arg.Operand(i));
            }
            for (int i = 0; i < results; i++) {
                args.add(new NodePlan.Arg.Result(i));
            }
            long n = ClGen.count(out, binding);
            return List.of(new NodePlan.Launch(kernel, args, new long[] {NodePlan.roundUp(n, GROUP)}, new long[] {GROUP}));
        };
    }

    static NodePlan binary(ClGen g, Op.Binary b) {
        Shape out = g.result(0);
        String op = switch (b.kind()) {
            case ADD -> "+";
            case SUB -> "-";
            case MUL -> "*";
        };
        String ia = index(g, g.operand(0), out);
        String ib = index(g, g.operand(1), out);
        boolean general = !ia.equals("i") || !ib.equals("i");
        g.begin("", List.of(ClGen.in("a"), ClGen.in("b"), ClGen.outParam("out")),
                general ? "one work-item per result element; its index split into one per dim, from which each operand's"
                        + " offset follows by its own strides (0 along a dim it is broadcast on)"
                        : "one work-item per element (both operands have the result's shape)");
        g.out().line("const int i = get_global_id(0);");
        g.out().open("if (i < " + g.text().count(out) + ")");
        if (general) {
            // i = ((i0 * e1 + i1) * e2 + i2) ...: the per-dim indices, last dim first; only those an
            // operand reads are named (an unused variable is a compiler warning).
            boolean[] read = new boolean[out.rank()];
            int lowest = out.rank();
            for (int d = 0; d < out.rank(); d++) {
                java.util.regex.Pattern name = java.util.regex.Pattern.compile("\\bi" + d + "\\b");
                read[d] = name.matcher(ia).find() || name.matcher(ib).find();
                lowest = read[d] ? Math.min(lowest, d) : lowest;
            }
            if (lowest < out.rank()) {
                g.out().line("int rest = i;");
            }
            for (int d = out.rank() - 1; d >= lowest; d--) {
                String e = g.text().of(out.dim(d));
                if (d == 0) {
                    g.out().line("const int i0 = rest;");
                    continue;
                }
                if (read[d]) {
                    g.out().line("const int i" + d + " = rest % " + e + ";");
                }
                if (d > lowest) {
                    g.out().line("rest /= " + e + ";");
                }
            }
        }
        g.out().line("out[i] = a[" + ia + "] " + op + " b[" + ib + "];");
        g.out().close();
        g.end();
        return oneDimensional(g, 2);
    }

    /** The offset into an operand of shape {@code s} of result element i, from the per-dim indices i0, i1, ... */
    private static String index(ClGen g, Shape s, Shape out) {
        if (s.equals(out)) {
            return "i";
        }
        List<String> terms = new ArrayList<>();
        String stride = "";
        for (int d = out.rank() - 1; d >= 0; d--) {
            int sd = d - (out.rank() - s.rank());
            if (sd < 0) {
                break;
            }
            Dim ext = s.dim(sd);
            boolean broadcast = ext.equals(Dim.of(1)) && !out.dim(d).equals(Dim.of(1));
            if (!broadcast && !ext.equals(Dim.of(1))) {
                terms.add(stride.isEmpty() ? "i" + d : "i" + d + " * " + stride);
            }
            String e = g.text().of(ext);
            stride = stride.isEmpty() ? e : stride + " * " + e;
        }
        return terms.isEmpty() ? "0" : String.join(" + ", terms);
    }
}
