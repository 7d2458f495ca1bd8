package dev.fusec.interp;

import static dev.fusec.interp.Tensors.assertClose;
import static dev.fusec.interp.Tensors.assertExact;
import static dev.fusec.interp.Tensors.of;
import static dev.fusec.interp.Tensors.random;
import static dev.fusec.interp.Tensors.run;
import static dev.fusec.interp.Tensors.run1;
import static dev.fusec.interp.Tensors.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fusec.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every unfused op of the interpreter against values computed here, from the op's definition.
 * Tolerances: data movement (split, concat, reshape, transpose, clamp) must be bit-exact; arithmetic
 * is computed here in double and the interpreter rounds once to f32, so 1e-6 relative (plus 1e-12
 * absolute for results that are exactly zero).
 */
class InterpreterOpsTest {
    static final double REL = 1e-6;
    static final double ABS = 1e-12;

    // ---- matmul and linear ----

    @Test
    void matmulTwoByThreeTimesThreeByTwoByHand() {
        Tensor a = of(shape(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor b = of(shape(3, 2), 7, 8, 9, 10, 11, 12);
        Tensor c = run1("""
                graph g(a: f32[2, 3], b: f32[3, 2]) -> (c: f32[2, 2]) {
                  c = matmul(a, b)
                  return c
                }""", "a", a, "b", b);
        // [1 2 3] . [7 9 11] = 58, [1 2 3] . [8 10 12] = 64, [4 5 6] . [7 9 11] = 139, [4 5 6] . [8 10 12] = 154
        assertExact("matmul 2x3 @ 3x2", shape(2, 2), new double[] {58, 64, 139, 154}, c);
    }

    @Test
    void matmul2d() {
        int m = 5, k = 7, n = 3;
        Tensor a = random(1, 1, m, k);
        Tensor b = random(2, 1, k, n);
        Tensor c = run1("""
                graph g(a: f32[M, 7], b: f32[7, 3]) -> (c: f32[M, 3]) {
                  c = matmul(a, b)
                  return c
                }""", "a", a, "b", b);
        double[] want = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                for (int p = 0; p < k; p++) {
                    want[i * n + j] += (double) a.data()[i * k + p] * b.data()[p * n + j];
                }
            }
        }
        assertClose("matmul [5, 7] @ [7, 3]", shape(m, n), want, c, REL, ABS);
    }

