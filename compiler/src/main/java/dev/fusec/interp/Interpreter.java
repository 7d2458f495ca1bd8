package dev.fusec.interp;

import dev.fusec.ir.Activation;
import dev.fusec.ir.DType;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.runtime.Activations;
import dev.fusec.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The reference interpreter: the oracle every rewrite and every generated kernel is checked against.
 * Each op is computed straight from its definition in double precision (sums accumulate in double)
 * and its result is rounded once, to its dtype, when stored. It is meant to be obviously right, not fast;
 * only the matmul rows run in parallel, so model-sized graphs finish in seconds.
 */
public final class Interpreter {
    private final Map<String, TensorType> types;
    private final Map<String, Long> binding;
    private final Map<String, Tensor> values = new HashMap<>();

    private Interpreter(Map<String, TensorType> types, Map<String, Long> binding) {
        this.types = types;
        this.binding = binding;
    }

    /** Runs {@code g} on {@code inputs}, its dims read off the input shapes; returns the outputs by name, in order. */
    public static Map<String, Tensor> run(Graph g, Map<String, Tensor> inputs) {
        return run(g, inputs, Map.of());
    }

    /**
     * Runs {@code g} with {@code dims} bound first (as {@code --dim} does), the rest read off the inputs:
     * a symbol that occurs only in a product such as {@code S*B} cannot be read off a shape.
     */
    public static Map<String, Tensor> run(Graph g, Map<String, Tensor> inputs, Map<String, Long> dims) {
        Map<String, Long> binding = InputBinding.bind(g, dims, inputs);
        Interpreter in = new Interpreter(ShapeInference.infer(g), binding);
        for (Param p : g.inputs()) {
            in.values.put(p.name(), in.rounded(inputs.get(p.name()), p.type().dtype()));
        }
        for (Node n : g.nodes()) {
            List<Tensor> args = n.op().operands().stream().map(in.values::get).toList();
            List<double[]> results = in.eval(n.op(), args);
            for (int i = 0; i < results.size(); i++) {
                String name = n.results().get(i);
                in.values.put(name, in.store(name, results.get(i)));
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Param p : g.outputs()) {
            out.put(p.name(), in.values.get(p.name()));
        }
        return out;
    }

    private Tensor rounded(Tensor t, DType dtype) {
        if (dtype == DType.F32) {
            return t;
        }
        float[] d = t.data().clone();
        for (int i = 0; i < d.length; i++) {
            d[i] = dtype.round(d[i]);
        }
        return new Tensor(t.shape(), d);
    }

    private Tensor store(String name, double[] v) {
        TensorType type = types.get(name);
        int[] shape = type.shape().evaluate(binding).orElseThrow();
        float[] d = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = type.dtype().round(v[i]);
        }
        return new Tensor(shape, d);
    }

    private List<double[]> eval(Op op, List<Tensor> a) {
        return switch (op) {
            case Op.MatMul m -> List.of(matmul(a.get(0), a.get(1), m.transposeB()));
            case Op.Linear l -> {
                double[] out = matmul(a.get(0), a.get(1), true);
                if (l.bias().isPresent()) {
                    float[] b = a.get(2).data();
                    for (int i = 0; i < out.length; i++) {
                        out[i] += b[i % b.length];
                    }
                }
                yield List.of(out);
            }
            case Op.Binary b -> List.of(broadcast(b.kind(), a.get(0), a.get(1)));
            case Op.Unary u -> List.of(map(a.get(0), x -> unary(u.kind(), x)));
            case Op.Swish w -> List.of(map(a.get(0), x -> x / (1 + Math.exp(-w.alpha() * x))));
            case Op.Const c -> List.of(new double[] {c.value()});
            case Op.Clamp c -> List.of(map(a.get(0), x -> {
                double r = x;
                if (c.min().isPresent()) {
                    r = Math.max(r, c.min().getAsDouble());
                }
                if (c.max().isPresent()) {
                    r = Math.min(r, c.max().getAsDouble());
                }
                return r;
            }));
            case Op.Split s -> split(a.get(0), s);
            case Op.Concat c -> List.of(concat(a, c.axis()));
            case Op.Reshape r -> List.of(map(a.get(0), x -> x));
            case Op.Transpose t -> List.of(transpose(a.get(0), t.perm()));
            case Op.SwiGlu s -> List.of(swiglu(a.get(0), null, null, s.glu()));
            case Op.BiasSwiGlu s -> List.of(swiglu(a.get(0), a.get(1).data(), null, s.glu()));
            case Op.WeightedSwiGlu s -> List.of(swiglu(a.get(0), null, a.get(1).data(), s.glu()));
            case Op.WeightedBiasSwiGlu s -> List.of(swiglu(a.get(0), a.get(1).data(), a.get(2).data(), s.glu()));
            case Op.GateUp g -> List.of(gateUp(a, g.transposeB(), g.layout()));
            case Op.GateUpSwiGlu g -> {
                // Gate and up stay in double here: the fused kernel never rounds them to memory either.
                double[] y = gateUp(a, g.transposeB(), g.glu().layout());
                int width2 = 2 * (g.transposeB() ? a.get(1).dim(0) : a.get(1).dim(1));
                yield List.of(swiglu(y, width2, null, null, g.glu()));
            }
            case Op.SwiGluBack s -> backward(a.get(0), a.get(1), null, null, s.glu()).subList(0, 1);
            case Op.BiasSwiGluBack s -> backward(a.get(0), a.get(1), a.get(2), null, s.glu());
            case Op.WeightedSwiGluBack s -> backward(a.get(0), a.get(1), null, a.get(2), s.glu());
        };
    }

