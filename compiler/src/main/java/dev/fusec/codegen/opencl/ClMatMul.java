package dev.fusec.codegen.opencl;

import dev.fusec.ir.Glu;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Matrix-multiply kernels for matmul, linear, gate_up and gate_up_swiglu: x [M, K] (M the product
 * of the leading dims, bound at run time) times w [K, N] (or [N, K] with transpose_b). Each node gets
 * four kernels, and the launch picks one by M:
 * <ul>
 *   <li>{@code row} for M = 1 (a decode step) and {@code rows} for M up to {@value #ROWS_MAX}: the
 *       weights are streamed once per row or per {@value #MR} rows, K split across the work-items of a group (each sums a slice of K for
 *       its columns in registers) and the slices added in a tree in local memory; for [K, N] a
 *       work-item reads 4 adjacent columns of a weight row, for [N, K] a row of 32 work-items reads
 *       one weight row as float4s;</li>
 *   <li>{@code tile} and {@code tile_big}, otherwise: a work-group computes a BM x BN tile of the result,
 *       walking K in steps of BK; each step's slices of x and w are staged in local memory (the next
 *       step's already loaded into registers while this one computes) and every work-item keeps its
 *       TM x TN accumulators in registers. 64 x 64 tiles of 4 x 4, or 128 x 128 tiles of 8 x 8 when
 *       there are enough of them to fill a large device (results of fewer than 8 big tiles across do not
 *       get the big kernel at all).</li>
 * </ul>
 * The dual kernels (gate_up, gate_up_swiglu) are the same with two weights: a work-item keeps gate
 * and up accumulators for the same columns, and gate_up_swiglu turns them into act(gate) * up as
 * they leave the registers, so no gate or up tensor is ever stored.
 */
final class ClMatMul {
    private ClMatMul() {}

    /** Rows up to which the streaming kernel runs. */
    static final int ROWS_MAX = 8;
    /** Rows per pass of the streaming kernel over the weights. */
    static final int MR = 4;
    /** Work-items per group of every matmul kernel. */
    static final int THREADS = 256;

    enum Epilogue { STORE, BIAS, GATE_UP, SWIGLU }

    /**
     * One kernel's plan: operand indices (w2 and bias -1 when absent), the transposition, K and N,
     * the epilogue and, for the dual epilogues, the GLU attributes: the layout (gate_up), or the
     * limit, activation, alpha and beta (gate_up_swiglu).
     */
    private record Mm(int w1, int w2, int bias, boolean transposed, int k, int n, Epilogue epilogue, Glu glu) {
        boolean dual() {
            return w2 >= 0;
        }

        Layout layout() {
            return glu.layout();
        }

        OptionalDouble limit() {
            return glu.limit();
        }
    }

    static NodePlan generate(ClGen g, Op.MatMul m) {
        return generate(g, plan(g, 1, -1, -1, m.transposeB(), Epilogue.STORE, Glu.DEFAULT));
    }

    static NodePlan generate(ClGen g, Op.Linear l) {
        return generate(g, plan(g, 1, -1, l.bias().isPresent() ? 2 : -1, true,
                l.bias().isPresent() ? Epilogue.BIAS : Epilogue.STORE, Glu.DEFAULT));
    }

    static NodePlan generate(ClGen g, Op.GateUp gu) {
        return generate(g, plan(g, 1, 2, -1, gu.transposeB(), Epilogue.GATE_UP, Glu.DEFAULT.withLayout(gu.layout())));
    }

    static NodePlan generate(ClGen g, Op.GateUpSwiGlu gu) {
        return generate(g, plan(g, 1, 2, -1, gu.transposeB(), Epilogue.SWIGLU, gu.glu()));
    }

    private static Mm plan(ClGen g, int w1, int w2, int bias, boolean transposed, Epilogue e, Glu glu) {
        Shape w = g.operand(w1);
        int k = (int) (transposed ? w.dim(1) : w.dim(0)).value();
        int n = (int) (transposed ? w.dim(0) : w.dim(1)).value();
        return new Mm(w1, w2, bias, transposed, k, n, e, glu);
    }

    /** A tile shape: BM x BN results per group, BK of K per step, each work-item RS x RW rows by CS x CW columns. */
    private record Tile(String variant, int bm, int bn, int bk, int rw, int rs, int cw, int cs) {
        int tm() {
            return rw * rs;
        }

        int tn() {
            return cw * cs;
        }
    }

    private static final Tile PLAIN_SMALL = new Tile("tile", 64, 64, 16, 4, 1, 4, 1);
    private static final Tile PLAIN_BIG = new Tile("tile_big", 128, 128, 8, 4, 2, 4, 2);
    private static final Tile DUAL_SMALL = new Tile("tile", 64, 32, 16, 4, 1, 2, 1);
    private static final Tile DUAL_BIG = new Tile("tile_big", 128, 64, 8, 4, 2, 4, 1);
    /** A big tile is chosen when at least this many of them cover the result. */
    private static final long BIG_TILES_MIN = 96;
    /** Big tiles are written only for results at least this many of them wide. */
    private static final long WIDE_TILES = 8;

    private static NodePlan generate(ClGen g, Mm mm) {
        Shape x = g.operand(0);
        String m = g.text().product(x, 0, x.rank() - 1);
        rowsKernel(g, mm, m, "rows", MR);
        rowsKernel(g, mm, m, "row", 1);
        Tile small = mm.dual() ? DUAL_SMALL : PLAIN_SMALL;
        Tile big = mm.dual() ? DUAL_BIG : PLAIN_BIG;
        tileKernel(g, mm, m, small);
        // Big tiles only pay where there are enough of them along N to fill a device: not for narrow results.
        boolean wide = (mm.n() + big.bn() - 1) / big.bn() >= WIDE_TILES;
        if (wide) {
            tileKernel(g, mm, m, big);
        }
        int operands = g.node().op().operands().size();
        String rows = g.name("rows");
        String one = g.name("row");
        return binding -> {
            long rowCount = ClGen.rows(x, binding);
            List<NodePlan.Arg> args = ClSwiGlu.args(operands, 1, 0);
            if (rowCount <= ROWS_MAX) {
                return List.of(rowsLaunch(mm, rowCount == 1 ? one : rows, args));
            }
            long tilesBig = (rowCount + big.bm() - 1) / big.bm() * ((mm.n() + big.bn() - 1) / big.bn());
            Tile t = wide && tilesBig >= BIG_TILES_MIN ? big : small;
            long groupsN = (mm.n() + t.bn() - 1) / t.bn();
            long groupsM = (rowCount + t.bm() - 1) / t.bm();
            int tx = t.bn() / t.tn();
            int ty = t.bm() / t.tm();
            return List.of(new NodePlan.Launch(g.name(t.variant()), args, new long[] {groupsN * tx, groupsM * ty},
                    new long[] {tx, ty}));
        };
    }

    // ---- the streaming kernel (few rows) ----

    /**
     * Work-groups the [K, N] streaming kernel aims for: enough to fill a large device. The system
     * property {@code fusec.opencl.streamGroups} sets another aim, for measuring (bench/opencl-h100).
     */
    private static final int STREAM_GROUPS = Integer.getInteger("fusec.opencl.streamGroups", 512);

    /**
     * Columns of work-items per group of the [K, N] streaming kernel: the most that still gives
     * STREAM_GROUPS groups, at least 2 (1, four columns a group, only where a larger aim asks for it).
     */
    private static int streamColumns(Mm mm, int cw) {
        int lc = 64;
        int least = STREAM_GROUPS > 512 ? 1 : 2;
        while (lc > least && (long) (mm.n() + lc * cw - 1) / (lc * cw) < STREAM_GROUPS) {
            lc /= 2;
        }
        return lc;
    }

    /** Columns per group of the [N, K] streaming kernel (a row of 32 work-items per column). */
    private static final int T_COLUMNS = 8;
    private static final int T_LANES = THREADS / T_COLUMNS;

    private static NodePlan.Launch rowsLaunch(Mm mm, String kernel, List<NodePlan.Arg> args) {
        if (mm.transposed()) {
            long groups = (mm.n() + T_COLUMNS - 1) / T_COLUMNS;
            return new NodePlan.Launch(kernel, args, new long[] {T_LANES, groups * T_COLUMNS}, new long[] {T_LANES, T_COLUMNS});
        }
        int cw = mm.n() % 4 == 0 ? 4 : 1;
        int lc = streamColumns(mm, cw);
        long groups = (mm.n() + (long) lc * cw - 1) / ((long) lc * cw);
        return new NodePlan.Launch(kernel, args, new long[] {groups * lc, THREADS / lc}, new long[] {lc, THREADS / lc});
    }

    private static List<String> params(ClGen g, Mm mm) {
        List<String> p = new ArrayList<>(List.of(ClGen.in("x")));
        if (mm.dual()) {
            p.add(ClGen.in("wg"));
            p.add(ClGen.in("wu"));
        } else {
            p.add(ClGen.in("w"));
        }
        if (mm.bias() >= 0) {
            p.add(ClGen.in("bias"));
        }
        p.add(ClGen.outParam("out"));
        return p;
    }

    private static String epilogueStep(Mm mm) {
        return switch (mm.epilogue()) {
            case STORE -> "store the sums";
            case BIAS -> "add the bias, store";
            case GATE_UP -> "store gate and up where layout=" + mm.layout() + " puts them in the [.., " + 2 * mm.n() + "] result";
            case SWIGLU -> "as the sums leave the registers: h = " + ClElementwise.gateName(mm.glu()) + "(gate" + mm.limit().stream()
                    .mapToObj(l -> " clamped above at " + l).findFirst().orElse("") + ") * (up" + mm.limit().stream()
                    .mapToObj(l -> " clamped to +-" + l).findFirst().orElse("")
                    + (mm.glu().beta() != 0.0 ? " + " + mm.glu().beta() : "") + "), stored; no [.., " + mm.n()
                    + "] gate or up tensor exists";
        };
    }

    /**
     * The streaming kernel {@code variant} for M <= ROWS_MAX rows, {@code mr} rows at a time: MR for
     * a few rows, and 1 for a decode step of one row (MR would compute three clamped copies of it, and
     * sum them in local memory too).
     */
    private static void rowsKernel(ClGen g, Mm mm, String m, String variant, int mr) {
        ClWriter o = g.out();
        int k = mm.k();
        int n = mm.n();
        String[] ws = mm.dual() ? new String[] {"wg", "wu"} : new String[] {"w"};
        String[] acc = mm.dual() ? new String[] {"g", "u"} : new String[] {"c"};
        if (mm.transposed()) {
            int kw = k % 4 == 0 ? 4 : 1;
            String vt = kw == 4 ? "float4" : "float";
            g.begin(variant, params(g, mm),
                    (mr == 1 ? "for one row" : "for M <= " + ROWS_MAX + " rows") + ": a group of " + T_LANES + " x " + T_COLUMNS + " work-items takes " + T_COLUMNS
                            + " columns n, " + T_LANES + " work-items each, and walks the rows " + mr + " at a time",
                    "work-item l of column n adds x[m, k] * w[n, k] over k = " + kw + " l, " + kw + " l + " + kw * T_LANES
                            + ", ... (" + vt + " loads along the weight row) into one sum per row"
                            + (mm.dual() ? " and weight" : ""),
                    "the " + T_LANES + " sums of each row added in a tree in local memory; work-item 0 of the column: "
                            + epilogueStep(mm));
            o.line("const int l = get_local_id(0);");
            o.line("const int c = get_local_id(1);");
            o.line("const int col = get_group_id(1) * " + T_COLUMNS + " + c;");
            o.line("const int wrow = min(col, " + (n - 1) + ");");
            o.line("__local float part[" + ws.length * mr * THREADS + "];");
            o.open("for (int m0 = 0; m0 < " + m + "; m0 += " + mr + ")");
            for (String a : acc) {
                for (int r = 0; r < mr; r++) {
                    o.line("float " + a + r + " = 0.0f;");
                }
            }
            for (int r = 0; r < mr; r++) {
                o.line("__global const float* x" + r + " = x + " + (mr == 1 ? "m0" : "min(m0 + " + r + ", " + m + " - 1)") + " * " + k + ";");
            }
            o.open("for (int k = l * " + kw + "; k < " + k + "; k += " + kw * T_LANES + ")");
            for (int v = 0; v < ws.length; v++) {
                o.line("const " + vt + " b" + v + " = " + load(vt, ws[v] + " + wrow * " + k, "k") + ";");
            }
            for (int r = 0; r < mr; r++) {
                o.line("const " + vt + " a" + r + " = " + load(vt, "x" + r, "k") + ";");
                for (int v = 0; v < ws.length; v++) {
                    o.line(acc[v] + r + (kw == 4 ? " += dot(a" + r + ", b" + v + ");" : " = fma(a" + r + ", b" + v + ", " + acc[v] + r + ");"));
                }
            }
            o.close();
            // part[(v * mr + r) * THREADS + c * T_LANES + l]
            for (int v = 0; v < ws.length; v++) {
                for (int r = 0; r < mr; r++) {
                    o.line("part[" + (v * mr + r) * THREADS + " + c * " + T_LANES + " + l] = " + acc[v] + r + ";");
                }
            }
            o.line("barrier(CLK_LOCAL_MEM_FENCE);");
            o.open("for (int s = " + T_LANES / 2 + "; s > 0; s >>= 1)");
            o.open("if (l < s)");
            for (int v = 0; v < ws.length; v++) {
                for (int r = 0; r < mr; r++) {
                    String at = (v * mr + r) * THREADS + " + c * " + T_LANES + " + l";
                    o.line("part[" + at + "] += part[" + at + " + s];");
                }
            }
            o.close();
            o.line("barrier(CLK_LOCAL_MEM_FENCE);");
            o.close();
            o.open("if (l == 0 && col < " + n + ")");
            for (int r = 0; r < mr; r++) {
                o.open(mr == 1 ? "" : "if (m0 + " + r + " < " + m + ")");
                String first = "part[" + r * THREADS + " + c * " + T_LANES + "]";
                String second = mm.dual() ? "part[" + (mr + r) * THREADS + " + c * " + T_LANES + "]" : null;
                epilogue(o, mm, "m0 + " + r, "col", first, second);
                o.close();
            }
            o.close();
            o.line("barrier(CLK_LOCAL_MEM_FENCE);");
            o.close();
            g.end();
            return;
        }
        int cw = n % 4 == 0 ? 4 : 1;
        String vt = cw == 4 ? "float4" : "float";
        int lc = streamColumns(mm, cw);
        int ks = THREADS / lc;
        g.begin(variant, params(g, mm),
                (mr == 1 ? "for one row" : "for M <= " + ROWS_MAX + " rows") + ": a group of " + lc + " x " + ks + " work-items takes " + lc * cw
                        + " columns, and walks the rows " + mr + " at a time",
                "work-item (c, s) adds x[m, k] * w[k, " + cw + " columns] over k = s, s + " + ks + ", ... into " + vt
                        + " sums, one per row" + (mm.dual() ? " and weight" : "") + ": " + ks + " slices of K, each streaming its rows of"
                        + " the weights once",
                "the slices' sums added in a tree in local memory; slice 0: " + epilogueStep(mm));
        o.line("const int c = get_local_id(0);");
        o.line("const int s = get_local_id(1);");
        o.line("const int col = (get_group_id(0) * " + lc + " + c) * " + cw + ";");
        o.line("const int wcol = min(col, " + (n - cw) + ");");
        o.line("__local " + vt + " part[" + ws.length * mr * THREADS + "];");
        o.open("for (int m0 = 0; m0 < " + m + "; m0 += " + mr + ")");
        for (String a : acc) {
            for (int r = 0; r < mr; r++) {
                o.line(vt + " " + a + r + " = 0.0f;");
            }
        }
        for (int r = 0; r < mr; r++) {
            o.line("__global const float* x" + r + " = x + " + (mr == 1 ? "m0" : "min(m0 + " + r + ", " + m + " - 1)") + " * " + k + ";");
        }
        // Two rows of the weights per trip, both loads issued before their multiply-adds: twice the
        // loads in flight per work-item (a decode step is bound by how many the memory system sees).
        o.line("int k = s;");
        o.open("for (; k + " + ks + " < " + k + "; k += " + 2 * ks + ")");
        streamStep(o, ws, acc, vt, n, mr, new String[] {"k", "k + " + ks});
        o.close();
        o.open("if (k < " + k + ")");
        streamStep(o, ws, acc, vt, n, mr, new String[] {"k"});
        o.close();
        for (int v = 0; v < ws.length; v++) {
            for (int r = 0; r < mr; r++) {
                o.line("part[" + (v * mr + r) * THREADS + " + s * " + lc + " + c] = " + acc[v] + r + ";");
            }
        }
        o.line("barrier(CLK_LOCAL_MEM_FENCE);");
        o.open("for (int h = " + ks / 2 + "; h > 0; h >>= 1)");
        o.open("if (s < h)");
        for (int v = 0; v < ws.length; v++) {
            for (int r = 0; r < mr; r++) {
                String at = (v * mr + r) * THREADS + " + s * " + lc + " + c";
                o.line("part[" + at + "] += part[" + at + " + h * " + lc + "];");
            }
        }
        o.close();
        o.line("barrier(CLK_LOCAL_MEM_FENCE);");
        o.close();
        o.open("if (s == 0 && col < " + n + ")");
        for (int r = 0; r < mr; r++) {
            o.open(mr == 1 ? "" : "if (m0 + " + r + " < " + m + ")");
            o.line("const " + vt + " sum" + r + " = part[" + r * THREADS + " + c];");
            if (mm.dual()) {
                o.line("const " + vt + " up" + r + " = part[" + (mr + r) * THREADS + " + c];");
            }
            for (int lane = 0; lane < cw; lane++) {
                String sfx = cw == 1 ? "" : ".s" + lane;
                epilogue(o, mm, "m0 + " + r, "col + " + lane, "sum" + r + sfx, mm.dual() ? "up" + r + sfx : null);
            }
            o.close();
        }
        o.close();
        o.line("barrier(CLK_LOCAL_MEM_FENCE);");
        o.close();
        g.end();
    }

    /** The weight rows {@code ks} of the [K, N] streaming kernel: every load first, then the multiply-adds in order. */
    private static void streamStep(ClWriter o, String[] ws, String[] acc, String vt, int n, int mr, String[] ks) {
        for (int q = 0; q < ks.length; q++) {
            for (int v = 0; v < ws.length; v++) {
                o.line("const " + vt + " b" + v + "_" + q + " = " + load(vt, ws[v] + " + (" + ks[q] + ") * " + n, "wcol") + ";");
            }
        }
        for (int r = 0; r < mr; r++) {
            for (int q = 0; q < ks.length; q++) {
                o.line("const float a" + r + "_" + q + " = x" + r + "[" + ks[q] + "];");
            }
        }
        for (int q = 0; q < ks.length; q++) {
            for (int r = 0; r < mr; r++) {
                for (int v = 0; v < ws.length; v++) {
                    o.line(acc[v] + r + " = fma((" + vt + ") a" + r + "_" + q + ", b" + v + "_" + q + ", " + acc[v] + r + ");");
                }
            }
        }
    }

    /**
     * A load of {@code vt} (float4 or float) at element {@code at} of {@code base}. The streaming
     * kernels use float4 only where the row length and the offset are multiples of 4, so the address
     * is 16-byte aligned and the load can be one 128-bit access (vload4 promises only 4-byte alignment).
     */
    private static String load(String vt, String base, String at) {
        return vt.equals("float4") ? "*(__global const float4*) (" + base + " + " + at + ")" : "(" + base + ")[" + at + "]";
    }

    /**
     * The statements that finish result element (m, n) from its sums: {@code acc} (gate for the dual
     * epilogues) and {@code up}.
     */
    private static void epilogue(ClWriter o, Mm mm, String m, String n, String acc, String up) {
        int cols = mm.n();
        switch (mm.epilogue()) {
            case STORE -> o.line("out[(" + m + ") * " + cols + " + " + n + "] = " + acc + ";");
            case BIAS -> o.line("out[(" + m + ") * " + cols + " + " + n + "] = " + acc + " + bias[" + n + "];");
            case GATE_UP -> {
                String row = "(" + m + ") * " + 2 * cols;
                o.line("out[" + row + " + " + ClSwiGlu.gateAt(mm.layout(), cols, "(" + n + ")") + "] = " + acc + ";");
                o.line("out[" + row + " + " + ClSwiGlu.upAt(mm.layout(), cols, "(" + n + ")") + "] = " + up + ";");
            }
            case SWIGLU -> {
                o.open("");
                o.line("float gate = " + acc + ";");
                o.line("float up = " + up + ";");
                if (mm.limit().isPresent()) {
                    String l = ClText.floatLit(mm.limit().getAsDouble());
                    o.line("gate = gate > " + l + " ? " + l + " : gate;");
                    o.line("up = up < -" + l + " ? -" + l + " : up;");
                    o.line("up = up > " + l + " ? " + l + " : up;");
                }
                o.line("out[(" + m + ") * " + cols + " + " + n + "] = " + ClElementwise.gate(mm.glu(), "gate") + " * "
                        + ClElementwise.up(mm.glu(), "up") + ";");
                o.close();
            }
        }
    }

    // ---- the tiled kernel ----

    private static void tileKernel(ClGen g, Mm mm, String m, Tile t) {
        ClWriter o = g.out();
        int k = mm.k();
        int n = mm.n();
        int tx = t.bn() / t.tn();
        int ty = t.bm() / t.tm();
        if (tx * ty != THREADS) {
            throw new IllegalStateException("tile " + t + " has " + tx * ty + " work-items");
        }
        String[] ws = mm.dual() ? new String[] {"wg", "wu"} : new String[] {"w"};
        String[] acc = mm.dual() ? new String[] {"g", "u"} : new String[] {"c"};
        int lda = t.bm() + 4;
        int ldb = t.bn() + (mm.transposed() ? 4 : 0);
        int perA = t.bm() * t.bk() / THREADS;
        int perB = t.bn() * t.bk() / THREADS;
        int steps = (k + t.bk() - 1) / t.bk();
        boolean kRagged = k % t.bk() != 0;
        boolean nRagged = n % t.bn() != 0;
        String ct = t.cw() == 1 ? "float" : "float" + t.cw();
        String rt = "float" + t.rw();
        g.begin(t.variant(), params(g, mm),
                "a group of " + tx + " x " + ty + " work-items computes a " + t.bm() + " x " + t.bn() + " tile of the result"
                        + (mm.dual() ? " (" + t.bn() + " columns of gate and of up)" : "") + "; work-item (i, j) owns "
                        + t.tm() + " rows x " + t.tn() + " columns of it" + (mm.dual() ? " per weight" : "") + ", in "
                        + t.rs() + " x " + t.cs() + " blocks of " + t.rw() + " x " + t.cw() + " spread over the tile",
                "K = " + k + " in " + steps + " steps of " + t.bk() + ": the step's " + t.bm() + " x " + t.bk() + " slice of x and "
                        + t.bk() + " x " + t.bn() + " slice of " + (mm.dual() ? "each weight" : "w") + (mm.transposed() ? " (read along"
                        + " the rows of the [N, K] weight)" : "") + " staged in local memory, the next step's already in registers",
                "per k of a step: " + t.tm() + " values of x and " + t.tn() + " of " + (mm.dual() ? "each weight" : "w")
                        + " from local memory, " + t.tm() * t.tn() * ws.length + " fused multiply-adds into the accumulators",
                epilogueStep(mm) + "; rows past M" + (nRagged ? " and columns past N" : "") + " are not stored");
        o.line("const int tx = get_local_id(0);");
        o.line("const int ty = get_local_id(1);");
        o.line("const int t = ty * " + tx + " + tx;");
        o.line("const int n0 = get_group_id(0) * " + t.bn() + ";");
        o.line("const int m0 = get_group_id(1) * " + t.bm() + ";");
        o.line("const int rows = " + m + ";");
        // Declared as float4 so that every vector read of them is one aligned 128-bit access; written as floats.
        o.line("__local float4 xs4[" + t.bk() * lda / 4 + "];");
        o.line("__local float* xs = (__local float*) xs4;");
        for (String w : ws) {
            o.line("__local float4 " + w + "s4[" + t.bk() * ldb / 4 + "];");
            o.line("__local float* " + w + "s = (__local float*) " + w + "s4;");
        }
        o.line("float ra[" + perA + "];");
        for (String w : ws) {
            o.line("float r" + w + "[" + perB + "];");
        }
        for (String a : acc) {
            for (int i = 0; i < t.tm(); i++) {
                for (int s = 0; s < t.cs(); s++) {
                    o.line(ct + " " + a + i + "_" + s + " = 0.0f;");
                }
            }
        }
        // Loads of step k0 into registers: element e = t + q * THREADS of each slice.
        ClWriter loads = new ClWriter();
        for (int q = 0; q < perA; q++) {
            String e = "(t + " + q * THREADS + ")";
            String row = "m0 + " + e + " / " + t.bk();
            String kk = "k0 + " + e + " % " + t.bk();
            String guard = "(" + row + ") < rows" + (kRagged ? " && (" + kk + ") < " + k : "");
            loads.line("ra[" + q + "] = " + guard + " ? x[(" + row + ") * " + k + " + " + kk + "] : 0.0f;");
        }
        for (String w : ws) {
            for (int q = 0; q < perB; q++) {
                String e = "(t + " + q * THREADS + ")";
                String nn;
                String kk;
                String at;
                if (mm.transposed()) {
                    nn = "n0 + " + e + " / " + t.bk();
                    kk = "k0 + " + e + " % " + t.bk();
                    at = "(" + nn + ") * " + k + " + " + kk;
                } else {
                    nn = "n0 + " + e + " % " + t.bn();
                    kk = "k0 + " + e + " / " + t.bn();
                    at = "(" + kk + ") * " + n + " + " + nn;
                }
                List<String> conds = new ArrayList<>();
                if (nRagged) {
                    conds.add("(" + nn + ") < " + n);
                }
                if (kRagged) {
                    conds.add("(" + kk + ") < " + k);
                }
                String read = w + "[" + at + "]";
                loads.line("r" + w + "[" + q + "] = " + (conds.isEmpty() ? read : String.join(" && ", conds) + " ? " + read + " : 0.0f") + ";");
            }
        }
        ClWriter stores = new ClWriter();
        for (int q = 0; q < perA; q++) {
            String e = "(t + " + q * THREADS + ")";
            stores.line("xs[" + e + " % " + t.bk() + " * " + lda + " + " + e + " / " + t.bk() + "] = ra[" + q + "];");
        }
        for (String w : ws) {
            for (int q = 0; q < perB; q++) {
                String e = "(t + " + q * THREADS + ")";
                String at = mm.transposed() ? e + " % " + t.bk() + " * " + ldb + " + " + e + " / " + t.bk()
                        : e + " / " + t.bn() + " * " + ldb + " + " + e + " % " + t.bn();
                stores.line(w + "s[" + at + "] = r" + w + "[" + q + "];");
            }
        }
        o.line("int k0 = 0;");
        o.lines(loads.toString());
        o.open("for (int step = 0; step < " + steps + "; step++)");
        o.lines(stores.toString());
        o.line("barrier(CLK_LOCAL_MEM_FENCE);");
        o.open("if (step + 1 < " + steps + ")");
        o.line("k0 += " + t.bk() + ";");
        o.lines(loads.toString());
        o.close();
        o.line("#pragma unroll");
        o.open("for (int kk = 0; kk < " + t.bk() + "; kk++)");
        for (int rs = 0; rs < t.rs(); rs++) {
            o.line("const " + rt + " a" + rs + " = xs4[kk * " + lda / 4 + " + " + rs * (t.bm() / t.rs()) / 4 + " + ty];");
        }
        for (String w : ws) {
            for (int cs = 0; cs < t.cs(); cs++) {
                String at = "kk * " + ldb / t.cw() + " + " + cs * (t.bn() / t.cs()) / t.cw() + " + tx";
                o.line("const " + ct + " " + w + cs + " = " + switch (t.cw()) {
                    case 4 -> w + "s4[" + at + "]";
                    case 1 -> w + "s[" + at + "]";
                    default -> "((__local " + ct + "*) " + w + "s4)[" + at + "]";
                } + ";");
            }
        }
        for (int v = 0; v < ws.length; v++) {
            for (int i = 0; i < t.tm(); i++) {
                String ai = "a" + i / t.rw() + ".s" + i % t.rw();
                for (int cs = 0; cs < t.cs(); cs++) {
                    String c = acc[v] + i + "_" + cs;
                    o.line(c + " = fma((" + ct + ") " + ai + ", " + ws[v] + cs + ", " + c + ");");
                }
            }
        }
        o.close();
        o.line("barrier(CLK_LOCAL_MEM_FENCE);");
        o.close();
        for (int i = 0; i < t.tm(); i++) {
            String row = "m0 + " + (i / t.rw()) * (t.bm() / t.rs()) + " + ty * " + t.rw() + " + " + i % t.rw();
            o.open("if (" + row + " < rows)");
            for (int cs = 0; cs < t.cs(); cs++) {
                for (int lane = 0; lane < t.cw(); lane++) {
                    String col = "n0 + " + cs * (t.bn() / t.cs()) + " + tx * " + t.cw() + " + " + lane;
                    String sfx = t.cw() == 1 ? "" : ".s" + lane;
                    String first = acc[0] + i + "_" + cs + sfx;
                    String second = mm.dual() ? acc[1] + i + "_" + cs + sfx : null;
                    if (nRagged) {
                        o.open("if (" + col + " < " + n + ")");
                        epilogue(o, mm, row, col, first, second);
                        o.close();
                    } else {
                        epilogue(o, mm, row, col, first, second);
                    }
                }
            }
            o.close();
        }
        g.end();
    }
}