    @Test
    void matmulBatched3dTimes2d() {
        int s = 2, m = 3, k = 4, n = 5;
        Tensor a = random(3, 1, s, m, k);
        Tensor b = random(4, 1, k, n);
        Tensor c = run1("""
                graph g(a: f32[S, 3, 4], b: f32[4, 5]) -> (c: f32[S, 3, 5]) {
                  c = matmul(a, b)
                  return c
                }""", "a", a, "b", b);
        double[] want = new double[s * m * n];
        for (int z = 0; z < s; z++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    for (int p = 0; p < k; p++) {
                        want[(z * m + i) * n + j] += (double) a.data()[(z * m + i) * k + p] * b.data()[p * n + j];
                    }
                }
            }
        }
        assertClose("matmul [2, 3, 4] @ [4, 5]", shape(s, m, n), want, c, REL, ABS);
    }

    @Test
    void matmulTransposeB() {
        int m = 3, k = 4, n = 5;
        Tensor a = random(5, 1, m, k);
        Tensor bt = random(6, 1, n, k); // [N, K]
        Tensor c = run1("""
                graph g(a: f32[3, 4], b: f32[5, 4]) -> (c: f32[3, 5]) {
                  c = matmul(a, b, transpose_b=true)
                  return c
                }""", "a", a, "b", bt);
        double[] want = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                for (int p = 0; p < k; p++) {
                    want[i * n + j] += (double) a.data()[i * k + p] * bt.data()[j * k + p];
                }
            }
        }
        assertClose("matmul [3, 4] @ [5, 4]^T", shape(m, n), want, c, REL, ABS);
        // By hand, so that a transposition mix-up cannot hide in both the test and the interpreter:
        // [1 2] @ [[1 2], [3 4], [5 6]]^T = [1+4, 3+8, 5+12].
        Tensor small = run1("""
                graph g(a: f32[1, 2], b: f32[3, 2]) -> (c: f32[1, 3]) {
                  c = matmul(a, b, transpose_b=true)
                  return c
                }""", "a", of(shape(1, 2), 1, 2), "b", of(shape(3, 2), 1, 2, 3, 4, 5, 6));
        assertExact("matmul [1, 2] @ [3, 2]^T", shape(1, 3), new double[] {5, 11, 17}, small);
    }

    @Test
    void linearWithAndWithoutBiasUsesWeightAsOutByIn() {
        int t = 3, in = 4, out = 2;
        Tensor x = random(7, 1, t, in);
        Tensor w = random(8, 1, out, in); // PyTorch: [out, in]
        Tensor b = random(9, 1, out);
        Map<String, Tensor> r = run("""
                graph g(x: f32[T, 4], w: f32[2, 4], b: f32[2]) -> (y: f32[T, 2], z: f32[T, 2]) {
                  y = linear(x, w)
                  z = linear(x, w, b)
                  return y, z
                }""", "x", x, "w", w, "b", b);
        double[] noBias = new double[t * out];
        double[] withBias = new double[t * out];
        for (int i = 0; i < t; i++) {
            for (int o = 0; o < out; o++) {
                double acc = 0;
                for (int p = 0; p < in; p++) {
                    acc += (double) x.data()[i * in + p] * w.data()[o * in + p];
                }
                noBias[i * out + o] = acc;
                withBias[i * out + o] = acc + b.data()[o];
            }
        }
        assertClose("linear(x, w)", shape(t, out), noBias, r.get("y"), REL, ABS);
        assertClose("linear(x, w, b)", shape(t, out), withBias, r.get("z"), REL, ABS);
        // By hand: x = [1 2], w = [[1 0], [0 1], [1 1]], b = [10 20 30] -> [1+10, 2+20, 3+30].
        Tensor small = run1("""
                graph g(x: f32[1, 2], w: f32[3, 2], b: f32[3]) -> (y: f32[1, 3]) {
                  y = linear(x, w, b)
                  return y
                }""", "x", of(shape(1, 2), 1, 2), "w", of(shape(3, 2), 1, 0, 0, 1, 1, 1), "b", of(shape(3), 10, 20, 30));
        assertExact("linear by hand", shape(1, 3), new double[] {11, 22, 33}, small);
    }

    @Test
    void linearOn3dInputAddsBiasPerOutputFeature() {
        int s = 2, bt = 2, in = 3, out = 4;
        Tensor x = random(10, 1, s, bt, in);
        Tensor w = random(11, 1, out, in);
        Tensor b = random(12, 1, out);
        Tensor y = run1("""
                graph g(x: f32[S, B, 3], w: f32[4, 3], b: f32[4]) -> (y: f32[S, B, 4]) {
                  y = linear(x, w, b)
                  return y
                }""", "x", x, "w", w, "b", b);
        double[] want = new double[s * bt * out];
        for (int r = 0; r < s * bt; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b.data()[o];
                for (int p = 0; p < in; p++) {
                    acc += (double) x.data()[r * in + p] * w.data()[o * in + p];
                }
                want[r * out + o] = acc;
            }
        }
        assertClose("linear [2, 2, 3] with bias", shape(s, bt, out), want, y, REL, ABS);
    }

    @Test
    void linearOnOneVector() {
        // x [in] -> [out]: [1 2 3] with w = [[1 1 1], [0 -1 2]] and b = [0.5 -0.5] -> [6.5, 3.5].
        Tensor y = run1("""
                graph g(x: f32[3], w: f32[2, 3], b: f32[2]) -> (y: f32[2]) {
                  y = linear(x, w, b)
                  return y
                }""", "x", of(shape(3), 1, 2, 3), "w", of(shape(2, 3), 1, 1, 1, 0, -1, 2), "b", of(shape(2), 0.5, -0.5));
        assertExact("linear on [3]", shape(2), new double[] {6.5, 3.5}, y);
    }

    // ---- elementwise with broadcasting ----

    @Test
    void mulTokenColumnByMatrix() {
        // [T, 1] * [T, N]: each row scaled by its own weight.
        Tensor w = of(shape(2, 1), 2, -3);
        Tensor x = of(shape(2, 3), 1, 2, 3, 4, 5, 6);
        Map<String, Tensor> r = run("""
                graph g(w: f32[T, 1], x: f32[T, 3]) -> (a: f32[T, 3], b: f32[T, 3]) {
                  a = mul(w, x)
                  b = mul(x, w)
                  return a, b
                }""", "w", w, "x", x);
        double[] want = {2, 4, 6, -12, -15, -18};
        assertExact("mul([T, 1], [T, N])", shape(2, 3), want, r.get("a"));
        assertExact("mul([T, N], [T, 1])", shape(2, 3), want, r.get("b"));
    }

    @Test
    void addVectorTo3dAndSubInBothOrders() {
        int s = 2, b = 3, n = 4;
        Tensor v = random(13, 1, n);
        Tensor x = random(14, 1, s, b, n);
        Map<String, Tensor> r = run("""
                graph g(v: f32[4], x: f32[S, B, 4]) -> (a: f32[S, B, 4], d1: f32[S, B, 4], d2: f32[S, B, 4]) {
                  a = add(v, x)
                  d1 = sub(x, v)
                  d2 = sub(v, x)
                  return a, d1, d2
                }""", "v", v, "x", x);
        double[] add = new double[s * b * n];
        double[] xMinusV = new double[s * b * n];
        double[] vMinusX = new double[s * b * n];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < n; k++) {
                    int o = (i * b + j) * n + k;
                    add[o] = (double) v.data()[k] + x.data()[o];
                    xMinusV[o] = (double) x.data()[o] - v.data()[k];
                    vMinusX[o] = (double) v.data()[k] - x.data()[o];
                }
            }
        }
        assertClose("add([N], [S, B, N])", shape(s, b, n), add, r.get("a"), REL, ABS);
        assertClose("sub([S, B, N], [N])", shape(s, b, n), xMinusV, r.get("d1"), REL, ABS);
        assertClose("sub([N], [S, B, N])", shape(s, b, n), vMinusX, r.get("d2"), REL, ABS);
    }

    @Test
    void scalarLikeOperandBroadcastsEverywhere() {
        Tensor one = of(shape(1), 0.5);
        Tensor x = of(shape(2, 2), 1, -2, 3, -4);
        Map<String, Tensor> r = run("""
                graph g(c: f32[1], x: f32[2, 2]) -> (a: f32[2, 2], m: f32[2, 2], s: f32[2, 2]) {
                  a = add(x, c)
                  m = mul(c, x)
                  s = sub(c, x)
                  return a, m, s
                }""", "c", one, "x", x);
        assertExact("add([2, 2], [1])", shape(2, 2), new double[] {1.5, -1.5, 3.5, -3.5}, r.get("a"));
        assertExact("mul([1], [2, 2])", shape(2, 2), new double[] {0.5, -1, 1.5, -2}, r.get("m"));
        assertExact("sub([1], [2, 2])", shape(2, 2), new double[] {-0.5, 2.5, -2.5, 4.5}, r.get("s"));
    }

    @Test
    void columnAndRowBroadcastToOuterDifference() {
        // [T, 1] - [1, N] -> [T, N]: out[i, j] = a[i] - b[j].
        Map<String, Tensor> r = run("""
                graph g(a: f32[3, 1], b: f32[1, 2]) -> (d: f32[3, 2]) {
                  d = sub(a, b)
                  return d
                }""", "a", of(shape(3, 1), 10, 20, 30), "b", of(shape(1, 2), 1, 2));
        assertExact("sub([3, 1], [1, 2])", shape(3, 2), new double[] {9, 8, 19, 18, 29, 28}, r.get("d"));
    }

    @Test
    void mulMiddleAxisBroadcast() {
        // [S, 1, N] * [B, 1]: rank 3 against rank 2, the 1s of both sides repeat.
        int s = 2, b = 3, n = 4;
        Tensor x = random(15, 1, s, 1, n);
        Tensor y = random(16, 1, b, 1);
        Tensor z = run1("""
                graph g(x: f32[2, 1, 4], y: f32[3, 1]) -> (z: f32[2, 3, 4]) {
                  z = mul(x, y)
                  return z
                }""", "x", x, "y", y);
        double[] want = new double[s * b * n];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < n; k++) {
                    want[(i * b + j) * n + k] = (double) x.data()[i * n + k] * y.data()[j];
                }
            }
        }
        assertClose("mul([2, 1, 4], [3, 1])", shape(s, b, n), want, z, REL, ABS);
    }

    // ---- activations and clamp ----

    @Test
    void siluAndSigmoid() {
        double[] xs = {-20, -3, -1, -0.25, 0, 0.25, 1, 3, 20};
        Tensor x = of(shape(xs.length), xs);
        Map<String, Tensor> r = run("""
                graph g(x: f32[9]) -> (s: f32[9], u: f32[9]) {
                  s = sigmoid(x)
                  u = silu(x)
                  return s, u
                }""", "x", x);
        double[] sig = new double[xs.length];
        double[] silu = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            sig[i] = 1 / (1 + Math.exp(-xs[i]));
            silu[i] = xs[i] / (1 + Math.exp(-xs[i]));
        }
        assertClose("sigmoid", shape(xs.length), sig, r.get("s"), REL, ABS);
        assertClose("silu", shape(xs.length), silu, r.get("u"), REL, ABS);
        // Landmarks: sigmoid(0) = 1/2, silu(0) = 0, silu(1) = 1 / (1 + 1/e).
        assertEquals(0.5f, r.get("s").data()[4]);
        assertEquals(0f, r.get("u").data()[4]);
        assertEquals((float) (1 / (1 + Math.exp(-1))), r.get("u").data()[6]);
    }

    @Test
    void clampMinOnlyMaxOnlyAndBoth() {
        Tensor x = of(shape(6), -3, -1, -0.5, 0.5, 1, 3);
        Map<String, Tensor> r = run("""
                graph g(x: f32[6]) -> (lo: f32[6], hi: f32[6], both: f32[6]) {
                  lo = clamp(x, min=-1)
                  hi = clamp(x, max=0.75)
                  both = clamp(x, min=-0.5, max=1.5)
                  return lo, hi, both
                }""", "x", x);
        assertExact("clamp(min=-1)", shape(6), new double[] {-1, -1, -0.5, 0.5, 1, 3}, r.get("lo"));
        assertExact("clamp(max=0.75)", shape(6), new double[] {-3, -1, -0.5, 0.5, 0.75, 0.75}, r.get("hi"));
        assertExact("clamp(min=-0.5, max=1.5)", shape(6), new double[] {-0.5, -0.5, -0.5, 0.5, 1, 1.5}, r.get("both"));
    }

    // ---- split and concat ----

    @Test
    void splitLastAxisInHalves() {
        Tensor x = of(shape(2, 4), 0, 1, 2, 3, 4, 5, 6, 7);
        Map<String, Tensor> r = run("""
                graph g(x: f32[2, 4]) -> (a: f32[2, 2], b: f32[2, 2]) {
                  a, b = split(x, parts=2, axis=-1)
                  return a, b
                }""", "x", x);
        assertExact("split(-1).0", shape(2, 2), new double[] {0, 1, 4, 5}, r.get("a"));
        assertExact("split(-1).1", shape(2, 2), new double[] {2, 3, 6, 7}, r.get("b"));
    }

    @Test
    void splitDefaultsToLastAxisAndResultCount() {
        Tensor x = of(shape(2, 3), 0, 1, 2, 3, 4, 5);
        Map<String, Tensor> r = run("""
                graph g(x: f32[2, 3]) -> (a: f32[2, 1], b: f32[2, 1], c: f32[2, 1]) {
                  a, b, c = split(x)
                  return a, b, c
                }""", "x", x);
        assertExact("split().0", shape(2, 1), new double[] {0, 3}, r.get("a"));
        assertExact("split().1", shape(2, 1), new double[] {1, 4}, r.get("b"));
        assertExact("split().2", shape(2, 1), new double[] {2, 5}, r.get("c"));
    }

    @Test
    void splitAxis0IntoThreeParts() {
        Tensor x = of(shape(3, 2), 0, 1, 2, 3, 4, 5);
        Map<String, Tensor> r = run("""
                graph g(x: f32[3, 2]) -> (a: f32[1, 2], b: f32[1, 2], c: f32[1, 2]) {
                  a, b, c = split(x, parts=3, axis=0)
                  return a, b, c
                }""", "x", x);
        assertExact("split(axis=0).0", shape(1, 2), new double[] {0, 1}, r.get("a"));
        assertExact("split(axis=0).1", shape(1, 2), new double[] {2, 3}, r.get("b"));
        assertExact("split(axis=0).2", shape(1, 2), new double[] {4, 5}, r.get("c"));
    }

    @Test
    void splitSizesOnAxis1() {
        Tensor x = of(shape(2, 5), 0, 1, 2, 3, 4, 10, 11, 12, 13, 14);
        Map<String, Tensor> r = run("""
                graph g(x: f32[2, 5]) -> (a: f32[2, 1], b: f32[2, 3], c: f32[2, 1]) {
                  a, b, c = split(x, sizes=[1, 3, 1], axis=1)
                  return a, b, c
                }""", "x", x);
        assertExact("split(sizes).0", shape(2, 1), new double[] {0, 10}, r.get("a"));
        assertExact("split(sizes).1", shape(2, 3), new double[] {1, 2, 3, 11, 12, 13}, r.get("b"));
        assertExact("split(sizes).2", shape(2, 1), new double[] {4, 14}, r.get("c"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, -1, -2, -3})
    void split3dOnEveryAxis(int axis) {
        int[] dims = {2, 4, 6};
        int ax = axis < 0 ? axis + 3 : axis;
        Tensor x = random(17, 1, dims);
        int[] part = dims.clone();
        part[ax] /= 2;
        String partType = "f32[" + part[0] + ", " + part[1] + ", " + part[2] + "]";
        Map<String, Tensor> r = run("graph g(x: f32[2, 4, 6]) -> (a: " + partType + ", b: " + partType + ") {\n"
                + "  a, b = split(x, parts=2, axis=" + axis + ")\n  return a, b\n}", "x", x);
        double[][] want = {new double[x.size() / 2], new double[x.size() / 2]};
        for (int i = 0; i < dims[0]; i++) {
            for (int j = 0; j < dims[1]; j++) {
                for (int k = 0; k < dims[2]; k++) {
                    int[] idx = {i, j, k};
                    int which = idx[ax] / part[ax];
                    idx[ax] -= which * part[ax];
                    want[which][(idx[0] * part[1] + idx[1]) * part[2] + idx[2]] = x.data()[(i * dims[1] + j) * dims[2] + k];
                }
            }
        }
        assertExact("split 3-D axis " + axis + " .0", part, want[0], r.get("a"));
        assertExact("split 3-D axis " + axis + " .1", part, want[1], r.get("b"));
    }

    @Test
    void concatThreeOperandsOnAxis0AndAxis1() {
        Tensor a = of(shape(1, 2), 1, 2);
        Tensor b = of(shape(2, 2), 3, 4, 5, 6);
        Tensor c = of(shape(1, 2), 7, 8);
        Map<String, Tensor> r = run("""
                graph g(a: f32[1, 2], b: f32[2, 2], c: f32[1, 2]) -> (rows: f32[4, 2]) {
                  rows = concat(a, b, c, axis=0)
                  return rows
                }""", "a", a, "b", b, "c", c);
        assertExact("concat(axis=0)", shape(4, 2), new double[] {1, 2, 3, 4, 5, 6, 7, 8}, r.get("rows"));
        Map<String, Tensor> q = run("""
                graph g(a: f32[2, 1], b: f32[2, 2], c: f32[2, 3]) -> (cols: f32[2, 6], last: f32[2, 6]) {
                  cols = concat(a, b, c, axis=1)
                  last = concat(a, b, c)
                  return cols, last
                }""", "a", of(shape(2, 1), 1, 2), "b", of(shape(2, 2), 3, 4, 5, 6), "c", of(shape(2, 3), 7, 8, 9, 10, 11, 12));
        double[] want = {1, 3, 4, 7, 8, 9, 2, 5, 6, 10, 11, 12};
        assertExact("concat(axis=1)", shape(2, 6), want, q.get("cols"));
        assertExact("concat() defaults to the last axis", shape(2, 6), want, q.get("last"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, -1})
    void concat3dOnEveryAxisUndoesSplit(int axis) {
        // concat of differently sized operands, checked element by element from its definition.
        int ax = axis < 0 ? axis + 3 : axis;
        int[] base = {2, 3, 4};
        int[] sa = base.clone();
        int[] sb = base.clone();
        sb[ax] = base[ax] + 1;
        int[] so = base.clone();
        so[ax] = sa[ax] + sb[ax];
        Tensor a = random(18, 1, sa);
        Tensor b = random(19, 1, sb);
        String ir = "graph g(a: " + type(sa) + ", b: " + type(sb) + ") -> (c: " + type(so) + ") {\n"
                + "  c = concat(a, b, axis=" + axis + ")\n  return c\n}";
        Tensor c = run1(ir, "a", a, "b", b);
        double[] want = new double[c.size()];
        for (int i = 0; i < so[0]; i++) {
            for (int j = 0; j < so[1]; j++) {
                for (int k = 0; k < so[2]; k++) {
                    int[] idx = {i, j, k};
                    boolean fromA = idx[ax] < sa[ax];
                    int[] src = fromA ? sa : sb;
                    if (!fromA) {
                        idx[ax] -= sa[ax];
                    }
                    float v = (fromA ? a : b).data()[(idx[0] * src[1] + idx[1]) * src[2] + idx[2]];
                    want[(i * so[1] + j) * so[2] + k] = v;
                }
            }
        }
        assertExact("concat 3-D axis " + axis, so, want, c);
    }

    private static String type(int[] s) {
        return "f32[" + s[0] + ", " + s[1] + ", " + s[2] + "]";
    }

    // ---- reshape and transpose ----

    @Test
    void reshapeKeepsCOrderIncludingInferredDim() {
        double[] v = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        Tensor x = of(shape(3, 4), v);
        Map<String, Tensor> r = run("""
                graph g(x: f32[3, 4]) -> (a: f32[2, 6], b: f32[12], d: f32[2, 3, 2]) {
                  a = reshape(x, shape=[2, 6])
                  b = reshape(x, shape=[-1])
                  d = reshape(x, shape=[2, -1, 2])
                  return a, b, d
                }""", "x", x);
        Tensor c = run1("""
                graph g(x: f32[T, 4]) -> (c: f32[T, 2, 2]) {
                  c = reshape(x, shape=[T, -1, 2])
                  return c
                }""", "x", x);
        assertExact("reshape [2, 6]", shape(2, 6), v, r.get("a"));
        assertExact("reshape [-1]", shape(12), v, r.get("b"));
        assertExact("reshape [T, -1, 2]", shape(3, 2, 2), v, c);
        assertExact("reshape [2, -1, 2]", shape(2, 3, 2), v, r.get("d"));
    }

    @Test
    void transpose2dByHand() {
        Tensor x = of(shape(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor t = run1("""
                graph g(x: f32[2, 3]) -> (t: f32[3, 2]) {
                  t = transpose(x, perm=[1, 0])
                  return t
                }""", "x", x);
        assertExact("transpose [1, 0]", shape(3, 2), new double[] {1, 4, 2, 5, 3, 6}, t);
    }

    @Test
    void transpose3dEveryPermutation() {
        int[] dims = {2, 3, 4};
        Tensor x = random(20, 1, dims);
        for (List<Integer> perm : List.of(List.of(0, 1, 2), List.of(0, 2, 1), List.of(1, 0, 2),
                List.of(1, 2, 0), List.of(2, 0, 1), List.of(2, 1, 0))) {
            int[] out = {dims[perm.get(0)], dims[perm.get(1)], dims[perm.get(2)]};
            Tensor t = run1("graph g(x: f32[2, 3, 4]) -> (t: " + type(out) + ") {\n  t = transpose(x, perm="
                    + perm + ")\n  return t\n}", "x", x);
            double[] want = new double[x.size()];
            for (int i = 0; i < out[0]; i++) {
                for (int j = 0; j < out[1]; j++) {
                    for (int k = 0; k < out[2]; k++) {
                        // out[i, j, k] = x[idx] with idx[perm[0]] = i, idx[perm[1]] = j, idx[perm[2]] = k.
                        int[] idx = new int[3];
                        idx[perm.get(0)] = i;
                        idx[perm.get(1)] = j;
                        idx[perm.get(2)] = k;
                        want[(i * out[1] + j) * out[2] + k] = x.data()[(idx[0] * dims[1] + idx[1]) * dims[2] + idx[2]];
                    }
                }
            }
            assertExact("transpose perm " + perm, out, want, t);
        }
        // By hand on [1, 2, 3] with perm [2, 0, 1]: out[k, 0, j] = x[0, j, k].
        Tensor small = run1("""
                graph g(x: f32[1, 2, 3]) -> (t: f32[3, 1, 2]) {
                  t = transpose(x, perm=[2, 0, 1])
                  return t
                }""", "x", of(shape(1, 2, 3), 1, 2, 3, 4, 5, 6));
        assertExact("transpose [2, 0, 1] by hand", shape(3, 1, 2), new double[] {1, 4, 2, 5, 3, 6}, small);
    }
}