    static double unary(Op.UnaryKind kind, double x) {
        return switch (kind) {
            case SILU -> silu(x);
            case SIGMOID -> sigmoid(x);
            case GELU -> gelu(x);
            case GELU_TANH -> geluTanh(x);
        };
    }

    /** The gating activation of a GLU-family op. */
    static double activation(Activation act, double x) {
        return switch (act) {
            case SILU -> silu(x);
            case GELU -> gelu(x);
            case GELU_TANH -> geluTanh(x);
        };
    }

    /** The forward GLU's gate term: act(gate), or gate * sigmoid(alpha * gate) for silu with alpha (gpt-oss). */
    static double gated(Glu glu, double gate) {
        return glu.alpha() == 1.0 ? activation(glu.act(), gate) : gate / (1 + Math.exp(-glu.alpha() * gate));
    }

    /** d/dx of {@link #activation}. */
    static double derivative(Activation act, double x) {
        return switch (act) {
            case SILU -> Activations.siluGrad(x);
            case GELU -> geluGrad(x);
            case GELU_TANH -> geluTanhGrad(x);
        };
    }

    // The functions themselves are the runtime's Activations, which the kernels' cold lanes use too.

    static double sigmoid(double x) {
        return Activations.sigmoid(x);
    }

    static double silu(double x) {
        return Activations.silu(x);
    }

    static double gelu(double x) {
        return Activations.gelu(x);
    }

    static double geluGrad(double x) {
        return Activations.geluGrad(x);
    }

    static double geluTanh(double x) {
        return Activations.geluTanh(x);
    }

    static double geluTanhGrad(double x) {
        return Activations.geluTanhGrad(x);
    }

