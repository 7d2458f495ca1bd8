package dev.fusec.codegen.opencl;

import dev.fusec.ir.Glu;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The SwiGLU family (and GeGLU: act=gelu or gelu_tanh) on the device. Forward ops are one pass: a
 * work-item takes four columns of one row of h (one if I is not a multiple of four), reads their
 * gate and up at the layout's offsets as two float4 (interleaved: one float8, split into its even and
 * odd lanes), adds the bias, applies the limit, and stores act(gate) * up (* the row's weight). The
 * backward ops give each (row, column) its dgate and dup; bias_swiglu_back also sums them per chunk
 * of {@value #CHUNK} rows (one work-item walks a chunk in order) and a second kernel adds the chunks in
 * order, and weighted_swiglu_back gives each row a work-group whose tree sum is dw. Every sum's order
 * is fixed by the shapes, so results do not depend on the device.
 */
final class ClSwiGlu {
    private ClSwiGlu() {}

    /** Rows per partial sum of db. */
    static final int CHUNK = 64;
    /** Work-items per row of weighted_swiglu_back (a power of two: the tree sum halves it). */
    static final int ROW_GROUP = 256;
    /** Work-items per group along a row in the forward and plain backward kernels. */
    static final int COLUMNS = 64;

    private record Parts(int bias, int weights, Glu glu) {}

    static NodePlan forward(ClGen g, Op.SwiGlu s) {
        return forward(g, new Parts(-1, -1, s.glu()));
    }

    static NodePlan forward(ClGen g, Op.BiasSwiGlu s) {
        return forward(g, new Parts(1, -1, s.glu()));
    }

    static NodePlan forward(ClGen g, Op.WeightedSwiGlu s) {
        return forward(g, new Parts(-1, 1, s.glu()));
    }

    static NodePlan forward(ClGen g, Op.WeightedBiasSwiGlu s) {
        return forward(g, new Parts(1, 2, s.glu()));
    }

    /** The columns of gate and up element j of a row of width 2I, as expressions of {@code j}. */
    static String gateAt(Layout l, int half, String j) {
        return switch (l) {
            case HALVES -> j;
            case SWAPPED -> half + " + " + j;
            case INTERLEAVED -> "2 * " + j;
        };
    }

    static String upAt(Layout l, int half, String j) {
        return switch (l) {
            case HALVES -> half + " + " + j;
            case SWAPPED -> j;
            case INTERLEAVED -> "2 * " + j + " + 1";
        };
    }

    private static NodePlan forward(ClGen g, Parts p) {
        Shape y = g.operand(0);
        int width = (int) y.last().value();
        int half = width / 2;
        Layout layout = p.glu().layout();
        boolean vector = half % 4 == 0;
        int vw = vector ? 4 : 1;
        String rows = g.text().product(y, 0, y.rank() - 1);
        List<String> params = new ArrayList<>(List.of(ClGen.in("y")));
        if (p.bias() >= 0) {
            params.add(ClGen.in("bias"));
        }
        if (p.weights() >= 0) {
            params.add(ClGen.in("w"));
        }
        params.add(ClGen.outParam("out"));
        String limit = p.glu().limit().isPresent() ? ClText.floatLit(p.glu().limit().getAsDouble()) : null;
        g.begin("", params,
                "work-items over (" + (vector ? "groups of 4 columns" : "columns") + " of h [.., " + half + "], rows of y [.., "
                        + width + "]), " + COLUMNS + " columns of work-items a group",
                (layout == Layout.INTERLEAVED ? "read " + vw + " (gate, up) pairs" + (vector ? " as one float8, gate its even lanes, up its odd"
                        : "") : "read gate at column " + gateAt(layout, half, "j") + " and up at " + upAt(layout, half, "j"))
                        + (p.bias() >= 0 ? ", add the bias" : "")
                        + (limit != null ? ", clamp (gate <= " + limit + ", |up| <= " + limit + ")" : "")
                        + ", h = " + ClElementwise.gateName(p.glu()) + "(gate) * " + ClElementwise.up(p.glu(), "up")
                        + (p.weights() >= 0 ? " * w[row]" : "") + ", store h");
        ClWriter o = g.out();
        o.line("const int j = get_global_id(0);");
        o.line("const int r = get_global_id(1);");
        o.open("if (j < " + half / vw + " && r < " + rows + ")");
        o.line("__global const float* yr = y + r * " + width + ";");
        if (vector) {
            String type = "float4";
            if (layout == Layout.INTERLEAVED) {
                o.line("const float8 v = ((__global const float8*) yr)[j];");
                o.line("float4 gate = v.even;");
                o.line("float4 up = v.odd;");
                if (p.bias() >= 0) {
                    o.line("const float8 b = ((__global const float8*) bias)[j];");
                    o.line("gate += b.even;");
                    o.line("up += b.odd;");
                }
            } else {
                int go = layout.gateIndex(0, half);
                int uo = layout.upIndex(0, half);
                o.line("float4 gate = ((__global const float4*) (yr + " + go + "))[j];");
                o.line("float4 up = ((__global const float4*) (yr + " + uo + "))[j];");
                if (p.bias() >= 0) {
                    o.line("gate += ((__global const float4*) (bias + " + go + "))[j];");
                    o.line("up += ((__global const float4*) (bias + " + uo + "))[j];");
                }
            }
            if (limit != null) {
                // select keeps NaN (a comparison with it is false), as the reference's min and max do.
                o.line("gate = select(gate, (" + type + ") (" + limit + "), gate > " + limit + ");");
                o.line("up = select(up, (" + type + ") (-" + limit + "), up < -" + limit + ");");
                o.line("up = select(up, (" + type + ") (" + limit + "), up > " + limit + ");");
            }
            String a = ClElementwise.gate(p.glu(), "gate.s0") + ", " + ClElementwise.gate(p.glu(), "gate.s1")
                    + ", " + ClElementwise.gate(p.glu(), "gate.s2") + ", " + ClElementwise.gate(p.glu(), "gate.s3");
            o.line("const float4 h = (float4) (" + a + ") * " + ClElementwise.up(p.glu(), "up") + (p.weights() >= 0 ? " * w[r]" : "") + ";");
            o.line("((__global float4*) (out + r * " + half + "))[j] = h;");
        } else {
            o.line("float gate = yr[" + gateAt(layout, half, "j") + "]" + (p.bias() >= 0 ? " + bias[" + gateAt(layout, half, "j") + "]" : "") + ";");
            o.line("float up = yr[" + upAt(layout, half, "j") + "]" + (p.bias() >= 0 ? " + bias[" + upAt(layout, half, "j") + "]" : "") + ";");
            if (limit != null) {
                clampScalar(o, limit);
            }
            o.line("out[r * " + half + " + j] = " + ClElementwise.gate(p.glu(), "gate") + " * " + ClElementwise.up(p.glu(), "up")
                    + (p.weights() >= 0 ? " * w[r]" : "") + ";");
        }
        o.close();
        g.end();
        String kernel = g.name("");
        int operands = g.node().op().operands().size();
        return binding -> {
            List<NodePlan.Arg> args = new ArrayList<>();
            for (int i = 0; i < operands; i++) {
                args.add(new NodePlan.Arg.Operand(i));
            }
            args.add(new NodePlan.Arg.Result(0));
            long r = ClGen.rows(y, binding);
            return List.of(new NodePlan.Launch(kernel, args, new long[] {NodePlan.roundUp(half / vw, COLUMNS), r},
                    new long[] {COLUMNS, 1}));
        };
    }

    /** gate clamped above at the limit, up to [-limit, limit], NaN kept. */
    private static void clampScalar(ClWriter o, String limit) {
        o.line("gate = gate > " + limit + " ? " + limit + " : gate;");
        o.line("up = up < -" + limit + " ? -" + limit + " : up;");
        o.line("up = up > " + limit + " ? " + limit + " : up;");
    }

    static NodePlan backward(ClGen g, Op.SwiGluBack s) {
        return backward(g, s.glu(), false, false);
    }

    static NodePlan backward(ClGen g, Op.BiasSwiGluBack s) {
        return backward(g, s.glu(), true, false);
    }

    static NodePlan backward(ClGen g, Op.WeightedSwiGluBack s) {
        return backward(g, s.glu(), false, true);
    }

    /**
     * The statements that give dgate and dup of column j of row r (yb: the row's start in y and dy)
     * and store them in dy; they leave gate, up, a (act(gate)) and gr (the output gradient) for the
     * sums of db and dw.
     */
    private static void backwardElement(ClWriter o, Glu glu, int half, boolean bias, boolean weights) {
        Layout l = glu.layout();
        String gi = gateAt(l, half, "j");
        String ui = upAt(l, half, "j");
        String read = glu.fp8InputStore() ? "fusec_round_e4m3(y[yb + %s])" : "y[yb + %s]";
        o.line("float gate = " + read.formatted(gi) + (bias ? " + extra[" + gi + "]" : "") + ";");
        o.line("float up = " + read.formatted(ui) + (bias ? " + extra[" + ui + "]" : "") + ";");
        if (glu.limit().isPresent()) {
            String limit = ClText.floatLit(glu.limit().getAsDouble());
            // No gradient flows where a clamp binds.
            o.line("const int gatePasses = gate <= " + limit + ";");
            o.line("const int upPasses = up >= -" + limit + " && up <= " + limit + ";");
            clampScalar(o, limit);
        }
        switch (glu.act()) {
            case SILU -> {
                o.line("const float s = fusec_sigmoid(gate);");
                o.line("const float a = gate * s;");
                o.line("const float d = s * (1.0f + gate * (1.0f - s));");
            }
            case GELU, GELU_TANH -> {
                o.line("const float a = " + ClElementwise.activation(glu.act(), "gate") + ";");
                o.line("const float d = " + ClElementwise.derivative(glu.act(), "gate") + ";");
            }
        }
        o.line("const float gr = g[r * " + half + " + j];");
        o.line("const float gw = gr" + (weights ? " * extra[r]" : "") + ";");
        o.line("float dGate = gw * up * d;");
        o.line("float dUp = gw * a;");
        if (glu.limit().isPresent()) {
            o.line("dGate = gatePasses ? dGate : 0.0f;");
            o.line("dUp = upPasses ? dUp : 0.0f;");
        }
        o.line("dy[yb + " + gi + "] = dGate;");
        o.line("dy[yb + " + ui + "] = dUp;");
    }

    private static NodePlan backward(ClGen g, Glu glu, boolean bias, boolean weights) {
        Shape y = g.operand(1);
        int width = (int) y.last().value();
        int half = width / 2;
        String rows = g.text().product(y, 0, y.rank() - 1);
        Layout l = glu.layout();
        List<String> params = new ArrayList<>(List.of(ClGen.in("g"), ClGen.in("y")));
        if (bias || weights) {
            params.add(ClGen.in("extra"));
        }
        params.add(ClGen.outParam("dy"));
        String grads = "dgate = g' * up * " + glu.act() + "'(gate), dup = g' * " + glu.act() + "(gate), g' = g"
                + (weights ? " * w[row]" : "") + (glu.limit().isPresent() ? "; 0 where a clamp binds" : "")
                + (glu.fp8InputStore() ? "; y read rounded to f8e4m3, as saved" : "");
        ClWriter o = g.out();
        String kernel = g.name("");
        int operands = g.node().op().operands().size();
        if (weights) {
            params.add(ClGen.outParam("dw"));
            g.begin("", params, "one work-group of " + ROW_GROUP + " work-items per row; each walks the row's columns j = t, t + "
                            + ROW_GROUP + ", ...",
                    grads + "; store both, and add " + glu.act() + "(gate) * up * g to the work-item's sum",
                    "dw[row]: the work-items' sums added in a tree in local memory");
            o.line("__local float part[" + ROW_GROUP + "];");
            o.line("const int t = get_local_id(0);");
            o.line("const int r = get_group_id(1);");
            o.line("const int yb = r * " + width + ";");
            o.line("float sum = 0.0f;");
            o.open("for (int j = t; j < " + half + "; j += " + ROW_GROUP + ")");
            backwardElement(o, glu, half, false, true);
            o.line("sum += a * up * gr;");
            o.close();
            treeSum(o, "part", "sum", ROW_GROUP);
            o.open("if (t == 0)");
            o.line("dw[r] = part[0];");
            o.close();
            g.end();
            return binding -> List.of(new NodePlan.Launch(kernel, args(operands, 2, 0),
                    new long[] {ROW_GROUP, ClGen.rows(y, binding)}, new long[] {ROW_GROUP, 1}));
        }
        if (!bias) {
            g.begin("", params, "work-items over (columns of g [.., " + half + "], rows), " + COLUMNS + " columns a group",
                    grads + "; store both in dy at the layout's columns");
            o.line("const int j = get_global_id(0);");
            o.line("const int r = get_global_id(1);");
            o.open("if (j < " + half + " && r < " + rows + ")");
            o.line("const int yb = r * " + width + ";");
            backwardElement(o, glu, half, false, false);
            o.close();
            g.end();
            return binding -> List.of(new NodePlan.Launch(kernel, args(operands, 1, 0),
                    new long[] {NodePlan.roundUp(half, COLUMNS), ClGen.rows(y, binding)}, new long[] {COLUMNS, 1}));
        }
        params.add("__global float* restrict part");
        g.begin("", params, "work-items over (columns of g [.., " + half + "], chunks of " + CHUNK + " rows); each walks its"
                        + " chunk's rows in order",
                grads + "; store both in dy, and add them to the work-item's two sums",
                "store the chunk's sums of dgate and dup at their columns of the chunk's row of part [chunks, " + width + "]");
        o.line("const int j = get_global_id(0);");
        o.line("const int c = get_global_id(1);");
        o.open("if (j < " + half + ")");
        o.line("float sumGate = 0.0f;");
        o.line("float sumUp = 0.0f;");
        o.line("const int last = min(" + rows + ", (c + 1) * " + CHUNK + ");");
        o.open("for (int r = c * " + CHUNK + "; r < last; r++)");
        o.line("const int yb = r * " + width + ";");
        backwardElement(o, glu, half, true, false);
        o.line("sumGate += dGate;");
        o.line("sumUp += dUp;");
        o.close();
        o.line("part[c * " + width + " + " + gateAt(l, half, "j") + "] = sumGate;");
        o.line("part[c * " + width + " + " + upAt(l, half, "j") + "] = sumUp;");
        o.close();
        g.end();
        String sums = g.name("db");
        g.begin("db", List.of(ClGen.in("part"), ClGen.outParam("db")), "one work-item per column of db [" + width + "]",
                "add the chunks' sums in chunk order");
        o.line("const int col = get_global_id(0);");
        o.open("if (col < " + width + ")");
        o.line("float sum = 0.0f;");
        o.line("const int chunks = (" + rows + " + " + (CHUNK - 1) + ") / " + CHUNK + ";");
        o.open("for (int c = 0; c < chunks; c++)");
        o.line("sum += part[c * " + width + " + col];");
        o.close();
        o.line("db[col] = sum;");
        o.close();
        g.end();
        return new NodePlan() {
            public List<Launch> launches(java.util.Map<String, Long> binding) {
                long chunks = (ClGen.rows(y, binding) + CHUNK - 1) / CHUNK;
                List<Arg> first = new ArrayList<>(args(operands, 1, 0));
                first.add(new Arg.Scratch(0));
                return List.of(new Launch(kernel, first, new long[] {NodePlan.roundUp(half, COLUMNS), chunks}, new long[] {COLUMNS, 1}),
                        new Launch(sums, List.of(new Arg.Scratch(0), new Arg.Result(1)),
                                new long[] {NodePlan.roundUp(width, ClElementwise.GROUP)}, new long[] {ClElementwise.GROUP}));
            }

            public List<Long> scratch(java.util.Map<String, Long> binding) {
                return List.of(Math.max(1, (ClGen.rows(y, binding) + CHUNK - 1) / CHUNK) * width);
            }
        };
    }

    /** Every operand, then {@code results} results (from {@code firstResult}). */
    static List<NodePlan.Arg> args(int operands, int results, int firstResult) {
        List<NodePlan.Arg> args = new ArrayList<>();
        for (int i = 0; i < operands; i++) {
            args.add(new NodePlan.Arg.Operand(i));
        }
        for (int i = 0; i < results; i++) {
            args.add(new NodePlan.Arg.Result(firstResult + i));
        }
        return args;
    }

    /** {@code value} of every work-item of a 1-D group of {@code n} (a power of two) summed into {@code local[0]}. */
    static void treeSum(ClWriter o, String local, String value, int n) {
        o.line(local + "[t] = " + value + ";");
        o.line("barrier(CLK_LOCAL_MEM_FENCE);");
        o.open("for (int s = " + n / 2 + "; s > 0; s >>= 1)");
        o.open("if (t < s)");
        o.line(local + "[t] += " + local + "[t + s];");
        o.close();
        o.line("barrier(CLK_LOCAL_MEM_FENCE);");
        o.close();
    }
}
