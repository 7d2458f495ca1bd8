package dev.fusec.codegen;

import dev.fusec.ir.Layout;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.runtime.KernelSource;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Matrix-multiply kernels: matmul, linear, gate_up and gate_up_swiglu share one design.
 * Weights are packed once (at load time) into K-major panels of NR = 2 vectors of columns; a
 * register-blocked micro-kernel computes an MR x NR tile of the result over the whole K with its
 * accumulators in local variables (one per row and vector), A broadcast one element at a time.
 * Panels are split across threads, so each thread streams its own share of the weights once per
 * row block; a decode call (one row) is the MR = 1 tile over every panel: one pass over the weights.
 * The dual kernels (gate_up, gate_up_swiglu) hold gate and up accumulators side by side and read
 * both panels in the same k loop; gate_up_swiglu applies silu(gate) * up to the registers before
 * its single store, so gate and up never reach memory.
 */
final class MatMulKernels {
    private MatMulKernels() {}

    /** What happens to the accumulators at the end of a tile. */
    private enum Epilogue { STORE, BIAS, GATE_UP, SWIGLU }

    private record Shape2(String x, String w1, String w2, String bias, boolean transposed, int k, int n,
                          Epilogue epilogue, Layout layout, OptionalDouble limit) {}

    static KernelSource generate(Gen g) {
        Shape2 s = switch (g.node().op()) {
            case Op.MatMul m -> plan(g, m.a(), m.b(), null, null, m.transposeB(), Epilogue.STORE, Layout.HALVES, OptionalDouble.empty());
            case Op.Linear l -> plan(g, l.x(), l.w(), null, l.bias().orElse(null), true,
                    l.bias().isPresent() ? Epilogue.BIAS : Epilogue.STORE, Layout.HALVES, OptionalDouble.empty());
            case Op.GateUp gu -> plan(g, gu.x(), gu.wGate(), gu.wUp(), null, gu.transposeB(), Epilogue.GATE_UP, gu.layout(),
                    OptionalDouble.empty());
            case Op.GateUpSwiGlu gu -> plan(g, gu.x(), gu.wGate(), gu.wUp(), null, gu.transposeB(), Epilogue.SWIGLU,
                    gu.glu().layout(), gu.glu().limit());
            default -> throw new IllegalArgumentException("not a matmul: " + g.node().op().opName());
        };
        boolean dual = s.w2() != null;
        int lanes = g.species().lanes();
        int nr = 2 * lanes;
        // Accumulators must fit the register file with room for the B vectors and the broadcast:
        // 32 vector registers with AVX-512 (16 lanes), 16 with AVX2.
        boolean wide = lanes == 16;
        int mr = dual ? (wide ? 6 : 3) : (wide ? 12 : 6);
        int panels = (s.n() + nr - 1) / nr;
        int ldc = s.epilogue() == Epilogue.GATE_UP ? 2 * s.n() : s.n();
        Shape x = g.shapeOf(s.x());
        String rows = g.ext().product(x, 0, x.rank() - 1);

        KernelClass k = g.start(
                "at load time, pack each weight into " + panels + " K-major panels of NR = " + nr + " columns (zero-padded)",
                "split the panels across threads; for each panel, walk the " + rows + " rows in tiles of MR = " + mr
                        + " (a smaller tile for the rest; one row is the decode path: a single stream over the weights)",
                "per tile: " + (dual ? "4" : "2") + " accumulator vectors per row live in registers for the whole K = " + s.k()
                        + " loop: load the panel's " + (dual ? "gate and up vectors" : "two vectors") + " for k, broadcast "
                        + "A[row, k], fused multiply-add",
                switch (s.epilogue()) {
                    case STORE -> "store the tile (masked past column " + s.n() + ")";
                    case BIAS -> "add the bias vectors, then store the tile";
                    case GATE_UP -> "store gate and up where layout=" + s.layout() + " puts them in the [.., " + 2 * s.n() + "] result";
                    case SWIGLU -> "in registers: h = silu(gate" + s.limit().stream().mapToObj(l -> " clamped above at " + l)
                            .findFirst().orElse("") + ") * up" + s.limit().stream().mapToObj(l -> " clamped to +-" + l)
                            .findFirst().orElse("") + "; store h only";
                });
        k.constant("K", Integer.toString(s.k())).constant("N", Integer.toString(s.n())).constant("NR", Integer.toString(nr))
                .constant("PANELS", Integer.toString(panels)).constant("MR", Integer.toString(mr))
                .constant("LDC", Integer.toString(ldc)).constant("TRANSPOSED", Boolean.toString(s.transposed()));
        s.limit().ifPresent(l -> k.constant("LIMIT", ElementwiseKernels.floatLit(l)));
        k.prepare(dual ? new int[] {1, 2} : new int[] {1}, "return Packing.panels(data, K, N, NR, TRANSPOSED, par);\n");

        String b2 = dual ? "a2, " : "";
        String bias = s.epilogue() == Epilogue.BIAS ? "a2, " : "";
        String out = "r0";
        k.run(g.arrays() + "final int m = " + rows + ";\n"
                + "par.forRange(PANELS, 1, (p0, p1) -> {\n"
                + "    for (int p = p0; p < p1; p++) {\n"
                + "        panel(a0, a1, " + b2 + bias + out + ", m, p);\n"
                + "    }\n"
                + "});\n");

        List<String> panelParams = new ArrayList<>(List.of("float[] a", "float[] b"));
        if (dual) {
            panelParams.add("float[] b2");
        }
        if (s.epilogue() == Epilogue.BIAS) {
            panelParams.add("float[] bias");
        }
        panelParams.addAll(List.of("float[] c", "int m", "int p"));
        String tileArgs = "a, i * K, b, " + (dual ? "b2, " : "") + "p * K * NR, c, i * LDC + col, col, m0, m1"
                + (s.epilogue() == Epilogue.BIAS ? ", bias0, bias1" : "");
        StringBuilder panel = new StringBuilder("""
                final int col = p * NR;
                final VectorMask<Float> m0 = S.indexInRange(col, N);
                final VectorMask<Float> m1 = S.indexInRange(col + L, N);
                """);
        if (s.epilogue() == Epilogue.BIAS) {
            panel.append("final FloatVector bias0 = FloatVector.fromArray(S, bias, col, m0);\n");
            panel.append("final FloatVector bias1 = FloatVector.fromArray(S, bias, col + L, m1);\n");
        }
        panel.append("int i = 0;\n");
        panel.append("for (; i + MR <= m; i += MR) {\n    tile").append(mr).append("(").append(tileArgs).append(");\n}\n");
        panel.append("switch (m - i) {\n");
        for (int r = 1; r < mr; r++) {
            panel.append("    case ").append(r).append(" -> tile").append(r).append("(").append(tileArgs).append(");\n");
        }
        panel.append("    default -> { }\n}\n");
        k.helper("void", "panel", panelParams, panel.toString());

        for (int r = 1; r <= mr; r++) {
            List<String> params = new ArrayList<>(List.of("float[] a", "int aOff", "float[] b"));
            if (dual) {
                params.add("float[] b2");
            }
            params.addAll(List.of("int bOff", "float[] c", "int cOff", "int col", "VectorMask<Float> m0", "VectorMask<Float> m1"));
            if (s.epilogue() == Epilogue.BIAS) {
                params.addAll(List.of("FloatVector bias0", "FloatVector bias1"));
            }
            k.helper("void", "tile" + r, params, tile(r, dual, s));
        }
        return k.build();
    }