    private static double[] map(Tensor t, java.util.function.DoubleUnaryOperator f) {
        float[] d = t.data();
        double[] out = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = f.applyAsDouble(d[i]);
        }
        return out;
    }

    /** [..., K] @ [K, N] (or [N, K]^T) with every dot product summed in double. */
    private static double[] matmul(Tensor a, Tensor b, boolean transposeB) {
        int k = a.dim(a.rank() - 1);
        int n = transposeB ? b.dim(0) : b.dim(1);
        int rows = a.size() / Math.max(k, 1);
        float[] x = a.data();
        float[] w = b.data();
        double[] out = new double[rows * n];
        IntStream.range(0, rows).parallel().forEach(i -> {
            int xo = i * k;
            int oo = i * n;
            if (transposeB) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    int wo = j * k;
                    for (int p = 0; p < k; p++) {
                        acc += (double) x[xo + p] * w[wo + p];
                    }
                    out[oo + j] = acc;
                }
            } else {
                for (int p = 0; p < k; p++) {
                    double xv = x[xo + p];
                    int wo = p * n;
                    for (int j = 0; j < n; j++) {
                        out[oo + j] += xv * w[wo + j];
                    }
                }
            }
        });
        return out;
    }

    /** NumPy broadcasting: shapes aligned at the right, extent-1 dims repeat. */
    private static double[] broadcast(Op.BinaryKind kind, Tensor a, Tensor b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] shape = new int[rank];
        int[] sa = broadcastStrides(a, rank);
        int[] sb = broadcastStrides(b, rank);
        for (int i = 0; i < rank; i++) {
            int da = extent(a, i, rank);
            int db = extent(b, i, rank);
            shape[i] = Math.max(da, db);
        }
        int total = (int) Tensor.elementCount(shape);
        double[] out = new double[total];
        int[] idx = new int[rank];
        float[] x = a.data();
        float[] y = b.data();
        int oa = 0;
        int ob = 0;
        for (int i = 0; i < total; i++) {
            double u = x[oa];
            double v = y[ob];
            out[i] = switch (kind) {
                case ADD -> u + v;
                case SUB -> u - v;
                case MUL -> u * v;
            };
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    oa += sa[d];
                    ob += sb[d];
                    break;
                }
                oa -= sa[d] * (shape[d] - 1);
                ob -= sb[d] * (shape[d] - 1);
                idx[d] = 0;
            }
        }
        return out;
    }

    private static int extent(Tensor t, int i, int rank) {
        int k = i - (rank - t.rank());
        return k >= 0 ? t.dim(k) : 1;
    }

    private static int[] broadcastStrides(Tensor t, int rank) {
        int[] s = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int e = extent(t, i, rank);
            s[i] = e == 1 ? 0 : stride;
            stride *= e;
        }
        return s;
    }

    private static int axis(int axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }

    private static List<double[]> split(Tensor t, Op.Split s) {
        int ax = axis(s.axis(), t.rank());
        int extent = t.dim(ax);
        List<Integer> sizes = new ArrayList<>();
        if (s.sizes().isEmpty()) {
            for (int i = 0; i < s.parts(); i++) {
                sizes.add(extent / s.parts());
            }
        } else {
            s.sizes().forEach(v -> sizes.add((int) (long) v));
        }
        int inner = 1;
        for (int i = ax + 1; i < t.rank(); i++) {
            inner *= t.dim(i);
        }
        int outer = t.size() / Math.max(extent * inner, 1);
        float[] d = t.data();
        List<double[]> out = new ArrayList<>();
        int offset = 0;
        for (int size : sizes) {
            double[] part = new double[outer * size * inner];
            for (int o = 0; o < outer; o++) {
                for (int k = 0; k < size * inner; k++) {
                    part[o * size * inner + k] = d[(o * extent + offset) * inner + k];
                }
            }
            out.add(part);
            offset += size;
        }
        return out;
    }

    private static double[] concat(List<Tensor> parts, int axisAttr) {
        Tensor first = parts.get(0);
        int ax = axis(axisAttr, first.rank());
        int inner = 1;
        for (int i = ax + 1; i < first.rank(); i++) {
            inner *= first.dim(i);
        }
        int total = 0;
        int extent = 0;
        for (Tensor p : parts) {
            total += p.size();
            extent += p.dim(ax);
        }
        int outer = total / Math.max(extent * inner, 1);
        double[] out = new double[total];
        int offset = 0;
        for (Tensor p : parts) {
            int size = p.dim(ax);
            float[] d = p.data();
            for (int o = 0; o < outer; o++) {
                for (int k = 0; k < size * inner; k++) {
                    out[(o * extent + offset) * inner + k] = d[o * size * inner + k];
                }
            }
            offset += size;
        }
        return out;
    }

    private static double[] transpose(Tensor t, List<Integer> perm) {
        int rank = t.rank();
        int[] inStride = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            inStride[i] = stride;
            stride *= t.dim(i);
        }
        int[] outShape = new int[rank];
        int[] step = new int[rank];
        for (int i = 0; i < rank; i++) {
            outShape[i] = t.dim(perm.get(i));
            step[i] = inStride[perm.get(i)];
        }
        double[] out = new double[t.size()];
        int[] idx = new int[rank];
        float[] d = t.data();
        int off = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = d[off];
            for (int k = rank - 1; k >= 0; k--) {
                if (++idx[k] < outShape[k]) {
                    off += step[k];
                    break;
                }
                off -= step[k] * (outShape[k] - 1);
                idx[k] = 0;
            }
        }
        return out;
    }

    /** Gate and up of element j in a row, bias added and limit applied. */
    private record GateUp(double gate, double up, boolean gatePasses, boolean upPasses) {
        static GateUp of(double g, double u, Glu glu) {
            if (glu.limit().isEmpty()) {
                return new GateUp(g, u, true, true);
            }
            double lim = glu.limit().getAsDouble();
            return new GateUp(Math.min(g, lim), Math.max(-lim, Math.min(u, lim)), g <= lim, u >= -lim && u <= lim);
        }
    }

    /** swiglu over rows of width 2I: out[r, j] = act(gate) * up (* w[r]); the bias is added first. */
    private static double[] swiglu(double[] y, int width2, float[] bias, float[] weights, Glu glu) {
        int half = width2 / 2;
        int rows = half == 0 ? 0 : y.length / width2;
        double[] out = new double[rows * half];
        Layout layout = glu.layout();
        for (int r = 0; r < rows; r++) {
            int base = r * width2;
            double w = weights == null ? 1.0 : weights[r];
            for (int j = 0; j < half; j++) {
                int gi = layout.gateIndex(j, half);
                int ui = layout.upIndex(j, half);
                double g = biased(y[base + gi], bias, gi);
                double u = biased(y[base + ui], bias, ui);
                GateUp gu = GateUp.of(g, u, glu);
                out[r * half + j] = gated(glu, gu.gate()) * (glu.beta() == 0.0 ? gu.up() : gu.up() + glu.beta()) * w; // up + 0 would turn -0 into +0
            }
        }
        return out;
    }

    /** v plus bias[i], or v itself without a bias (v + 0 would turn -0 into +0, which the kernels keep). */
    private static double biased(double v, float[] bias, int i) {
        return bias == null ? v : v + bias[i];
    }

    private static double[] swiglu(Tensor y, float[] bias, float[] weights, Glu glu) {
        return swiglu(map(y, x -> x), y.dim(y.rank() - 1), bias, weights, glu);
    }

    private static double[] gateUp(List<Tensor> a, boolean transposeB, Layout layout) {
        double[] gate = matmul(a.get(0), a.get(1), transposeB);
        double[] up = matmul(a.get(0), a.get(2), transposeB);
        int half = transposeB ? a.get(1).dim(0) : a.get(1).dim(1);
        int rows = half == 0 ? 0 : gate.length / half;
        double[] out = new double[2 * gate.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < half; j++) {
                out[r * 2 * half + layout.gateIndex(j, half)] = gate[r * half + j];
                out[r * 2 * half + layout.upIndex(j, half)] = up[r * half + j];
            }
        }
        return out;
    }

    /**
     * swiglu_back family: dgate = g' * up * act'(gate) and dup = g' * act(gate), with g' = g * w (for
     * silu, act' = s * (1 + gate * (1 - s)), s = sigmoid(gate)); clamped elements get no gradient. db
     * sums dy over rows; dw = sum_j act(gate_j) * up_j * g_j.
     */
    private static List<double[]> backward(Tensor grad, Tensor yt, Tensor biasT, Tensor weightsT, Glu glu) {
        float[] g = grad.data();
        float[] y = yt.data();
        if (glu.fp8InputStore()) {
            y = y.clone();
            for (int i = 0; i < y.length; i++) {
                y[i] = DType.F8E4M3.round(y[i]);
            }
        }
        float[] bias = biasT == null ? null : biasT.data();
        float[] w = weightsT == null ? null : weightsT.data();
        int width2 = yt.dim(yt.rank() - 1);
        int half = width2 / 2;
        int rows = width2 == 0 ? 0 : y.length / width2;
        double[] dy = new double[y.length];
        double[] db = new double[width2];
        double[] dw = new double[rows];
        Layout layout = glu.layout();
        for (int r = 0; r < rows; r++) {
            double wr = w == null ? 1.0 : w[r];
            double dwAcc = 0;
            for (int j = 0; j < half; j++) {
                int gi = layout.gateIndex(j, half);
                int ui = layout.upIndex(j, half);
                // y and bias are f32: add them in double, as the forward ops do, or y + b is rounded once more.
                double gateIn = biased(y[r * width2 + gi], bias, gi);
                double upIn = biased(y[r * width2 + ui], bias, ui);
                GateUp gu = GateUp.of(gateIn, upIn, glu);
                double act = activation(glu.act(), gu.gate());
                double gr = g[r * half + j];
                double gw = gr * wr;
                double dGate = gu.gatePasses() ? gw * gu.up() * derivative(glu.act(), gu.gate()) : 0;
                double dUp = gu.upPasses() ? gw * act : 0;
                dy[r * width2 + gi] = dGate;
                dy[r * width2 + ui] = dUp;
                db[gi] += dGate;
                db[ui] += dUp;
                dwAcc += act * gu.up() * gr;
            }
            dw[r] = dwAcc;
        }
        return List.of(dy, biasT != null ? db : dw);
    }
}
