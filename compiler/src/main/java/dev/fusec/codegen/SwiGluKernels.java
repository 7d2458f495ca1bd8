package dev.fusec.codegen;

import dev.fusec.ir.Activation;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.runtime.KernelSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The SwiGLU family (and GeGLU: the same ops with act=gelu or gelu_tanh). Forward ops make one pass:
 * each row of y [.., 2I] is read once (gate and up vectors at the layout's offsets; interleaved pairs
 * split apart with two lane shuffles), the bias added, the limit applied, act(gate) * up (* the row's
 * weight) computed in registers, and the row of the result written once (exact GELU's act(gate),
 * interleaved and with a bias, first into scratch by a method of its own: see forward). Backward ops
 * are vector loops too, in every layout (an input saved in fp8 is read through a vector e4m3 rounding
 * that gives the scalar one's bits).
 */
final class SwiGluKernels {
    private SwiGluKernels() {}

    private record Parts(String y, String bias, String weights, Glu glu) {}

    static KernelSource forward(Gen g, Op.SwiGlu s) {
        return forward(g, new Parts(s.y(), null, null, s.glu()));
    }

    static KernelSource forward(Gen g, Op.BiasSwiGlu s) {
        return forward(g, new Parts(s.y(), s.bias(), null, s.glu()));
    }

    static KernelSource forward(Gen g, Op.WeightedSwiGlu s) {
        return forward(g, new Parts(s.y(), null, s.weights(), s.glu()));
    }

    static KernelSource forward(Gen g, Op.WeightedBiasSwiGlu s) {
        return forward(g, new Parts(s.y(), s.bias(), s.weights(), s.glu()));
    }

    private static KernelSource forward(Gen g, Parts p) {
        Shape y = g.shapeOf(p.y());
        int width = (int) y.last().value();
        int half = width / 2;
        Glu glu = p.glu();
        Layout layout = glu.layout();
        boolean hasBias = p.bias() != null;
        boolean weighted = p.weights() != null;
        // Exact GELU is some 16,000 of C2's parser nodes. Beside the interleaved layout's shuffles and a
        // bias (the band's shared vectors, or the row's own) it passed NodeCountInliningCutoff
        // (bench/jit-check: refused, its vectors boxed). There, as in the backward, act(gate) is
        // computed first, by a method compiled on its own, into scratch d that the step then reads.
        // That costs 1.3-1.5x the inline step (a pass of arithmetic, then one of memory, where inline
        // they overlap), so every other kernel keeps its activation inline.
        String staging = glu.act() == Activation.GELU && layout == Layout.INTERLEAVED && hasBias ? "VectorMath.gelu" : null;
        boolean staged = staging != null;
        List<String> steps = new ArrayList<>(List.of("split the rows of y [.., " + width + "] across threads"));
        if (hasBias) {
            steps.add(Bands.ROWS + " rows at a time side by side (the rest one by one), each vector of the bias loaded once for them");
        }
        if (staged) {
            steps.add("per row: a = " + glu.act() + "(gate" + (hasBias ? " + bias" : "") + (glu.limit().isPresent() ? ", clamped" : "")
                    + ") of a chunk of its columns into a row of scratch, by a method compiled on its own (GELU fills most"
                    + " of a method's inlining budget), then that chunk's products");
        }
        String product = (staged ? "a" : glu.alpha() != 1.0 ? "gate * sigmoid(" + glu.alpha() + " * gate)" : glu.act() + "(gate)")
                + " * " + (glu.beta() != 0.0 ? "(up + " + glu.beta() + ")" : "up") + (weighted ? " * w[row]" : "");
        steps.add("per row: " + (layout == Layout.INTERLEAVED
                        ? "load two vectors of (gate, up) pairs and separate " + (staged ? "the ups" : "them") + " with lane shuffles"
                        : "load the gate vector at offset " + layout.gateIndex(0, half) + " and up at " + layout.upIndex(0, half))
                        + (hasBias ? ", add the bias" : "")
                        + (glu.limit().isPresent() ? ", clamp (" + (staged ? "" : "gate <= limit, ") + "|up| <= limit)" : "")
                        + ", h = " + product + ", store h; scalar code for the tail");
        KernelClass k = g.start(steps.toArray(String[]::new));
        int go = layout.gateIndex(0, half);
        int uo = layout.upIndex(0, half);
        k.constant("W", Integer.toString(width)).constant("I", Integer.toString(half));
        glu.limit().ifPresent(l -> k.constant("LIMIT", ElementwiseKernels.floatLit(l)));
        String rows = g.ext().product(y, 0, y.rank() - 1);
        int bias = hasBias ? g.node().op().operands().indexOf(p.bias()) : -1;
        int weights = weighted ? g.node().op().operands().indexOf(p.weights()) : -1;
        String out = "args[" + g.node().op().operands().size() + "]";
        k.run("final int rows = " + rows + ";\n"
                + "final float[] y = args[0];\n"
                + "final float[] bias = " + (bias < 0 ? "null" : "args[" + bias + "]") + ";\n"
                + "final float[] w = " + (weights < 0 ? "null" : "args[" + weights + "]") + ";\n"
                + "final float[] out = " + out + ";\n"
                + "par.forRange(rows, Math.max(1, 8192 / I), (q0, q1) -> apply(y, bias, w, out, q0, q1));\n");

        boolean limit = glu.limit().isPresent();
        String clampV = (limit && !staged ? "g = g.min(LIMIT);\n" : "") + (limit ? "u = u.max(-LIMIT).min(LIMIT);\n" : "");
        String clampS = (limit && !staged ? "g = Math.min(g, LIMIT);\n" : "") + (limit ? "u = Math.max(-LIMIT, Math.min(u, LIMIT));\n" : "");
        String gos = Integer.toString(go);
        String uos = Integer.toString(uo);
        if (layout == Layout.INTERLEAVED) {
            splitShuffles(k);
        }
        if (staged) {
            stagedRow(k, "actRowAlone", glu, hasBias, staging);
        }
        String gi = layout == Layout.INTERLEAVED ? "2 * j" : gos + " + j";
        String ui = layout == Layout.INTERLEAVED ? "2 * j + 1" : uos + " + j";
        // One row's vector of columns from j, and its scalar columns past the last full vector; a
        // staged row's activations are in d from the row's offset dOff ("" or "q * I + ").
        Function<String, String> store = dOff -> (staged ? "FloatVector.fromArray(S, d, " + dOff + "j)"
                : ElementwiseKernels.vectorGate(glu, "g")) + ".mul(" + ElementwiseKernels.upTerm(glu, "u", true) + ")"
                + (weighted ? ".mul(ws)" : "") + ".intoArray(out, ob + j);\n";
        Function<String, String> rowTail = dOff -> half % g.species().lanes() == 0 ? "" : """
                for (int j = I / L * L; j < I; j++) {
                    %1$sfloat u = y[yb + %2$s]%3$s;
                    %4$s
                    out[ob + j] = %5$s * %7$s%6$s;
                }
                """.formatted(staged ? "" : "float g = y[yb + " + gi + "]" + (hasBias ? " + bias[" + gi + "]" : "") + ";\n    ",
                ui, hasBias ? " + bias[" + ui + "]" : "", JavaText.nested(clampS, 4),
                staged ? "d[" + dOff + "j]" : ElementwiseKernels.scalarGate(glu, "g"), weighted ? " * w[r]" : "",
                ElementwiseKernels.upTerm(glu, "u", false));
        String rowStart = "final int yb = r * W;\nfinal int ob = r * I;\n";
        String weightVector = weighted ? "final FloatVector ws = FloatVector.broadcast(S, w[r]);\n" : "";
        String rowVector = forwardLoads(layout, gos, uos, hasBias ? biasTerms(layout, "bias", gos, uos, false) : null, !staged)
                + clampV + store.apply("");
        if (staged) {
            k.constant("CH", "L * " + Math.max(1, STAGED_CHUNK / g.species().lanes()));
        }
        if (hasBias) {
            // The bias row (2I floats) does not fit in L1 and was read again from L2 for every row.
            k.constant("BAND", Integer.toString(Bands.ROWS));
            String tail = rowTail.apply("q * I + ");
            List<String> params = new ArrayList<>(List.of("float[] y", "float[] bias", "float[] w", "float[] out", "int r0"));
            if (staged) {
                params.add(4, "float[] d");
            }
            k.helper("void", "bandAlone", params,
                    columns(staged ? "for (int q = 0; q < BAND; q++) {\n    actRowAlone(y, (r0 + q) * W, bias, d, q * I, c, e);\n}" : null,
                            biasLoads(layout, "bias", gos, uos) + Bands.eachRow("q", rowStart + weightVector
                                    + forwardLoads(layout, gos, uos, biasTerms(layout, "bias", gos, uos, true), !staged) + clampV
                                    + store.apply("q * I + ")))
                    + (tail.isEmpty() ? "" : Bands.eachRow("q", rowStart + tail)));
        }
        k.helper("void", "apply", Gen.params("float[] y", "float[] bias", "float[] w", "float[] out", "int from", "int to"), """
                %1$sint r = from;
                %2$s
                for (; r < to; r++) {
                    %3$s
                    %4$s
                    %5$s
                    %6$s
                }
                """.formatted(staged ? "final float[] d = Scratch.rows(" + (hasBias ? "BAND * I" : "I") + ");\n" : "",
                hasBias ? Bands.whole("bandAlone(y, bias, w, out, " + (staged ? "d, " : "") + "r)") : "",
                JavaText.nested(rowStart, 4), JavaText.nested(weightVector, 4),
                JavaText.nested(columns(staged ? "actRowAlone(y, r * W, bias, d, 0, c, e);" : null, rowVector), 4),
                JavaText.nested(rowTail.apply(""), 4)));
        return k.build();
    }

    /**
     * What each of the two vectors a step loads from y adds: the bias vectors at its columns, from
     * {@code array} in the step ({@code shared} false) or once for a band of rows by {@link #biasLoads}
     * (true). The two vectors are gate and up (their columns from {@code gateAt} and {@code upAt}
     * plus j), or, interleaved, the two halves of L (gate, up) pairs.
     */
    private static String[] biasTerms(Layout layout, String array, String gateAt, String upAt, boolean shared) {
        if (layout == Layout.INTERLEAVED) {
            return shared ? new String[] {"b0", "b1"}
                    : new String[] {"FloatVector.fromArray(S, " + array + ", 2 * j)", "FloatVector.fromArray(S, " + array + ", 2 * j + L)"};
        }
        return shared ? new String[] {"bg", "bu"}
                : new String[] {"FloatVector.fromArray(S, " + array + ", " + gateAt + " + j)",
                        "FloatVector.fromArray(S, " + array + ", " + upAt + " + j)"};
    }

    /** The bias vectors of columns from j, loaded once for a band of rows. */
    private static String biasLoads(Layout layout, String array, String gateAt, String upAt) {
        String[] names = biasTerms(layout, array, gateAt, upAt, true);
        String[] loads = biasTerms(layout, array, gateAt, upAt, false);
        return "final FloatVector " + names[0] + " = " + loads[0] + ";\n" + "final FloatVector " + names[1] + " = " + loads[1] + ";\n";
    }

    /**
     * Gate g (unless {@code gate} is false) and up u of the row that starts at yb, at columns from j
     * (from {@code gateAt} and {@code upAt} plus j unless interleaved), with {@code bias} (two terms
     * from {@link #biasTerms}, or null) added.
     */
    private static String forwardLoads(Layout layout, String gateAt, String upAt, String[] bias, boolean gate) {
        String add0 = bias == null ? "" : ".add(" + bias[0] + ")";
        String add1 = bias == null ? "" : ".add(" + bias[1] + ")";
        if (layout == Layout.INTERLEAVED) {
            return "FloatVector v0 = FloatVector.fromArray(S, y, yb + 2 * j)" + add0 + ";\n"
                    + "FloatVector v1 = FloatVector.fromArray(S, y, yb + 2 * j + L)" + add1 + ";\n"
                    + (gate ? "FloatVector g = v0.rearrange(EVEN).blend(v1.rearrange(EVEN), HIGH);\n" : "")
                    + "FloatVector u = v0.rearrange(ODD).blend(v1.rearrange(ODD), HIGH);\n";
        }
        return (gate ? "FloatVector g = FloatVector.fromArray(S, y, yb + " + gateAt + " + j)" + add0 + ";\n" : "")
                + "FloatVector u = FloatVector.fromArray(S, y, yb + " + upAt + " + j)" + add1 + ";\n";
    }

    static KernelSource backward(Gen g, Op.SwiGluBack s) {
        return backwardVector(g, s.glu(), -1, -1);
    }

    /** bias is operand 2. */
    static KernelSource backward(Gen g, Op.BiasSwiGluBack s) {
        return backwardVector(g, s.glu(), 2, -1);
    }

    /** weights are operand 2. */
    static KernelSource backward(Gen g, Op.WeightedSwiGluBack s) {
        return backwardVector(g, s.glu(), -1, 2);
    }

    /** Rows per partial sum of db: float sums over 64 rows, added into double. */
    private static final int DB_ROWS = 64;

    /**
     * Backward on the vector species. Gate and up in halves (either order) are read as they are
     * stored; interleaved pairs are split with the forward's lane shuffles, and dgate and dup zipped
     * back into pairs for dy. dy is one pass over g and y, the rows split across threads. db (bias)
     * is a sum over rows: each chunk of 64 rows (one thread walks a chunk in order) keeps its float
     * sums per column, and the chunks are then added in order, in double. dw (weights) is a per-row
     * vector sum. Either way the order of every sum is fixed by the shapes, not the thread count, so
     * results do not depend on --threads.
     */
    private static KernelSource backwardVector(Gen g, Glu glu, int bias, int weights) {
        Op op = g.node().op();
        Shape y = g.operand(1);
        int width = (int) y.last().value();
        int half = width / 2;
        int go = glu.layout().gateIndex(0, half);
        int uo = glu.layout().upIndex(0, half);
        boolean limit = glu.limit().isPresent();
        boolean interleaved = glu.layout() == Layout.INTERLEAVED;
        boolean fp8 = glu.fp8InputStore();
        int tail = half % g.species().lanes();
        List<String> steps = new ArrayList<>();
        steps.add(bias >= 0 ? "split the rows across threads in chunks of " + DB_ROWS + " rows" : "split the rows across threads");
        if (bias >= 0) {
            steps.add(BACK_BAND + " rows at a time side by side (the last of a chunk one by one), each vector of the bias and of"
                    + " the chunk's db sums loaded once for them");
        }
        if (fp8) {
            steps.add("per row: y rounded to f8e4m3 as stored, into a row of scratch, by a method compiled on its own");
        }
        switch (glu.act()) {
            case SILU -> { }
            case GELU, GELU_TANH -> steps.add("per row: " + glu.act() + "'(gate) and " + glu.act() + "(gate) of all its columns into"
                    + " rows of scratch, each by a method compiled on its own (either fills most of a method's inlining budget)");
        }
        steps.add("per vector of columns: " + (interleaved ? "(gate, up) pairs at 2j, two vectors separated with lane shuffles"
                        : "gate at column " + (go == 0 ? "" : go + " + ") + "j and up at " + (uo == 0 ? "" : uo + " + ") + "j")
                + (bias >= 0 ? ", plus the bias" : "")
                + (limit ? ", clamped (a mask records where a clamp binds: no gradient there)" : "")
                + switch (glu.act()) {
                    case SILU -> "; s = sigmoid(gate); dgate = g' * up * s * (1 + gate * (1 - s)); dup = g' * gate * s";
                    case GELU, GELU_TANH -> "; a = " + glu.act() + "(gate); dgate = g' * up * " + glu.act() + "'(gate); dup = g' * a";
                }
                + ", with g' = g"
                + (weights >= 0 ? " * w[row]" : "") + "; store both" + (interleaved ? ", zipped back into pairs" : ""));
        if (tail != 0) {
            steps.add("the last " + tail + " columns of each row, fewer than L, one by one (scalar " + switch (glu.act()) {
                case SILU -> "sigmoid";
                case GELU, GELU_TANH -> glu.act() + " and its derivative";
            } + ")");
        }
        if (bias >= 0) {
            steps.add("db: per chunk, a float sum per column of its rows in order; then, split by columns, the chunks'"
                    + " sums added in double in order");
        } else if (weights >= 0) {
            steps.add("dw[row] = sum over the row of " + glu.act() + "(gate) * up * g: a vector of sums, its lanes added in order");
        }
        KernelClass k = g.start(steps.toArray(String[]::new));
        k.constant("W", Integer.toString(width)).constant("I", Integer.toString(half))
                .constant("GO", Integer.toString(go)).constant("UO", Integer.toString(uo));
        glu.limit().ifPresent(l -> k.constant("LIMIT", ElementwiseKernels.floatLit(l)));
        int n = op.operands().size();
        String rows = g.ext().product(y, 0, y.rank() - 1);
        StringBuilder run = new StringBuilder("final float[] g = args[0];\nfinal float[] y = args[1];\n");
        run.append("final float[] extra = ").append(bias >= 0 || weights >= 0 ? "args[2]" : "null").append(";\n");
        run.append("final float[] dy = args[").append(n).append("];\n");
        run.append("final float[] second = ").append(op.resultCount() == 2 ? "args[" + (n + 1) + "]" : "null").append(";\n");
        run.append("final int rows = ").append(rows).append(";\n");
        if (bias >= 0) {
            // Per chunk of rows, its float sums of dgate and dup per column ([gate | up], W floats),
            // written by the one thread that walks the chunk; then the chunks in order, in double.
            k.constant("DB_ROWS", Integer.toString(DB_ROWS));
            run.append("final int chunks = (rows + DB_ROWS - 1) / DB_ROWS;\n");
            run.append("final float[] partial = Scratch.zeroed(chunks * W);\n");
            run.append("par.forRange(chunks, 1, (c0, c1) -> rows(g, y, extra, dy, partial, c0 * DB_ROWS, Math.min(rows, c1 * DB_ROWS)));\n");
            run.append("par.forRange((I + L - 1) / L, 1, (c0, c1) -> sumChunks(partial, second, chunks, c0 * L, Math.min(I, c1 * L)));\n");
        } else {
            run.append("par.forRange(rows, Math.max(1, 4096 / I), (r0, r1) -> rows(g, y, extra, dy, second, r0, r1));\n");
        }
        k.run(run.toString());

        if (interleaved) {
            splitShuffles(k);
            zipShuffles(k);
        }
        String gi = interleaved ? "2 * j" : "GO + j";
        String ui = interleaved ? "2 * j + 1" : "UO + j";
        if (bias >= 0) {
            k.helper("void", "sumChunks", Gen.params("float[] partial", "float[] second", "int chunks", "int from", "int to"), """
                    for (int j = from; j < to; j++) {
                        double gate = 0;
                        double up = 0;
                        for (int c = 0; c < chunks; c++) {
                            gate += partial[c * W + j];
                            up += partial[c * W + I + j];
                        }
                        second[%s] = (float) gate;
                        second[%s] = (float) up;
                    }
                    """.formatted(gi, ui));
        }
        if (fp8) {
            // e4m3 is some 7,500 C2 parser nodes, sigmoid a few thousand more: two e4m3 and a sigmoid
            // in one loop passed NodeCountInliningCutoff (18,000, fixed in product JVMs), C2 then
            // refused to inline sigmoid, boxed its vectors (64 MiB of garbage per call at [512, 22016])
            // and ran 20x slower. Rounded apart (the launcher keeps *Alone methods out of their
            // callers), each loop stays well inside the budget.
            k.helper("void", "roundRowAlone", Gen.params("float[] y", "int at", "float[] q", "int qAt"), """
                    int j = 0;
                    for (; j <= W - L; j += L) {
                        VectorMath.e4m3(FloatVector.fromArray(S, y, at + j)).intoArray(q, qAt + j);
                    }
                    for (; j < W; j++) {
                        q[qAt + j] = Rounding.e4m3(y[at + j]);
                    }
                    """);
        }
        // Where gate and up are read: the row of y as passed, or its rounded copy.
        String src = fp8 ? "q" : "y";
        String at = fp8 ? "" : "r * W + ";
        // GELU and its derivative are each some 16,000 of C2's parser nodes, and a step that inlines
        // either beside its own loads, clamps and sums passes NodeCountInliningCutoff (VectorMath):
        // a row's derivatives and activations are computed first, each by a method compiled on its
        // own, into a scratch d (derivatives from 0, activations from DA) that the step then reads.
        String[] staging = switch (glu.act()) {
            case SILU -> null; // SiLU's step derives both from its own sigmoid, inline
            case GELU -> new String[] {"VectorMath.geluGrad", "VectorMath.gelu"};
            case GELU_TANH -> new String[] {"VectorMath.geluTanhGrad", "VectorMath.geluTanh"};
        };
        boolean staged = staging != null;
        if (staged) {
            k.constant("DA", bias >= 0 ? BACK_BAND + " * I" : "I");
            stagedRow(k, "gradRowAlone", glu, bias >= 0, staging[0]);
            stagedRow(k, "actRowAlone", glu, bias >= 0, staging[1]);
        }
        String rowStart = (fp8 ? "roundRowAlone(y, r * W, q, 0);\n" : "")
                + (staged ? stagedCalls(src, fp8 ? "0" : "r * W", "0") : "") + (weights >= 0 ? """
                final FloatVector wv = FloatVector.broadcast(S, extra[r]);
                FloatVector dw = FloatVector.zero(S);
                """ : bias >= 0 ? "final int p = r / DB_ROWS * W; // this row's chunk in partial (second)\n" : "");
        String accumulate = weights >= 0 ? "dw = " + activated(glu.act(), true) + ".mul(up).fma(gr, dw);"
                : bias >= 0 ? """
                FloatVector.fromArray(S, second, p + j).add(dGate).intoArray(second, p + j);
                FloatVector.fromArray(S, second, p + I + j).add(dUp).intoArray(second, p + I + j);
                """ : "";
        // Lane by lane in a fixed order: reduceLanes(ADD) may add in another order once C2 has
        // compiled the kernel, and a run's results must not depend on that. The scalar tail adds
        // its column j to lane j % L, as a masked vector step would.
        String rowEnd = weights >= 0 ? """
                final float[] lanes = dw.toArray();
                %s
                float sum = 0;
                for (float v : lanes) {
                    sum += v;
                }
                second[r] = sum;
                """.formatted(JavaText.nested(tail == 0 ? "" : scalarTail(glu, src, at, "", bias >= 0, true), 0))
                : tail == 0 ? "" : scalarTail(glu, src, at, "", bias >= 0, false);
        String[] biasPerRow = bias >= 0 ? biasTerms(glu.layout(), "extra", "GO", "UO", false) : null;
        if (bias >= 0) {
            // As in the forward kernel, rows side by side share each vector of the bias, and each
            // vector of their chunk's db sums is loaded and stored once for them, their terms added
            // in row order as before (the same bits). Two rows, not four: the backward has five
            // streams a row, and four rows of them side by side ran slower even without a bias. A
            // band never straddles two chunks: chunks start at multiples of DB_ROWS, which
            // BACK_BAND divides.
            k.constant("BAND", Integer.toString(BACK_BAND));
            String bandAt = fp8 ? "t * W + " : "r * W + ";
            String gradients = !staged ? "" : "\nfor (int t = 0; t < BAND; t++) {\n"
                    + JavaText.nested(stagedCalls(src, fp8 ? "t * W" : "(r0 + t) * W", "t * I"), 4) + "}";
            k.helper("void", "bandAlone", Gen.params("float[] g", "float[] y", "float[] extra", "float[] dy", "float[] second",
                    "float[] q", "float[] d", "int r0"), """
                    %1$s
                    final int p = r0 / DB_ROWS * W; // the band's chunk in partial (second)
                    for (int j = 0; j <= I - L; j += L) {
                        %2$s
                        FloatVector sumGate = FloatVector.fromArray(S, second, p + j);
                        FloatVector sumUp = FloatVector.fromArray(S, second, p + I + j);
                        %3$s
                        sumGate.intoArray(second, p + j);
                        sumUp.intoArray(second, p + I + j);
                    }
                    %4$s
                    """.formatted((fp8 ? "for (int t = 0; t < BAND; t++) {\n    roundRowAlone(y, (r0 + t) * W, q, t * W);\n}" : "")
                            + gradients,
                    JavaText.nested(biasLoads(glu.layout(), "extra", "GO", "UO"), 4),
                    JavaText.nested(Bands.eachRow("t", backwardStep(glu, src, bandAt, "t * I + ",
                            biasTerms(glu.layout(), "extra", "GO", "UO", true), false)
                            + "sumGate = sumGate.add(dGate);\nsumUp = sumUp.add(dUp);"), 4),
                    tail == 0 ? "" : Bands.eachRow("t", scalarTail(glu, src, bandAt, "t * I + ", true, false))));
        }
        // The fp8 scratch: a rounded row of y, or a band's rows, kept by the thread that walks them;
        // null without fp8.
        String scratch = "final float[] q = " + (!fp8 ? "null" : "Scratch.rows(" + (bias >= 0 ? "BAND * W" : "W") + ")") + ";\n"
                + "final float[] d = " + (!staged ? "null" : "Scratch.derivatives(2 * DA)") + ";";
        k.helper("void", "rows", Gen.params("float[] g", "float[] y", "float[] extra", "float[] dy", "float[] second",
                "int from", "int to"), """
                %1$s
                int r = from;
                %2$s
                for (; r < to; r++) {
                    %3$s
                    for (int j = 0; j <= I - L; j += L) {
                        %4$s
                        %5$s
                    }
                    %6$s
                }
                """.formatted(fp8 || bias >= 0 || staged ? scratch : "",
                bias >= 0 ? Bands.whole("bandAlone(g, y, extra, dy, second, q, d, r)") : "",
                JavaText.nested(rowStart, 4), JavaText.nested(backwardStep(glu, src, at, "", biasPerRow, weights >= 0), 8),
                JavaText.nested(accumulate, 8), JavaText.nested(rowEnd, 4)));
        return k.build();
    }

    /** The staged rows of one row of y at src[at..]: derivatives into d from dOff, activations from DA + dOff. */
    private static String stagedCalls(String src, String at, String dOff) {
        return "gradRowAlone(" + src + ", " + at + ", extra, d, " + dOff + ", 0, I);\n"
                + "actRowAlone(" + src + ", " + at + ", extra, d, DA + " + dOff + ", 0, I);\n";
    }

    /**
     * {@code name(src, at, extra, d, dOff, from, to)}: {@code fn}(gate) (a VectorMath function) of the
     * row of y at {@code src[at..]} (the bias in extra added, the limit applied) for its columns from
     * {@code from} to {@code to}, column j into {@code d[dOff + j]}. Never inlined (the launcher's rule for *Alone methods): GELU or its derivative fills most
     * of C2's inlining budget by itself.
     */
    private static void stagedRow(KernelClass k, String name, Glu glu, boolean bias, String grad) {
        boolean interleaved = glu.layout() == Layout.INTERLEAVED;
        String vector;
        if (interleaved) {
            vector = "FloatVector v0 = FloatVector.fromArray(S, src, at + 2 * j)" + (bias ? ".add(FloatVector.fromArray(S, extra, 2 * j))" : "")
                    + ";\nFloatVector v1 = FloatVector.fromArray(S, src, at + 2 * j + L)"
                    + (bias ? ".add(FloatVector.fromArray(S, extra, 2 * j + L))" : "") + ";\n"
                    + "FloatVector gate = v0.rearrange(EVEN).blend(v1.rearrange(EVEN), HIGH);\n";
        } else {
            vector = "FloatVector gate = FloatVector.fromArray(S, src, at + GO + j)" + (bias ? ".add(FloatVector.fromArray(S, extra, GO + j))" : "")
                    + ";\n";
        }
        boolean limit = glu.limit().isPresent();
        String gc = interleaved ? "2 * j" : "GO + j";
        k.helper("void", name, Gen.params("float[] src", "int at", "float[] extra", "float[] d", "int dOff", "int from", "int to"), """
                int j = from;
                for (; j <= to - L; j += L) {
                    %1$s
                    %2$s.intoArray(d, dOff + j);
                }
                for (; j < to; j++) {
                    float gate = src[at + %3$s]%4$s;
                    d[dOff + j] = %5$s;
                }
                """.formatted(JavaText.nested(vector + (limit ? "gate = gate.min(LIMIT);\n" : ""), 4), grad + "(gate)", gc,
                bias ? " + extra[" + gc + "]" : "", grad + "(" + (limit ? "Math.min(gate, LIMIT)" : "gate") + ")"));
    }

    /**
     * act(gate) in a backward step, vector or scalar: silu's from the step's sigmoid s, gelu's the
     * step's {@code act}.
     */
    private static String activated(Activation act, boolean vector) {
        return switch (act) {
            case SILU -> vector ? "gate.mul(s)" : "(float) Activations.silu(gate)";
            case GELU, GELU_TANH -> "act";
        };
    }

    /**
     * {@code body} for each full vector of columns from j; with {@code stage}, in chunks of CH columns
     * from c to e, each chunk's columns first staged by {@code stage} (its act(gate)), then its products.
     */
    private static String columns(String stage, String body) {
        if (stage == null) {
            return "for (int j = 0; j <= I - L; j += L) {\n    " + JavaText.nested(body, 4) + "\n}\n";
        }
        return "for (int c = 0; c < I; c += CH) {\n    final int e = Math.min(I, c + CH);\n    " + JavaText.nested(stage, 4)
                + "\n    for (int j = c; j <= e - L; j += L) {\n        " + JavaText.nested(body, 8) + "\n    }\n}\n";
    }

    /** Columns of a forward kernel's staged chunk (rounded down to a multiple of L). */
    private static final int STAGED_CHUNK = 512;

    /** Rows side by side in the bias backward's {@code bandAlone}. */
    private static final int BACK_BAND = 2;

    /**
     * One vector of columns of row r from column j: gate and up read from {@code src} at {@code at}
     * (the row's start) plus their column, {@code bias} (two terms from {@link #biasTerms}, or null)
     * added, dy written; leaves gate, up, s, gr, dGate and dUp for db and dw.
     */
    private static String backwardStep(Glu glu, String src, String at, String dAt, String[] bias, boolean weights) {
        StringBuilder t = new StringBuilder();
        if (glu.layout() == Layout.INTERLEAVED) {
            for (int v = 0; v < 2; v++) {
                String col = "2 * j" + (v == 0 ? "" : " + L");
                t.append("FloatVector v").append(v).append(" = FloatVector.fromArray(S, ").append(src).append(", ").append(at).append(col)
                        .append(")").append(bias != null ? ".add(" + bias[v] + ")" : "").append(";\n");
            }
            t.append("FloatVector gate = v0.rearrange(EVEN).blend(v1.rearrange(EVEN), HIGH);\n");
            t.append("FloatVector up = v0.rearrange(ODD).blend(v1.rearrange(ODD), HIGH);\n");
        } else {
            String[][] sides = {{"gate", "GO"}, {"up", "UO"}};
            for (int v = 0; v < 2; v++) {
                t.append("FloatVector ").append(sides[v][0]).append(" = FloatVector.fromArray(S, ").append(src).append(", ").append(at)
                        .append(sides[v][1]).append(" + j)").append(bias != null ? ".add(" + bias[v] + ")" : "").append(";\n");
            }
        }
        boolean limit = glu.limit().isPresent();
        if (limit) {
            t.append("""
                    final VectorMask<Float> gatePasses = gate.compare(VectorOperators.LE, LIMIT);
                    final VectorMask<Float> upPasses = up.compare(VectorOperators.GE, -LIMIT).and(up.compare(VectorOperators.LE, LIMIT));
                    gate = gate.min(LIMIT);
                    up = up.max(-LIMIT).min(LIMIT);
                    """);
        }
        String derivative = switch (glu.act()) {
            case SILU -> {
                t.append("final FloatVector s = VectorMath.sigmoid(gate);\n");
                yield "s.mul(gate.mul(s.neg().add(1f)).add(1f))";
            }
            case GELU, GELU_TANH -> {
                t.append("final FloatVector act = FloatVector.fromArray(S, d, DA + ").append(dAt).append("j);\n");
                yield "FloatVector.fromArray(S, d, " + dAt + "j)";
            }
        };
        t.append("final FloatVector gr = FloatVector.fromArray(S, g, r * I + j);\n");
        t.append("final FloatVector gw = gr").append(weights ? ".mul(wv)" : "").append(";\n");
        t.append("FloatVector dGate = gw.mul(up).mul(").append(derivative).append(");\n");
        t.append("FloatVector dUp = gw.mul(").append(activated(glu.act(), true)).append(");\n");
        if (limit) {
            t.append("dGate = FloatVector.zero(S).blend(dGate, gatePasses);\n");
            t.append("dUp = FloatVector.zero(S).blend(dUp, upPasses);\n");
        }
        if (glu.layout() == Layout.INTERLEAVED) {
            t.append("dGate.rearrange(ZIP_LO, dUp).intoArray(dy, r * W + 2 * j);\n");
            t.append("dGate.rearrange(ZIP_HI, dUp).intoArray(dy, r * W + 2 * j + L);\n");
        } else {
            t.append("dGate.intoArray(dy, r * W + GO + j);\n");
            t.append("dUp.intoArray(dy, r * W + UO + j);\n");
        }
        return t.toString();
    }

    /**
     * The columns past the last full vector of row r, one at a time: the vector step's arithmetic in
     * float, with SiLU and its derivative from the double reference (Activations). A masked vector
     * step here would be a second inlined copy of sigmoid, which C2's inlining budget does not hold
     * beside the first in every variant.
     */
    private static String scalarTail(Glu glu, String src, String at, String dAt, boolean bias, boolean weights) {
        boolean interleaved = glu.layout() == Layout.INTERLEAVED;
        String gc = interleaved ? "2 * j" : "GO + j";
        String uc = interleaved ? "2 * j + 1" : "UO + j";
        StringBuilder t = new StringBuilder("for (int j = I / L * L; j < I; j++) {\n");
        t.append("    float gate = ").append(src).append("[").append(at).append(gc).append("]")
                .append(bias ? " + extra[" + gc + "]" : "").append(";\n");
        t.append("    float up = ").append(src).append("[").append(at).append(uc).append("]")
                .append(bias ? " + extra[" + uc + "]" : "").append(";\n");
        boolean limit = glu.limit().isPresent();
        if (limit) {
            t.append("""
                        final boolean gatePasses = gate <= LIMIT;
                        final boolean upPasses = up >= -LIMIT && up <= LIMIT;
                        gate = Math.min(gate, LIMIT);
                        up = Math.min(Math.max(up, -LIMIT), LIMIT);
                    """);
        }
        String derivative = switch (glu.act()) {
            case SILU -> "(float) Activations.siluGrad(gate)";
            case GELU, GELU_TANH -> {
                t.append("    final float act = d[DA + ").append(dAt).append("j];\n");
                yield "d[" + dAt + "j]";
            }
        };
        t.append("    final float gr = g[r * I + j];\n");
        t.append("    final float gw = gr").append(weights ? " * extra[r]" : "").append(";\n");
        t.append("    float dGate = gw * up * ").append(derivative).append(";\n");
        t.append("    float dUp = gw * ").append(activated(glu.act(), false)).append(";\n");
        if (limit) {
            t.append("    dGate = gatePasses ? dGate : 0f;\n");
            t.append("    dUp = upPasses ? dUp : 0f;\n");
        }
        t.append("    dy[r * W + ").append(gc).append("] = dGate;\n");
        t.append("    dy[r * W + ").append(uc).append("] = dUp;\n");
        if (weights) {
            t.append("    lanes[j % L] += ").append(activated(glu.act(), false)).append(" * up * gr;\n");
        } else if (bias) {
            t.append("    second[p + j] += dGate;\n");
            t.append("    second[p + I + j] += dUp;\n");
        }
        return t.append("}\n").toString();
    }

    /**
     * EVEN and ODD pick a vector's even and odd lanes into both halves, HIGH masks the upper half:
     * {@code a.rearrange(EVEN).blend(b.rearrange(EVEN), HIGH)} is the first of each pair of the 2 L
     * floats a, b (interleaved (gate, up) pairs), with ODD the second.
     */
    static void splitShuffles(KernelClass k) {
        k.field("VectorShuffle<Float>", "EVEN", "VectorShuffle.fromOp(S, i -> (2 * i) % L)");
        k.field("VectorShuffle<Float>", "ODD", "VectorShuffle.fromOp(S, i -> (2 * i + 1) % L)");
        k.field("VectorMask<Float>", "HIGH", "VectorMask.fromLong(S, ((1L << L) - 1) & ~((1L << (L / 2)) - 1))");
    }

    /**
     * The inverse: {@code a.rearrange(ZIP_LO, b)} and {@code a.rearrange(ZIP_HI, b)} are the 2 L floats
     * a0 b0 a1 b1 ... (in a two-vector rearrange, a negative index takes lane index + L of b).
     */
    static void zipShuffles(KernelClass k) {
        k.field("VectorShuffle<Float>", "ZIP_LO", "VectorShuffle.fromOp(S, i -> i % 2 == 0 ? i / 2 : i / 2 - L)");
        k.field("VectorShuffle<Float>", "ZIP_HI", "VectorShuffle.fromOp(S, i -> L / 2 + i / 2 - (i % 2 == 0 ? 0 : L))");
    }
}