    private static Shape2 plan(Gen g, String x, String w1, String w2, String bias, boolean transposed, Epilogue e,
                               Layout layout, OptionalDouble limit) {
        Shape w = g.shapeOf(w1);
        int k = (int) (transposed ? w.dim(1) : w.dim(0)).value();
        int n = (int) (transposed ? w.dim(0) : w.dim(1)).value();
        return new Shape2(x, w1, w2, bias, transposed, k, n, e, layout, limit);
    }

    /** The micro-kernel for {@code rows} rows: accumulators, the k loop, the epilogue. */
    private static String tile(int rows, boolean dual, Shape2 s) {
        StringBuilder t = new StringBuilder();
        List<String> accs = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            accs.add("c" + r + "_0");
            accs.add("c" + r + "_1");
            if (dual) {
                accs.add("u" + r + "_0");
                accs.add("u" + r + "_1");
            }
        }
        for (String acc : accs) {
            t.append("FloatVector ").append(acc).append(" = FloatVector.zero(S);\n");
        }
        t.append("for (int k = 0; k < K; k++) {\n");
        t.append("    final FloatVector b0 = FloatVector.fromArray(S, b, bOff + k * NR);\n");
        t.append("    final FloatVector b1 = FloatVector.fromArray(S, b, bOff + k * NR + L);\n");
        if (dual) {
            t.append("    final FloatVector v0 = FloatVector.fromArray(S, b2, bOff + k * NR);\n");
            t.append("    final FloatVector v1 = FloatVector.fromArray(S, b2, bOff + k * NR + L);\n");
        }
        for (int r = 0; r < rows; r++) {
            t.append("    final FloatVector x").append(r).append(" = FloatVector.broadcast(S, a[aOff + ")
                    .append(r == 0 ? "" : r + " * K + ").append("k]);\n");
            t.append("    c").append(r).append("_0 = x").append(r).append(".fma(b0, c").append(r).append("_0);\n");
            t.append("    c").append(r).append("_1 = x").append(r).append(".fma(b1, c").append(r).append("_1);\n");
            if (dual) {
                t.append("    u").append(r).append("_0 = x").append(r).append(".fma(v0, u").append(r).append("_0);\n");
                t.append("    u").append(r).append("_1 = x").append(r).append(".fma(v1, u").append(r).append("_1);\n");
            }
        }
        t.append("}\n");
        for (int r = 0; r < rows; r++) {
            String row = "cOff + " + r + " * LDC";
            switch (s.epilogue()) {
                case STORE -> {
                    t.append("c").append(r).append("_0.intoArray(c, ").append(row).append(", m0);\n");
                    t.append("c").append(r).append("_1.intoArray(c, ").append(row).append(" + L, m1);\n");
                }
                case BIAS -> {
                    t.append("c").append(r).append("_0.add(bias0).intoArray(c, ").append(row).append(", m0);\n");
                    t.append("c").append(r).append("_1.add(bias1).intoArray(c, ").append(row).append(" + L, m1);\n");
                }
                case GATE_UP -> t.append(gateUpStore(r, row, s.layout()));
                case SWIGLU -> {
                    for (int h = 0; h < 2; h++) {
                        String gate = "c" + r + "_" + h;
                        String up = "u" + r + "_" + h;
                        if (s.limit().isPresent()) {
                            t.append(gate).append(" = ").append(gate).append(".min(LIMIT);\n");
                            t.append(up).append(" = ").append(up).append(".max(-LIMIT).min(LIMIT);\n");
                        }
                        t.append(gate).append(".div(").append(gate).append(".neg().lanewise(VectorOperators.EXP).add(1f)).mul(")
                                .append(up).append(").intoArray(c, ").append(row).append(h == 0 ? "" : " + L")
                                .append(", m").append(h).append(");\n");
                    }
                }
            }
        }
        return t.toString();
    }

    /** Gate columns go where the layout says; interleaved pairs are written lane by lane. */
    private static String gateUpStore(int r, String row, Layout layout) {
        StringBuilder t = new StringBuilder();
        String rowStart = "(" + row + " - col)";
        for (int h = 0; h < 2; h++) {
            String gate = "c" + r + "_" + h;
            String up = "u" + r + "_" + h;
            String colExpr = "col" + (h == 0 ? "" : " + L");
            switch (layout) {
                case HALVES, SWAPPED -> {
                    String gOff = layout == Layout.HALVES ? "0" : "N";
                    String uOff = layout == Layout.HALVES ? "N" : "0";
                    t.append(gate).append(".intoArray(c, ").append(rowStart).append(" + ").append(gOff).append(" + ").append(colExpr)
                            .append(", m").append(h).append(");\n");
                    t.append(up).append(".intoArray(c, ").append(rowStart).append(" + ").append(uOff).append(" + ").append(colExpr)
                            .append(", m").append(h).append(");\n");
                }
                case INTERLEAVED -> {
                    t.append("for (int j = 0; j < L && ").append(colExpr).append(" + j < N; j++) {\n");
                    t.append("    c[").append(rowStart).append(" + 2 * (").append(colExpr).append(" + j)] = ").append(gate).append(".lane(j);\n");
                    t.append("    c[").append(rowStart).append(" + 2 * (").append(colExpr).append(" + j) + 1] = ").append(up).append(".lane(j);\n");
                    t.append("}\n");
                }
            }
        }
        return t.toString();
    }
}
