package dev.fusec.onnx;

import dev.fusec.ir.Activation;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.DType;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Param;
import dev.fusec.ir.Shape;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.onnx.OnnxGraphBuilder.Attribute;
import dev.fusec.onnx.OnnxGraphBuilder.DimSpec;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes a fusec graph as an ONNX model (IR version 8, opset 17, default domain only), so ONNX
 * Runtime and other tools can run exactly what fusec runs.
 *
 * <ol>
 *   <li>Infer shapes (the graph must check); refuse dtypes other than f32, whose per-store rounding
 *       FLOAT would not reproduce.</li>
 *   <li>Constants given by the caller become float initializers (raw little-endian data) and leave the
 *       graph inputs; the symbolic dims they fix are written as numbers elsewhere too.</li>
 *   <li>Every other input and every output becomes a FLOAT ValueInfo; symbolic dims become dim_param
 *       as the IR prints them ({@code T}; {@code S*B} is spelled {@code B*S}).</li>
 *   <li>Each node maps to standard ONNX ops; fused ops are decomposed into the same standard ops,
 *       so any graph exports, and the model computes what the interpreter computes:</li>
 * </ol>
 * <pre>
 * matmul             MatMul; transpose_b: Transpose(perm=[1,0]) of the weight first
 * linear             Transpose + MatMul (+ Add bias)
 * add, sub, mul      Add, Sub, Mul
 * silu, sigmoid      Sigmoid + Mul, Sigmoid
 * gelu               Gelu is opset 20: 0.5 * x * (1 + Erf(x / sqrt 2)) as Div, Erf, Add, Mul, Mul (as
 *                    PyTorch exports it); the tanh form 0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
 *                    as Mul, Mul, Mul, Add, Mul, Tanh, Add, Mul, Mul
 * clamp              Clip (bounds as scalar initializers, "" for a missing one)
 * split, concat      Split (int64 sizes initializer, axis), Concat (axis)
 * reshape            Reshape (int64 shape: numbers, 0 = copy the input's dim, at most one -1)
 * transpose          Transpose (perm)
 * *swiglu            [Add bias] + gate/up by layout: Split (halves, swapped) or two Slices of step 2
 *                    (interleaved) + [Clip, Clip for limit] + act (as silu or gelu above) + Mul [+ Mul weights]
 * gate_up            constant weights: MatMul over the weights placed by layout; else MatMul, MatMul
 *                    and the products placed: Concat, or Unsqueeze x2 + Concat + Reshape (interleaved)
 * gate_up_swiglu     MatMul, MatMul + [Clip x2] + act + Mul
 * *swiglu_back       gate/up as above, act and its derivative (silu: Sigmoid, Sub, Mul, Add; gelu:
 *                    Erf, Exp and arithmetic; gelu_tanh: Tanh and arithmetic), [LessOrEqual, Abs,
 *                    Where for limit], placed as gate_up; db: ReduceSum over leading dims; dw: Mul +
 *                    ReduceSum over the last dim (keepdims)
 * </pre>
 * Not an importer, and no external-data files: a model over 2 GiB is refused.
 */
public final class OnnxExporter {
    public static final long IR_VERSION = 8;
    public static final long OPSET = 17;

    private final OnnxGraphBuilder b = new OnnxGraphBuilder();
    private final Map<String, TensorType> types;
    /** Symbolic dims fixed by the shapes of baked constants. */
    private final Map<String, Long> binding = new HashMap<>();
    /** Weights already transposed, by name. */
    private final Map<String, String> transposed = new HashMap<>();
    /** Inputs baked in as initializers. */
    private final Set<String> baked = new HashSet<>();

    private OnnxExporter(Map<String, TensorType> types) {
        this.types = types;
    }

    /** The graph as an ONNX model, every input a graph input. */
    public static byte[] export(Graph g) {
        return export(g, Map.of());
    }

    /**
     * Whether an input is a weight for a peer's benchmark model: every dim static, so it can be baked
     * in as an initializer (and pre-packed by the runtime); inputs with a symbolic dim (T) are fed.
     */
    public static boolean isWeight(Param p) {
        return p.type().shape().dims().stream().allMatch(d -> d.isStatic());
    }

    /**
     * The graph as an ONNX model with {@code constants} (inputs by name, typically weights) baked in as
     * initializers, so a runtime can treat them as constant (pre-pack them, fold what reads them).
     *
     * @throws CompileError when the graph does not check, uses a dtype or attribute ONNX opset 17 cannot
     *     express, a constant names no input or has the wrong shape, or the model would exceed 2 GiB
     */
    public static byte[] export(Graph g, Map<String, Tensor> constants) {
        OnnxExporter e = new OnnxExporter(ShapeInference.infer(g));
        return e.run(g, constants);
    }

    private byte[] run(Graph g, Map<String, Tensor> constants) {
        for (Param p : g.inputs()) {
            requireF32(p, "input");
        }
        for (Param p : g.outputs()) {
            requireF32(p, "output");
        }
        b.reserve(types.keySet());

        for (String name : new TreeMap<>(constants).keySet()) {
            if (g.input(name).isEmpty()) {
                throw new CompileError(g.pos(), "constant '" + name + "' is not an input of graph " + g.name());
            }
        }
        long bytes = 0;
        for (Param p : g.inputs()) {
            Tensor c = constants.get(p.name());
            if (c != null) {
                bind(p, c);
                baked.add(p.name());
                bytes += 4L * c.size();
            }
        }
        for (Param p : g.inputs()) {
            if (baked.contains(p.name())) {
                checkBound(p, constants.get(p.name()));
            }
        }
        if (bytes > Integer.MAX_VALUE - (1 << 20)) {
            throw new CompileError(g.pos(), "baked constants take " + bytes + " bytes; an ONNX model without"
                    + " external data is limited to 2 GiB");
        }
        for (Param p : g.inputs()) {
            Tensor c = constants.get(p.name());
            if (c != null) {
                long[] dims = Arrays.stream(c.shape()).asLongStream().toArray();
                b.initializer(p.name(), dims, c.data());
            } else {
                b.input(p.name(), dims(p.type().shape()));
            }
        }
        for (Param p : g.outputs()) {
            b.output(p.name(), dims(p.type().shape()));
        }
        for (Node n : g.nodes()) {
            emit(n);
        }
        return b.model(g.name(), IR_VERSION, OPSET, "0.1.0", "exported by fusec from graph " + g.name());
    }

    private static void requireF32(Param p, String what) {
        if (p.type().dtype() != DType.F32) {
            throw new CompileError(p.pos(), "ONNX export supports f32 only: " + what + " '" + p.name() + "' is "
                    + p.type().dtype() + ", which fusec rounds on every store and ONNX FLOAT would not");
        }
    }

    /** Checks a constant against its declaration and records the symbolic dims its shape fixes. */
    private void bind(Param p, Tensor t) {
        Shape declared = p.type().shape();
        String want = "constant '" + p.name() + "' must have shape " + declared + ", got " + Arrays.toString(t.shape());
        if (t.rank() != declared.rank()) {
            throw new CompileError(p.pos(), want);
        }
        for (int i = 0; i < t.rank(); i++) {
            Dim d = declared.dim(i);
            if (d.isStatic()) {
                if (d.value() != t.dim(i)) {
                    throw new CompileError(p.pos(), want);
                }
            } else if (d.coeff() == 1 && d.symbols().size() == 1) {
                Long old = binding.putIfAbsent(d.symbols().getFirst(), (long) t.dim(i));
                if (old != null && old != t.dim(i)) {
                    throw new CompileError(p.pos(), want + " (" + d + " is " + old + " in another constant)");
                }
            }
        }
    }

    /** After every constant is bound: each dim of a constant, symbolic ones included, equals its value. */
    private void checkBound(Param p, Tensor t) {
        Shape declared = p.type().shape();
        for (int i = 0; i < t.rank(); i++) {
            Optional<Long> v = declared.dim(i).evaluate(binding);
            if (v.isEmpty()) {
                throw new CompileError(p.pos(), "constant '" + p.name() + "': dim " + declared.dim(i) + " of " + declared
                        + " is not fixed by any constant's shape, so its extent " + t.dim(i) + " cannot be checked");
            }
            if (v.get() != t.dim(i)) {
                throw new CompileError(p.pos(), "constant '" + p.name() + "' must have shape " + declared + " = "
                        + new TreeMap<>(binding) + ", got " + Arrays.toString(t.shape()));
            }
        }
    }

    private List<DimSpec> dims(Shape s) {
        List<DimSpec> out = new ArrayList<>();
        for (Dim d : s.dims()) {
            Optional<Long> v = d.evaluate(binding);
            out.add(v.isPresent() ? new DimSpec(v.get(), null) : new DimSpec(0, d.toString()));
        }
        return out;
    }

    private Shape shape(String value) {
        return types.get(value).shape();
    }

    private int rank(String value) {
        return shape(value).rank();
    }

    // ---- unfused ops ----

    private void emit(Node n) {
        String res = n.result();
        switch (n.op()) {
            // a @ b, or a @ transpose(b)
            case Op.MatMul m -> b.node("MatMul", List.of(m.a(), weight(m.b(), m.transposeB())), n.results());
            // x @ transpose(w) (+ bias)
            case Op.Linear l -> {
                String wt = weight(l.w(), true);
                if (l.bias().isEmpty()) {
                    b.node("MatMul", List.of(l.x(), wt), n.results());
                } else {
                    String mm = b.node("MatMul", res + "_matmul", List.of(l.x(), wt));
                    b.node("Add", List.of(mm, l.bias().get()), n.results());
                }
            }
            case Op.Binary bin -> b.node(switch (bin.kind()) {
                case ADD -> "Add";
                case SUB -> "Sub";
                case MUL -> "Mul";
            }, List.of(bin.a(), bin.b()), n.results());
            case Op.Unary u -> {
                switch (u.kind()) {
                    case SIGMOID -> b.node("Sigmoid", List.of(u.x()), n.results());
                    case SILU -> activation(Activation.SILU, u.x(), res, n.results());
                    case GELU -> activation(Activation.GELU, u.x(), res, n.results());
                    case GELU_TANH -> activation(Activation.GELU_TANH, u.x(), res, n.results());
                }
            }
            // swish(x, alpha) = x * sigmoid(alpha * x)
            case Op.Swish w -> {
                String scaled = b.node("Mul", res + "_scaled", List.of(w.x(), b.scalar((float) w.alpha())));
                String sig = b.node("Sigmoid", res + "_sigmoid", List.of(scaled));
                b.node("Mul", List.of(w.x(), sig), n.results());
            }
            case Op.Const k -> b.node("Identity", List.of(b.scalar((float) k.value())), n.results());
            case Op.Clamp c -> b.node("Clip", List.of(c.x(),
                    c.min().isPresent() ? b.scalar((float) c.min().getAsDouble()) : "",
                    c.max().isPresent() ? b.scalar((float) c.max().getAsDouble()) : ""), n.results());
            case Op.Split s -> split(s.x(), shape(s.x()), axis(s.x(), s.axis()), s.parts(), s.sizes(), n.results());
            case Op.Concat c -> b.node("Concat", c.inputs(), n.results(), Attribute.of("axis", axis(c.inputs().getFirst(), c.axis())));
            case Op.Reshape r -> b.node("Reshape", List.of(r.x(), reshapeTarget(n, shape(r.x()), shape(res))), n.results());
            case Op.Transpose t -> b.node("Transpose", List.of(t.x()), n.results(),
                    Attribute.ofInts("perm", t.perm().stream().map(Integer::longValue).toList()));

            // ---- fused ops, decomposed ----
            case Op.SwiGlu s -> swiglu(n, s.y(), null, null, s.glu());
            case Op.BiasSwiGlu s -> swiglu(n, s.y(), s.bias(), null, s.glu());
            case Op.WeightedSwiGlu s -> swiglu(n, s.y(), null, s.weights(), s.glu());
            case Op.WeightedBiasSwiGlu s -> swiglu(n, s.y(), s.bias(), s.weights(), s.glu());
            // gate_up(x, wg, wu) = x @ place(wg, wu) = place(x @ wg, x @ wu)
            case Op.GateUp g -> {
                String wg = weight(g.wGate(), g.transposeB());
                String wu = weight(g.wUp(), g.transposeB());
                if (baked.contains(g.wGate()) && baked.contains(g.wUp())) {
                    // constant weights: one matmul over the placed weights, which ORT folds once at load
                    String w = place(res + "_weight", wg, wu, g.layout(), 2, null);
                    b.node("MatMul", List.of(g.x(), w), n.results());
                } else {
                    // weights given per run: placing them would copy every weight on every run; place the products
                    String gate = b.node("MatMul", res + "_gate", List.of(g.x(), wg));
                    String up = b.node("MatMul", res + "_up", List.of(g.x(), wu));
                    place(res, gate, up, g.layout(), rank(res), n.results());
                }
            }
            // gate_up_swiglu(x, wg, wu) = silu(x @ wg) * (x @ wu): the layout does not change the result
            case Op.GateUpSwiGlu g -> {
                String gate = b.node("MatMul", res + "_gate", List.of(g.x(), weight(g.wGate(), g.transposeB())));
                String up = b.node("MatMul", res + "_up", List.of(g.x(), weight(g.wUp(), g.transposeB())));
                activate(res, gate, up, null, g.glu(), n.results());
            }
            case Op.SwiGluBack s -> backward(n, s.grad(), s.y(), null, null, s.glu());
            case Op.BiasSwiGluBack s -> backward(n, s.grad(), s.y(), s.bias(), null, s.glu());
            case Op.WeightedSwiGluBack s -> backward(n, s.grad(), s.y(), null, s.weights(), s.glu());
        }
    }

    /** {@code w}, or its Transpose (one per weight) for a [N, K] weight; ORT folds it when w is a constant. */
    private String weight(String w, boolean transpose) {
        if (!transpose) {
            return w;
        }
        return transposed.computeIfAbsent(w, k ->
                b.node("Transpose", w + "_t", List.of(w), Attribute.ofInts("perm", List.of(1L, 0L))));
    }

    private long axis(String value, int axis) {
        int r = rank(value);
        return axis < 0 ? axis + r : axis;
    }

    /** Split into the given sizes, or equal parts (sizes written out when the dim is static). */
    private void split(String x, Shape xShape, long axis, int parts, List<Long> sizes, List<String> results) {
        Dim d = xShape.dim((int) axis);
        List<Long> explicit = sizes;
        if (explicit.isEmpty() && d.isStatic()) {
            explicit = Collections.nCopies(parts, d.value() / parts);
        }
        List<String> in = explicit.isEmpty() ? List.of(x) : List.of(x, b.int64s("split_sizes", explicit));
        b.node("Split", in, results, Attribute.of("axis", axis));
    }

    /**
     * The int64 shape operand of Reshape: static dims as numbers; a symbolic dim as 0 ("copy the input's
     * dim") when the input has the same dim at the same position, otherwise as -1, which ONNX allows
     * once. Anything else would need the runtime shape computed by more ops, which fusec does not emit.
     */
    private List<Long> reshapeDims(Node n, Shape in, Shape out) {
        List<Long> dims = new ArrayList<>();
        int inferred = -1;
        for (int i = 0; i < out.rank(); i++) {
            Dim d = out.dim(i);
            Optional<Long> v = d.evaluate(binding);
            if (v.isPresent()) {
                dims.add(v.get());
            } else if (i < in.rank() && in.dim(i).equals(d)) {
                dims.add(0L);
            } else if (inferred < 0) {
                inferred = i;
                dims.add(-1L);
            } else {
                throw new CompileError(n.pos(), "reshape to " + out + " cannot be exported to ONNX: dims "
                        + out.dim(inferred) + " and " + d + " are both symbolic and not copied from the same position"
                        + " of the input " + in + ", and ONNX Reshape infers at most one dim");
            }
        }
        return dims;
    }

    private String reshapeTarget(Node n, Shape in, Shape out) {
        return b.int64s("shape", reshapeDims(n, in, out));
    }

    // ---- the SwiGLU family ----

    /** Gate and up of y [..., 2I] (of shape yShape) by layout, as two values [..., I]. */
    private String[] gateAndUp(String base, String y, Shape yShape, Layout layout) {
        int last = yShape.rank() - 1;
        if (layout == Layout.INTERLEAVED) {
            // [g0, u0, g1, u1, ...]: every second element, from 0 and from 1
            String ends = b.int64s("ends_max", List.of(Long.MAX_VALUE));
            String axes = b.int64s("axes_" + last, List.of((long) last));
            String steps = b.int64s("steps_2", List.of(2L));
            String gate = b.node("Slice", base + "_gate", List.of(y, b.int64s("starts_0", List.of(0L)), ends, axes, steps));
            String up = b.node("Slice", base + "_up", List.of(y, b.int64s("starts_1", List.of(1L)), ends, axes, steps));
            return new String[] {gate, up};
        }
        String first = b.fresh(base + (layout == Layout.HALVES ? "_gate" : "_up"));
        String second = b.fresh(base + (layout == Layout.HALVES ? "_up" : "_gate"));
        split(y, yShape, last, 2, List.of(), List.of(first, second));
        return layout == Layout.HALVES ? new String[] {first, second} : new String[] {second, first};
    }

    /**
     * Places gate and up [..., I] side by side along the last axis by layout: [..., 2I]. Interleaved
     * stacks them on a new last axis, [..., I, 2], and merges the last two axes.
     */
    private String place(String base, String gate, String up, Layout layout, int rank, List<String> results) {
        List<String> out = results != null ? results : List.of(b.fresh(base));
        Attribute lastAxis = Attribute.of("axis", (long) rank - 1);
        switch (layout) {
            case HALVES -> b.node("Concat", List.of(gate, up), out, lastAxis);
            case SWAPPED -> b.node("Concat", List.of(up, gate), out, lastAxis);
            case INTERLEAVED -> {
                String newAxis = b.int64s("axes_" + rank, List.of((long) rank));
                String g = b.node("Unsqueeze", base + "_gate", List.of(gate, newAxis));
                String u = b.node("Unsqueeze", base + "_up", List.of(up, newAxis));
                String pairs = b.node("Concat", base + "_pairs", List.of(g, u), Attribute.of("axis", (long) rank));
                List<Long> merged = new ArrayList<>(Collections.nCopies(rank - 1, 0L));
                merged.add(-1L);
                b.node("Reshape", List.of(pairs, b.int64s("shape", merged)), out);
            }
        }
        return out.getFirst();
    }

    /** swiglu(y + bias) * w. */
    private void swiglu(Node n, String y, String bias, String weights, Glu glu) {
        String res = n.result();
        String z = bias == null ? y : b.node("Add", res + "_biased", List.of(y, bias));
        String[] gu = gateAndUp(res, z, shape(y), glu.layout());
        activate(res, gu[0], gu[1], weights, glu, n.results());
    }

    /** act(gate') * up' (* w), with gate' and up' clamped when the op has a limit. */
    private void activate(String res, String gate, String up, String weights, Glu glu, List<String> results) {
        Clamped c = clamp(res, gate, up, glu);
        String act = glu.alpha() == 1.0 ? activation(glu.act(), c.gate(), res, null)
                : b.node("Mul", res + "_swish", List.of(c.gate(), b.node("Sigmoid", res + "_sigmoid",
                        List.of(b.node("Mul", res + "_scaled", List.of(c.gate(), b.scalar((float) glu.alpha())))))));
        String upTerm = glu.beta() == 0.0 ? c.up() : b.node("Add", res + "_up_beta", List.of(c.up(), b.scalar((float) glu.beta())));
        if (weights == null) {
            b.node("Mul", List.of(act, upTerm), results);
        } else {
            String h = b.node("Mul", res + "_unweighted", List.of(act, upTerm));
            b.node("Mul", List.of(h, weights), results);
        }
    }

    /**
     * act(x) in standard ops, named from {@code base}, into {@code results} (null: a fresh name), which
     * it returns: silu = x * Sigmoid(x); gelu = 0.5 * x * (1 + Erf(x / sqrt 2)); gelu_tanh =
     * 0.5 * x * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
     */
    private String activation(Activation act, String x, String base, List<String> results) {
        List<String> out = results != null ? results : List.of(b.fresh(base + "_" + act));
        switch (act) {
            case SILU -> b.node("Mul", List.of(x, b.node("Sigmoid", base + "_sigmoid", List.of(x))), out);
            case GELU -> b.node("Mul", List.of(b.node("Mul", base + "_x_cdf2", List.of(x, onePlusErf(x, base))), b.scalar(0.5f)), out);
            case GELU_TANH -> b.node("Mul", List.of(b.node("Mul", base + "_x_cdf2", List.of(x, onePlusTanh(x, base))),
                    b.scalar(0.5f)), out);
        }
        return out.getFirst();
    }

    /** 1 + erf(x / sqrt 2), twice the normal CDF. */
    private String onePlusErf(String x, String base) {
        String scaled = b.node("Div", base + "_scaled", List.of(x, b.scalar((float) Math.sqrt(2))));
        return b.node("Add", base + "_one_plus_erf", List.of(b.node("Erf", base + "_erf", List.of(scaled)), b.scalar(1f)));
    }

    /** tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)). */
    private String tanhOfU(String x, String base) {
        String sq = b.node("Mul", base + "_sq", List.of(x, x));
        String cube = b.node("Mul", base + "_cube", List.of(sq, x));
        String inner = b.node("Add", base + "_inner", List.of(x, b.node("Mul", base + "_cubic", List.of(cube, b.scalar(0.044715f)))));
        String u = b.node("Mul", base + "_u", List.of(inner, b.scalar((float) Math.sqrt(2 / Math.PI))));
        return b.node("Tanh", base + "_tanh", List.of(u));
    }

    private String onePlusTanh(String x, String base) {
        return b.node("Add", base + "_one_plus_tanh", List.of(tanhOfU(x, base), b.scalar(1f)));
    }

    /** act(x) and act'(x) for a backward op. */
    private record Derivative(String value, String slope) {}

    private Derivative derivative(Activation act, String x, String base) {
        String one = b.scalar(1f);
        String half = b.scalar(0.5f);
        return switch (act) {
            // silu' = s * (1 + x * (1 - s)), s = sigmoid(x)
            case SILU -> {
                String s = b.node("Sigmoid", base + "_sigmoid", List.of(x));
                String silu = b.node("Mul", base + "_silu", List.of(x, s));
                String oneMinusS = b.node("Sub", base + "_one_minus_sigmoid", List.of(one, s));
                String t = b.node("Mul", base + "_gate_one_minus_sigmoid", List.of(x, oneMinusS));
                yield new Derivative(silu, b.node("Mul", base + "_dsilu", List.of(s, b.node("Add", base + "_one_plus", List.of(one, t)))));
            }
            // gelu' = Phi(x) + x * phi(x), Phi = (1 + erf(x / sqrt 2)) / 2, phi = exp(-x^2 / 2) / sqrt(2 pi)
            case GELU -> {
                String cdf = b.node("Mul", base + "_cdf", List.of(onePlusErf(x, base), half));
                String sq = b.node("Mul", base + "_sq", List.of(x, x));
                String gauss = b.node("Exp", base + "_gauss", List.of(b.node("Mul", base + "_minus_half_sq", List.of(sq, b.scalar(-0.5f)))));
                String pdf = b.node("Mul", base + "_pdf", List.of(gauss, b.scalar((float) (1 / Math.sqrt(2 * Math.PI)))));
                String value = b.node("Mul", base + "_gelu", List.of(x, cdf));
                yield new Derivative(value, b.node("Add", base + "_dgelu", List.of(cdf, b.node("Mul", base + "_x_pdf", List.of(x, pdf)))));
            }
            // with h = (1 + tanh u) / 2: (x h)' = h + x (1 - tanh^2 u) / 2 * sqrt(2 / pi) (1 + 3 * 0.044715 x^2)
            case GELU_TANH -> {
                String th = tanhOfU(x, base);
                String h = b.node("Mul", base + "_h", List.of(b.node("Add", base + "_one_plus_tanh", List.of(th, one)), half));
                String value = b.node("Mul", base + "_gelu", List.of(x, h));
                String sech2 = b.node("Sub", base + "_sech2", List.of(one, b.node("Mul", base + "_tanh_sq", List.of(th, th))));
                String x2 = b.node("Mul", base + "_x2", List.of(x, x));
                String du = b.node("Mul", base + "_du", List.of(b.node("Add", base + "_du_inner",
                        List.of(b.node("Mul", base + "_3c_x2", List.of(x2, b.scalar((float) (3 * 0.044715)))), one)),
                        b.scalar((float) Math.sqrt(2 / Math.PI))));
                String rest = b.node("Mul", base + "_rest", List.of(b.node("Mul", base + "_x_sech2", List.of(x, sech2)),
                        b.node("Mul", base + "_half_du", List.of(du, half))));
                yield new Derivative(value, b.node("Add", base + "_dgelu", List.of(h, rest)));
            }
        };
    }

    private record Clamped(String gate, String up) {}

    /** limit: gate clamped above at limit, up to [-limit, limit]. */
    private Clamped clamp(String res, String gate, String up, Glu glu) {
        if (glu.limit().isEmpty()) {
            return new Clamped(gate, up);
        }
        float lim = (float) glu.limit().getAsDouble();
        String g = b.node("Clip", res + "_gate_clamped", List.of(gate, "", b.scalar(lim)));
        String u = b.node("Clip", res + "_up_clamped", List.of(up, b.scalar(-lim), b.scalar(lim)));
        return new Clamped(g, u);
    }

    /**
     * The swiglu_back family. With g' = g (* w): dgate = g' * up * act'(gate), dup = g' * act(gate)
     * (for silu, act' = s * (1 + gate * (1 - s)), s = sigmoid(gate)), both 0 where the limit clamped;
     * dy places them by layout; db = dy summed over the leading dims; dw = sum(swiglu(y) * g, -1, keepdim).
     */
    private void backward(Node n, String grad, String y, String bias, String weights, Glu glu) {
        if (glu.fp8InputStore()) {
            throw new CompileError(n.pos(), n.op().opName() + ": fp8_input_store cannot be exported to ONNX opset "
                    + OPSET + " (a cast to f8e4m3 needs opset 19); export the graph without it");
        }
        String res = n.result();
        int r = rank(y);
        String z = bias == null ? y : b.node("Add", res + "_biased", List.of(y, bias));
        String[] gu = gateAndUp(res, z, shape(y), glu.layout());
        Clamped c = clamp(res, gu[0], gu[1], glu);
        String gw = weights == null ? grad : b.node("Mul", res + "_weighted_grad", List.of(grad, weights));
        Derivative act = derivative(glu.act(), c.gate(), res);
        String dGate = b.node("Mul", res + "_dgate", List.of(b.node("Mul", res + "_grad_up", List.of(gw, c.up())), act.slope()));
        String dUp = b.node("Mul", res + "_dup", List.of(gw, act.value()));
        if (glu.limit().isPresent()) {
            String lim = b.scalar((float) glu.limit().getAsDouble());
            String zero = b.scalar(0f);
            String gatePasses = b.node("LessOrEqual", res + "_gate_passes", List.of(gu[0], lim));
            String upAbs = b.node("Abs", res + "_up_abs", List.of(gu[1]));
            String upPasses = b.node("LessOrEqual", res + "_up_passes", List.of(upAbs, lim));
            dGate = b.node("Where", res + "_dgate_passed", List.of(gatePasses, dGate, zero));
            dUp = b.node("Where", res + "_dup_passed", List.of(upPasses, dUp, zero));
        }
        place(res + "_dy", dGate, dUp, glu.layout(), r, List.of(res));
        if (bias != null) {
            String db = n.results().get(1);
            if (r == 1) {
                b.node("Identity", List.of(res), List.of(db));
            } else {
                List<Long> leading = new ArrayList<>();
                for (long i = 0; i < r - 1; i++) {
                    leading.add(i);
                }
                b.node("ReduceSum", List.of(res, b.int64s("axes_leading", leading)), List.of(db), Attribute.of("keepdims", 0L));
            }
        } else if (weights != null) {
            String out = b.node("Mul", res + "_swiglu", List.of(act.value(), c.up()));
            String prod = b.node("Mul", res + "_swiglu_grad", List.of(out, grad));
            b.node("ReduceSum", List.of(prod, b.int64s("axes_" + (r - 1), List.of((long) (r - 1)))),
                    List.of(n.results().get(1)), Attribute.of("keepdims", 1L));
        }
    }
}
