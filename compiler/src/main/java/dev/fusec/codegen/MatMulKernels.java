package dev.fusec.codegen;

import dev.fusec.ir.Activation;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.runtime.KernelSource;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Matrix-multiply kernels: matmul, linear, gate_up and gate_up_swiglu share one design.
 * Weights are packed once (at load time) into K-major panels of NR columns; a register-blocked
 * micro-kernel computes an MR x NR tile of the result over the whole K with its accumulators in
 * local variables (one per row and vector), A broadcast one element at a time. Panels are split
 * across threads, so each thread streams its own share of the weights once per row tile; a
 * decode call (one row) walks a thread's panels as four long sequential weight streams (see
 * {@link #rowPanels}): one pass over the weights; two to six rows walk two panels side by side
 * (see {@link #pairTile}). The dual kernels (gate_up, gate_up_swiglu) are
 * the same 2-vector micro-kernel with one gate and one up vector per row: their weights are packed
 * into shared panels, the gate's NR columns and the up's side by side at each k, so one stream
 * feeds both (two separate streams measured 3-8% slower at decode); gate_up_swiglu turns each
 * finished tile into silu(gate) * up while it is still in L1, so the gate and up tensors are never
 * written.
 */
final class MatMulKernels {
    private MatMulKernels() {}

    /** What happens to the accumulators at the end of a tile. */
    private enum Epilogue { STORE, BIAS, GATE_UP, SWIGLU }

    /**
     * One kernel's plan. {@code layout}, {@code limit} and {@code act} belong to the dual epilogues
     * (gate_up places by layout; gate_up_swiglu clamps by limit and applies act); the plain ones pass
     * the defaults, which they never read.
     */
    private record Shape2(String x, String w1, String w2, String bias, boolean transposed, int k, int n,
                          Epilogue epilogue, Layout layout, OptionalDouble limit, Activation act, Glu glu, String widen) {}

    static KernelSource generate(Gen g, Op.MatMul m) {
        return generate(g, plan(g, m.a(), m.b(), null, null, m.transposeB(), Epilogue.STORE, Glu.DEFAULT));
    }

    static KernelSource generate(Gen g, Op.Linear l) {
        return generate(g, plan(g, l.x(), l.w(), null, l.bias().orElse(null), true,
                l.bias().isPresent() ? Epilogue.BIAS : Epilogue.STORE, Glu.DEFAULT));
    }

    static KernelSource generate(Gen g, Op.GateUp gu) {
        return generate(g, plan(g, gu.x(), gu.wGate(), gu.wUp(), null, gu.transposeB(), Epilogue.GATE_UP,
                Glu.DEFAULT.withLayout(gu.layout())));
    }

    static KernelSource generate(Gen g, Op.GateUpSwiGlu gu) {
        return generate(g, plan(g, gu.x(), gu.wGate(), gu.wUp(), null, gu.transposeB(), Epilogue.SWIGLU, gu.glu()));
    }

    private static KernelSource generate(Gen g, Shape2 s) {
        boolean dual = s.w2() != null;
        int lanes = g.species().lanes();
        // Accumulators must fit the register file with room for the B vectors and the broadcast:
        // 32 vector registers with AVX-512 (16 lanes), 16 with AVX2. Plain: MR rows x 2 vectors of
        // one panel; dual: MR rows x (1 gate + 1 up) vector, NR = 1 vector of each weight side by
        // side in one shared panel. Both are the same 2-vector-wide micro-kernel, so each k step loads
        // two vectors (128 B) for 2 * MR FMAs; a dual tile of 2 vectors per weight would stream twice
        // the panel bytes per FMA from L2 and measured at well under half the FMA rate.
        boolean wide = lanes == 16;
        int vpr = dual ? 1 : 2; // swigluRowsAlone relies on one vector per weight for dual tiles
        int nr = vpr * lanes;
        // Floats per k of a packed panel; a 16-bit panel packs the same 2L slots into L floats.
        int pw = s.widen() != null ? lanes : dual ? 2 * nr : nr;
        int mr = wide ? 12 : 6;
        int panels = (s.n() + nr - 1) / nr;
        int ldc = s.epilogue() == Epilogue.GATE_UP ? 2 * s.n() : s.n();
        Shape x = g.shapeOf(s.x());
        String rows = g.ext().product(x, 0, x.rank() - 1);

        // Rows of A a multiple of 2 KiB long are copied to a stride one cache line longer (Packing.strideRows).
        int lda = s.k() % 512 == 0 ? s.k() + 16 : s.k();
        // A long K is walked in blocks, so that the block of a panel a tile reads (KC x NR floats,
        // at most 256 KiB) stays in L2 while the row tiles pass over it. The partial sums go to the
        // result between blocks, so only kernels that store plain sums are blocked: gate_up_swiglu
        // needs the whole sum before its epilogue, and its K (the hidden size) is the short one.
        boolean blocked = (s.epilogue() == Epilogue.STORE || s.epilogue() == Epilogue.BIAS) && s.k() > MAX_KC + MAX_KC / 4;
        int kBlocks = (s.k() + MAX_KC - 1) / MAX_KC;
        int kc = blocked ? (s.k() + kBlocks - 1) / kBlocks : s.k();
        // A few rows (2 to PAIR_ROWS) walk two panels side by side, over the whole K: see pairTile.
        int pairRows = wide ? 6 : 2;
        KernelClass k = g.start(
                (dual ? "at load time, pack the gate and up weights into " + panels + " shared K-major panels, NR = " + nr
                        + " columns of each side by side at every k (zero-padded)"
                        : "at load time, pack the weight into " + panels + " K-major panels of NR = " + nr + " columns (zero-padded)")
                        + (lda == s.k() ? "" : "; per call, copy the rows of " + s.x() + " to a stride of " + lda
                        + " floats, so the MR rows of a tile do not share L1 cache sets"),
                "split the panels across threads; for each panel, walk the " + rows + " rows in tiles of MR = " + mr
                        + " (a smaller tile for the rest); one row (decode) walks a thread's panels in " + group(s)
                        + " contiguous parts side by side, " + group(s) + " sequential weight streams, one pass over the weights"
                        + "; 2 to " + pairRows + " rows walk the panels in pairs (p, p + PANELS / 2), two weight"
                        + " streams per thread",
                "per tile: " + (dual ? 2 * vpr : vpr) + " accumulator vectors per row live in registers for the "
                        + (blocked ? "K = " + s.k() + " loop, walked in " + kBlocks + " blocks of KC = " + kc
                        + " (partial sums stored to the result between blocks; one to " + pairRows + " rows take the whole K at once)"
                        : "whole K = " + s.k() + " loop")
                        + ": load the panel's " + (dual ? "gate and up vectors" : "two vectors") + " for k, broadcast "
                        + "A[row, k], fused multiply-add",
                switch (s.epilogue()) {
                    case STORE -> "store the tile (masked past column " + s.n() + ")";
                    case BIAS -> "add the bias vectors, then store the tile";
                    case GATE_UP -> "store gate and up where layout=" + s.layout() + " puts them in the [.., " + 2 * s.n() + "] result";
                    case SWIGLU -> "as the tile leaves the registers: h = " + s.act() + "(gate" + s.limit().stream().mapToObj(l -> " clamped above at " + l)
                            .findFirst().orElse("") + ") * up" + s.limit().stream().mapToObj(l -> " clamped to +-" + l)
                            .findFirst().orElse("") + ": the gate vectors go to h's own lines and up to an MR-vector"
                            + " scratch (both stay in L1), then one pass over the tile's rows turns them into h;"
                            + " no [.., " + s.n() + "] gate or up tensor ever exists";
                });
        k.constant("K", Integer.toString(s.k())).constant("LDA", Integer.toString(lda)).constant("N", Integer.toString(s.n()))
                .constant("NR", Integer.toString(nr)).constant("PW", Integer.toString(pw))
                .constant("VPR", Integer.toString(vpr))
                .constant("PANELS", Integer.toString(panels)).constant("MR", Integer.toString(mr))
                .constant("LDC", Integer.toString(ldc)).constant("TRANSPOSED", Boolean.toString(s.transposed()));
        if (blocked) {
            k.constant("KC", Integer.toString(kc));
        }
        k.constant("PAIR_ROWS", Integer.toString(pairRows));
        s.limit().ifPresent(l -> k.constant("LIMIT", ElementwiseKernels.floatLit(l)));
        if (s.epilogue() == Epilogue.GATE_UP && s.layout() == Layout.INTERLEAVED) {
            SwiGluKernels.zipShuffles(k);
        }
        if (s.widen() != null) {
            k.prepare(new int[] {1}, dual ? new int[] {1, 2} : new int[] {1}, "return Packing.panels16(operands[1], stored[1], "
                    + (dual ? "operands[2], stored[2]" : "null, null") + ", " + s.widen().equals("f16") + ", K, N, NR, L, TRANSPOSED, par);\n");
        } else if (dual) {
            k.prepare(new int[] {1}, new int[] {1, 2},
                    "return Packing.panelPairs(operands[1], stored[1], operands[2], stored[2], K, N, NR, TRANSPOSED, par);\n");
        } else {
            k.prepare(new int[] {1}, new int[] {1}, "return Packing.panels(operands[1], stored[1], K, N, NR, TRANSPOSED, par);\n");
        }

        String bias = s.epilogue() == Epilogue.BIAS ? "a2, " : "";
        String out = "r0";
        String strided = lda == s.k() ? "final float[] a = a0;\n"
                : "final float[] a = m > 1 ? Packing.strideRows(a0, m, K, LDA, par) : a0;\n";
        k.run(g.arrays() + "final int m = " + rows + ";\n"
                + "if (m == 1) {\n"
                + "    par.forRange(PANELS, 1, (p0, p1) -> rowPanels(a0, a1, " + bias + out + ", p0, p1));\n"
                + "    return;\n"
                + "}\n"
                + strided
                + "if (m <= PAIR_ROWS) {\n"
                + "    final int half = PANELS / 2;\n"
                + "    par.forRange(half, 1, (q0, q1) -> {\n"
                + "        for (int p = q0; p < q1; p++) {\n"
                + "            pair(a, a1, " + bias + out + ", m, p, p + half);\n"
                + "        }\n"
                + "    });\n"
                + "    if (PANELS % 2 != 0) {\n"
                + "        panel(a, a1, " + bias + out + ", m, PANELS - 1);\n"
                + "    }\n"
                + "    return;\n"
                + "}\n"
                + "par.forRange(PANELS, 1, (p0, p1) -> {\n"
                + "    for (int p = p0; p < p1; p++) {\n"
                + "        panel(a, a1, " + bias + out + ", m, p);\n"
                + "    }\n"
                + "});\n");

        List<String> panelParams = new ArrayList<>(List.of("float[] a", "float[] b"));
        if (s.epilogue() == Epilogue.BIAS) {
            panelParams.add("float[] bias");
        }
        panelParams.addAll(List.of("float[] c", "int m", "int p"));
        StringBuilder tileArgs = new StringBuilder("a, i * LDA, b, p * K * PW, c, i * LDC + col, col");
        StringBuilder panel = new StringBuilder("final int col = p * NR;\n");
        if (s.epilogue() == Epilogue.SWIGLU) {
            panel.append("final float[] upTile = Scratch.rows(MR * L);\n");
            tileArgs.append(", upTile");
        }
        if (s.epilogue() == Epilogue.BIAS) {
            tileArgs.append(", bias");
        }
        if (blocked) {
            panel.append("for (int k0 = 0; k0 < K; k0 += KC) {\n");
            panel.append("    final int k1 = Math.min(K, k0 + KC);\n");
            panel.append(tileWalk("ktile", tileArgs + ", k0, k1", mr).indent(4));
            panel.append("}\n");
        } else {
            panel.append(tileWalk("tile", tileArgs.toString(), mr));
        }
        k.helper("void", "panel", panelParams, panel.toString());

        for (int r = 1; r <= mr; r++) {
            List<String> params = new ArrayList<>(List.of("float[] a", "int aOff", "float[] b"));
            params.addAll(List.of("int bOff", "float[] c", "int cOff", "int col"));
            if (s.epilogue() == Epilogue.SWIGLU) {
                params.add("float[] upTile");
            }
            if (s.epilogue() == Epilogue.BIAS) {
                params.add("float[] bias");
            }
            if (blocked) {
                k.helper("void", "ktile" + r, concat(params, "int k0", "int k1"), blockedTile(r, vpr, s));
            } else {
                k.helper("void", "tile" + r, params, tile(r, dual, vpr, s));
            }
        }
        List<String> rowParams = panelParams.subList(0, panelParams.size() - 2); // all but "int m", "int p"
        k.helper("void", "rowPanels", concat(rowParams, "int p0", "int p1"), rowPanels(s));
        for (int group : new int[] {group(s), 1}) {
            List<String> params = s.epilogue() == Epilogue.SWIGLU ? concat(rowParams, "float[] upTile") : rowParams;
            k.helper("void", "rowTile" + group, concat(params, "int p", "int stride"), rowTile(group, dual, vpr, s));
        }
        StringBuilder pair = new StringBuilder();
        String pairArgs = "a, b, " + (s.epilogue() == Epilogue.BIAS ? "bias, " : "") + "c, "
                + (s.epilogue() == Epilogue.SWIGLU ? "upTile, " : "") + "p, p2";
        if (s.epilogue() == Epilogue.SWIGLU) {
            pair.append("final float[] upTile = Scratch.rows(PAIR_ROWS * L);\n");
        }
        pair.append("switch (m) {\n");
        for (int r = 2; r < pairRows; r++) {
            pair.append("    case ").append(r).append(" -> pairTile").append(r).append("(").append(pairArgs).append(");\n");
        }
        pair.append("    default -> pairTile").append(pairRows).append("(").append(pairArgs).append(");\n}\n");
        k.helper("void", "pair", concat(panelParams, "int p2"), pair.toString());
        List<String> params = s.epilogue() == Epilogue.SWIGLU ? concat(rowParams, "float[] upTile") : rowParams;
        for (int r = 2; r <= pairRows; r++) {
            k.helper("void", "pairTile" + r, concat(params, "int p", "int p2"), pairTile(r, dual, vpr, s));
        }
        if (s.epilogue() == Epilogue.SWIGLU) {
            // A full panel (all but the last, when N is no multiple of L) takes unmasked loads and stores;
            // the last one's columns are done one at a time (a masked second copy of SiLU passed C2's
            // inlining budget in this method, was refused and boxed).
            k.helper("void", "swigluRowsAlone", List.of("float[] c", "int cOff", "float[] upTile", "int rows", "int col"), """
                    if (col + L <= N) {
                        for (int r = 0; r < rows; r++) {
                            final FloatVector gate = FloatVector.fromArray(S, c, cOff + r * LDC);
                            final FloatVector up = FloatVector.fromArray(S, upTile, r * L);
                            %1$s.mul(%3$s).intoArray(c, cOff + r * LDC);
                        }
                        return;
                    }
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < N - col; j++) {
                            final float gate = c[cOff + r * LDC + j];
                            c[cOff + r * LDC + j] = %2$s * %4$s;
                        }
                    }
                    """.formatted(ElementwiseKernels.vectorGate(s.glu(), "gate"), ElementwiseKernels.scalarGate(s.glu(), "gate"),
                    ElementwiseKernels.upTerm(s.glu(), "up", true), ElementwiseKernels.upTerm(s.glu(), "upTile[r * L + j]", false)));
        }
        return k.build();
    }

    /** Rows in tiles of MR ({@code <name>MR}), then one smaller tile for the rest. */
    private static String tileWalk(String name, String args, int mr) {
        StringBuilder w = new StringBuilder("int i = 0;\n");
        w.append("for (; i + MR <= m; i += MR) {\n    ").append(name).append(mr).append("(").append(args).append(");\n}\n");
        w.append("switch (m - i) {\n");
        for (int r = 1; r < mr; r++) {
            w.append("    case ").append(r).append(" -> ").append(name).append(r).append("(").append(args).append(");\n");
        }
        return w.append("    default -> { }\n}\n").toString();
    }

    private static Shape2 plan(Gen g, String x, String w1, String w2, String bias, boolean transposed, Epilogue e, Glu glu) {
        Shape w = g.shapeOf(w1);
        int k = (int) (transposed ? w.dim(1) : w.dim(0)).value();
        int n = (int) (transposed ? w.dim(0) : w.dim(1)).value();
        // bf16 and f16 weights are packed and read at 16 bits (Packing.panels16); f32 ones at 32.
        String widen = switch (g.types().get(w1).dtype()) {
            case BF16 -> "bf16";
            case F16 -> "f16";
            case F32, F8E4M3 -> null;
        };
        return new Shape2(x, w1, w2, bias, transposed, k, n, e, glu.layout(), glu.limit(), glu.act(), glu, widen);
    }

    /** The longest K block of a blocked kernel: 2048 x 32 floats of a panel, 256 KiB. */
    private static final int MAX_KC = 2048;

    /** Panels the decode path reads side by side (see {@link #rowPanels}). */
    private static final int GROUP = 4;

    /**
     * Decode streams per thread: GROUP, twice that for 16-bit panels, whose k-rows are half as long,
     * so that a k step still reads as many bytes (and keeps as many cache-line misses in flight).
     */
    private static int group(Shape2 s) {
        return GROUP;
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    /** The micro-kernel for {@code rows} rows: accumulators, the k loop, the epilogue. */
    private static String tile(int rows, boolean dual, int vpr, Shape2 s) {
        StringBuilder t = new StringBuilder(columns(vpr, s));
        for (int r = 0; r < rows; r++) {
            for (int v = 0; v < vpr; v++) {
                t.append("FloatVector c").append(r).append('_').append(v).append(" = FloatVector.zero(S);\n");
                if (dual) {
                    t.append("FloatVector u").append(r).append('_').append(v).append(" = FloatVector.zero(S);\n");
                }
            }
        }
        t.append(kLoop(rows, dual, vpr, "0", "K", s.widen()));
        return t.append(epilogue(rows, vpr, s)).toString();
    }

    /** The k loop of a tile over [from, to): load the panel's vectors for k, broadcast A[row, k], FMA. */
    private static String kLoop(int rows, boolean dual, int vpr, String from, String to, String widen) {
        StringBuilder t = new StringBuilder();
        t.append("for (int k = ").append(from).append("; k < ").append(to).append("; k++) {\n");
        if (widen != null) {
            t.append(wideLoads("bOff", "q", "b0", dual ? "w0" : "b1", widen));
        }
        for (int v = 0; v < vpr && widen == null; v++) {
            t.append("    final FloatVector b").append(v).append(" = FloatVector.fromArray(S, b, ").append(at("bOff", v)).append(");\n");
            if (dual) {
                t.append("    final FloatVector w").append(v).append(" = FloatVector.fromArray(S, b, ").append(at("bOff", vpr + v))
                        .append(");\n");
            }
        }
        for (int r = 0; r < rows; r++) {
            t.append("    final FloatVector x").append(r).append(" = FloatVector.broadcast(S, a[aOff + ")
                    .append(r == 0 ? "" : r + " * LDA + ").append("k]);\n");
            for (int v = 0; v < vpr; v++) {
                t.append("    c").append(r).append('_').append(v).append(" = x").append(r).append(".fma(b").append(v)
                        .append(", c").append(r).append('_').append(v).append(");\n");
                if (dual) {
                    t.append("    u").append(r).append('_').append(v).append(" = x").append(r).append(".fma(w").append(v)
                            .append(", u").append(r).append('_').append(v).append(");\n");
                }
            }
        }
        return t.append("}\n").toString();
    }

    /**
     * A tile of a K-blocked kernel over k in [k0, k1): the accumulators start from zero in the first
     * block and from the stored partial sums after it, and the bias is added after the last block.
     */
    private static String blockedTile(int rows, int vpr, Shape2 s) {
        StringBuilder t = new StringBuilder(columns(vpr, s));
        for (int r = 0; r < rows; r++) {
            for (int v = 0; v < vpr; v++) {
                t.append("FloatVector c").append(r).append('_').append(v).append(" = k0 == 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, c, cOff + ")
                        .append(r).append(" * LDC").append(v == 0 ? "" : " + " + v + " * L").append(", m").append(v).append(");\n");
            }
        }
        t.append(kLoop(rows, false, vpr, "k0", "k1", s.widen()));
        if (s.epilogue() == Epilogue.BIAS) {
            t.append("if (k1 == K) {\n");
            for (int r = 0; r < rows; r++) {
                for (int v = 0; v < vpr; v++) {
                    t.append("    c").append(r).append('_').append(v).append(" = c").append(r).append('_').append(v).append(".add(bias")
                            .append(v).append(");\n");
                }
            }
            t.append("}\n");
        }
        for (int r = 0; r < rows; r++) {
            for (int v = 0; v < vpr; v++) {
                t.append("c").append(r).append('_').append(v).append(".intoArray(c, cOff + ").append(r).append(" * LDC")
                        .append(v == 0 ? "" : " + " + v + " * L").append(", m").append(v).append(");\n");
            }
        }
        return t.toString();
    }

    /**
     * The decode path (one row of A): a matrix-vector product, bound by the speed at which one core
     * streams the weights. A thread's range of panels is cut into GROUP contiguous parts that are
     * walked side by side, one panel of each at a time (a dual kernel's panel holds its gate and its
     * up columns). Panels lie one after another in the packed weight, so each part is a single
     * sequential stream across all of its panels: a few long streams the prefetchers follow. The
     * previous design read each panel as four K segments, which start fresh short streams at every
     * panel (14-28 KiB long at Qwen2.5-0.5B's K = 896). In back-to-back `fusec bench` runs on one
     * core, Qwen2.5-0.5B's gate-up went from 1.9-2.0 ms to 1.2-1.3 ms fused and from 1.45-1.55 ms
     * to 1.16-1.21 ms unfused. Each panel's sum is one chain over k = 0..K-1, whichever group it is
     * in, so results do not depend on the thread count.
     */
    private static String rowPanels(Shape2 s) {
        boolean swiglu = s.epilogue() == Epilogue.SWIGLU;
        String args = "a, b, " + (s.epilogue() == Epilogue.BIAS ? "bias, " : "") + "c, " + (swiglu ? "upTile, " : "");
        return (swiglu ? "final float[] upTile = Scratch.rows(L);\n" : "")
                + "final int part = (p1 - p0) / " + group(s) + ";\n"
                + "for (int p = p0; p < p0 + part; p++) {\n"
                + "    rowTile" + group(s) + "(" + args + "p, part);\n"
                + "}\n"
                + "for (int p = p0 + " + group(s) + " * part; p < p1; p++) {\n"
                + "    rowTile1(" + args + "p, 0);\n"
                + "}\n";
    }

    /** Panels p, p + stride, ..., of one row: the k loop over the whole K, then each panel's epilogue. */
    private static String rowTile(int group, boolean dual, int vpr, Shape2 s) {
        StringBuilder t = new StringBuilder();
        for (int q = 0; q < group; q++) {
            t.append("final int o").append(q).append(" = ").append(panel(q)).append(" * K * PW;\n");
            for (int v = 0; v < vpr; v++) {
                t.append("FloatVector c").append(q).append('s').append(v).append(" = FloatVector.zero(S);\n");
                if (dual) {
                    t.append("FloatVector u").append(q).append('s').append(v).append(" = FloatVector.zero(S);\n");
                }
            }
        }
        t.append("for (int k = 0; k < K; k++) {\n");
        t.append("    final FloatVector x = FloatVector.broadcast(S, a[k]);\n");
        for (int q = 0; q < group && s.widen() != null; q++) {
            // One load of 2L 16-bit weights feeds both accumulators of the panel.
            t.append("    final IntVector q").append(q).append(" = FloatVector.fromArray(S, b, o").append(q).append(" + k * PW).reinterpretAsInts();\n");
            String hiAcc = dual ? "u" + q + "s0" : "c" + q + "s1";
            t.append("    c").append(q).append("s0 = x.fma(VectorMath.").append(s.widen()).append("Lo(q").append(q).append("), c").append(q).append("s0);\n");
            t.append("    ").append(hiAcc).append(" = x.fma(VectorMath.").append(s.widen()).append("Hi(q").append(q).append("), ").append(hiAcc).append(");\n");
        }
        for (int q = 0; q < group && s.widen() == null; q++) {
            for (int v = 0; v < vpr; v++) {
                t.append("    c").append(q).append('s').append(v).append(" = x.fma(FloatVector.fromArray(S, b, ").append(at("o" + q, v))
                        .append("), c").append(q).append('s').append(v).append(");\n");
                if (dual) {
                    t.append("    u").append(q).append('s').append(v).append(" = x.fma(FloatVector.fromArray(S, b, ")
                            .append(at("o" + q, vpr + v)).append("), u").append(q).append('s').append(v).append(");\n");
                }
            }
        }
        t.append("}\n");
        for (int q = 0; q < group; q++) {
            StringBuilder e = new StringBuilder();
            e.append("final int col = ").append(panel(q)).append(" * NR;\n");
            e.append("final int cOff = col;\n");
            e.append(columns(vpr, s));
            for (int v = 0; v < vpr; v++) {
                e.append("FloatVector c0_").append(v).append(" = c").append(q).append('s').append(v).append(";\n");
                if (dual) {
                    e.append("FloatVector u0_").append(v).append(" = u").append(q).append('s').append(v).append(";\n");
                }
            }
            e.append(epilogue(1, vpr, s));
            t.append("{\n").append(e.toString().indent(4)).append("}\n");
        }
        return t.toString();
    }

    /**
     * A few rows (2 to PAIR_ROWS) against panels p and p2 = p + PANELS / 2 at once: the k loop loads
     * both panels' vectors and feeds every row's accumulators (4 per row), then each panel has the
     * prefill tile's epilogue. Walked panel after panel, a thread reads one sequential weight stream,
     * and a single stream is what bounds a few rows: in a loop over TinyLlama-sized gate-up panels
     * with four rows, one stream ran at 20.6 GB/s, two side by side at 26.3 and three at 26.8. Each
     * panel's sums are the same chains over k as in a prefill tile, so the results are too. A kernel
     * that blocks K takes the whole K here: blocks keep a panel's slice in L2 for the next row tile,
     * and a few rows are one tile (a stored and reloaded partial sum is the same float, so the
     * blocked path gives the same bits).
     */
    private static String pairTile(int rows, boolean dual, int vpr, Shape2 s) {
        StringBuilder t = new StringBuilder("final int o0 = p * K * PW;\nfinal int o1 = p2 * K * PW;\n");
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < 2; q++) {
                for (int v = 0; v < vpr; v++) {
                    t.append("FloatVector c").append(r).append('p').append(q).append('s').append(v).append(" = FloatVector.zero(S);\n");
                    if (dual) {
                        t.append("FloatVector u").append(r).append('p').append(q).append('s').append(v).append(" = FloatVector.zero(S);\n");
                    }
                }
            }
        }
        t.append("for (int k = 0; k < K; k++) {\n");
        for (int q = 0; q < 2 && s.widen() != null; q++) {
            t.append(wideLoads("o" + q, "q" + q, "b" + q + "s0", dual ? "w" + q + "s0" : "b" + q + "s1", s.widen()));
        }
        for (int q = 0; q < 2 && s.widen() == null; q++) {
            for (int v = 0; v < vpr; v++) {
                t.append("    final FloatVector b").append(q).append('s').append(v).append(" = FloatVector.fromArray(S, b, ")
                        .append(at("o" + q, v)).append(");\n");
                if (dual) {
                    t.append("    final FloatVector w").append(q).append('s').append(v).append(" = FloatVector.fromArray(S, b, ")
                            .append(at("o" + q, vpr + v)).append(");\n");
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            t.append("    final FloatVector x").append(r).append(" = FloatVector.broadcast(S, a[")
                    .append(r == 0 ? "" : r + " * LDA + ").append("k]);\n");
            for (int q = 0; q < 2; q++) {
                for (int v = 0; v < vpr; v++) {
                    String acc = r + "p" + q + "s" + v;
                    t.append("    c").append(acc).append(" = x").append(r).append(".fma(b").append(q).append('s').append(v)
                            .append(", c").append(acc).append(");\n");
                    if (dual) {
                        t.append("    u").append(acc).append(" = x").append(r).append(".fma(w").append(q).append('s').append(v)
                                .append(", u").append(acc).append(");\n");
                    }
                }
            }
        }
        t.append("}\n");
        for (int q = 0; q < 2; q++) {
            StringBuilder e = new StringBuilder();
            e.append("final int col = ").append(q == 0 ? "p" : "p2").append(" * NR;\n");
            e.append("final int cOff = col;\n");
            e.append(columns(vpr, s));
            for (int r = 0; r < rows; r++) {
                for (int v = 0; v < vpr; v++) {
                    String acc = r + "p" + q + "s" + v;
                    e.append("FloatVector c").append(r).append('_').append(v).append(" = c").append(acc).append(";\n");
                    if (dual) {
                        e.append("FloatVector u").append(r).append('_').append(v).append(" = u").append(acc).append(";\n");
                    }
                }
            }
            e.append(epilogue(rows, vpr, s));
            t.append("{\n").append(e.toString().indent(4)).append("}\n");
        }
        return t.toString();
    }

    /**
     * For the panel starting at column {@code col}: the mask of each of its VPR vectors (false past
     * column N) as {@code m<v>}. A method makes its own masks rather than taking them as parameters:
     * a masked store first asks {@code m.allTrue()}, and on a mask that came in as a parameter C2
     * knows only the interface, so it compiled that as a virtual call it could not inline, one per
     * store, with every live vector spilled around it (in {@code perf}, 1.2% of a prefill tile's samples
     * were in the called {@code allTrue} alone). A mask made here by {@code indexInRange} has an
     * exact type, and the test is inlined.
     */
    private static String masks(int vpr) {
        StringBuilder t = new StringBuilder();
        for (int v = 0; v < vpr; v++) {
            String at = "col" + (v == 0 ? "" : " + " + v + " * L");
            t.append("final VectorMask<Float> m").append(v).append(" = S.indexInRange(").append(at).append(", N);\n");
        }
        return t.toString();
    }

    /**
     * The panel's masks ({@link #masks}) and, with a bias, its bias vectors as {@code bias<v>}, loaded
     * by the method that adds them: a vector passed to a method C2 does not inline is boxed, and a
     * tile that took its bias vectors as parameters ran its epilogue on vectors of unknown class,
     * allocating 150 KB per call of a [29, 64] x [64, 96] linear (the allocation test's projections).
     */
    private static String columns(int vpr, Shape2 s) {
        StringBuilder t = new StringBuilder(masks(vpr));
        if (s.epilogue() == Epilogue.BIAS) {
            for (int v = 0; v < vpr; v++) {
                String at = "col" + (v == 0 ? "" : " + " + v + " * L");
                t.append("final FloatVector bias").append(v).append(" = FloatVector.fromArray(S, bias, ").append(at)
                        .append(", m").append(v).append(");\n");
            }
        }
        return t.toString();
    }

    /**
     * The two weight vectors of step k of a 16-bit panel starting at {@code base}: one load of L ints,
     * each holding two weights (Packing.panels16), widened into {@code lo} (slots 0..L-1) and {@code hi}.
     */
    private static String wideLoads(String base, String q, String lo, String hi, String widen) {
        return "    final IntVector " + q + " = FloatVector.fromArray(S, b, " + base + " + k * PW).reinterpretAsInts();\n"
                + "    final FloatVector " + lo + " = VectorMath." + widen + "Lo(" + q + ");\n"
                + "    final FloatVector " + hi + " = VectorMath." + widen + "Hi(" + q + ");\n";
    }

    /** Where the {@code v}-th vector of a packed panel starting at {@code base} lies for step k. */
    private static String at(String base, int v) {
        return base + " + k * PW" + (v == 0 ? "" : " + " + v + " * L");
    }

    /** The index of the {@code q}-th panel of a decode group. */
    private static String panel(int q) {
        return q == 0 ? "p" : "(p + " + q + " * stride)";
    }

    /** Stores the accumulators {@code c<row>_<v>} (and {@code u<row>_<v>}) as the epilogue says. */
    private static String epilogue(int rows, int vpr, Shape2 s) {
        StringBuilder t = new StringBuilder();
        if (s.epilogue() == Epilogue.GATE_UP && s.layout() == Layout.INTERLEAVED) {
            // The masks of the 2 L floats of (gate, up) pairs a row's panel writes (one vector of each).
            t.append("final VectorMask<Float> z0 = S.indexInRange(2 * col, 2 * N);\n");
            t.append("final VectorMask<Float> z1 = S.indexInRange(2 * col + L, 2 * N);\n");
        }
        for (int r = 0; r < rows; r++) {
            String row = "cOff + " + r + " * LDC";
            for (int v = 0; v < vpr; v++) {
                String acc = "c" + r + "_" + v;
                String up = "u" + r + "_" + v;
                String at = row + (v == 0 ? "" : " + " + v + " * L");
                switch (s.epilogue()) {
                    case STORE -> t.append(acc).append(".intoArray(c, ").append(at).append(", m").append(v).append(");\n");
                    case BIAS -> t.append(acc).append(".add(bias").append(v).append(").intoArray(c, ").append(at)
                            .append(", m").append(v).append(");\n");
                    case GATE_UP -> t.append(gateUpStore(acc, up, row, v, s.layout()));
                    case SWIGLU -> {
                        if (s.limit().isPresent()) {
                            t.append(acc).append(" = ").append(acc).append(".min(LIMIT);\n");
                            t.append(up).append(" = ").append(up).append(".max(-LIMIT).min(LIMIT);\n");
                        }
                        // The gate lands where h goes and up in a tile-sized scratch, both in L1; swigluRowsAlone
                        // then overwrites the gate with silu(gate) * up. One copy of the exp code for the
                        // whole tile: twelve inlined copies make the method too large for C2 to keep the
                        // accumulators in registers (measured: 10x slower). It is never inlined into the
                        // tile (the launcher's rule for *Alone methods): inlined, its SiLU could pass C2's
                        // NodeCountInliningCutoff, be refused and box. Not lanewise(EXP): its compiled
                        // and interpreted forms differ in the last bit, so a run's results would depend on
                        // whether C2 had compiled the kernel yet.
                        t.append(acc).append(".intoArray(c, ").append(at).append(", m").append(v).append(");\n");
                        t.append(up).append(".intoArray(upTile, ").append(r).append(" * L);\n");
                    }
                }
            }
        }
        if (s.epilogue() == Epilogue.SWIGLU) {
            t.append("swigluRowsAlone(c, cOff, upTile, ").append(rows).append(", col);\n");
        }
        return t.toString();
    }

    /** Gate columns go where the layout says; interleaved pairs are written lane by lane. */
    private static String gateUpStore(String gate, String up, String row, int v, Layout layout) {
        StringBuilder t = new StringBuilder();
        String rowStart = "(" + row + " - col)";
        String colExpr = "col" + (v == 0 ? "" : " + " + v + " * L");
        switch (layout) {
            case HALVES, SWAPPED -> {
                String gOff = layout == Layout.HALVES ? "0" : "N";
                String uOff = layout == Layout.HALVES ? "N" : "0";
                t.append(gate).append(".intoArray(c, ").append(rowStart).append(" + ").append(gOff).append(" + ").append(colExpr)
                        .append(", m").append(v).append(");\n");
                t.append(up).append(".intoArray(c, ").append(rowStart).append(" + ").append(uOff).append(" + ").append(colExpr)
                        .append(", m").append(v).append(");\n");
            }
            case INTERLEAVED -> {
                // (gate, up) pairs zipped by two two-vector rearranges: 2 L floats from 2 * col, under
                // masks z0 and z1 past column N. (Lane by lane, gate-up ran 24-30% slower than in halves.)
                String at = rowStart + " + 2 * (" + colExpr + ")";
                t.append(gate).append(".rearrange(ZIP_LO, ").append(up).append(").intoArray(c, ").append(at).append(", z0);\n");
                t.append(gate).append(".rearrange(ZIP_HI, ").append(up).append(").intoArray(c, ").append(at).append(" + L, z1);\n");
            }
        }
        return t.toString();
    }
}
