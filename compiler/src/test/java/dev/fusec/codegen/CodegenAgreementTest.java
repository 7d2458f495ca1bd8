package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Interpreter;
import dev.fusec.ir.DType;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Generated kernels against the reference interpreter, op by op: small graphs (odd sizes that are not
 * multiples of the vector width, 2-D [T, ..] and 3-D [S, B, ..]) covering the whole vocabulary, run as
 * written (unfused) and after {@link Pipeline#fuse} (fused), on 1 and 2 threads, at several bindings.
 *
 * <p>Tolerance: {@link Agreement#F32} for f32 graphs, {@link Agreement#BF16} for bf16 ones (their
 * justification is there). Each compiled graph is compared with the interpreter run of the same graph;
 * an f32 fused graph is also compared with the interpreter of the graph as written. Runs on 1 and 2
 * threads, and a second run of the same executor, must agree bit for bit, and every element of a
 * bf16 output must be a bf16 value (the kernels' results are rounded when stored).
 */
class CodegenAgreementTest {
    /** One graph and the bindings to run it at; {@code fusesTo}: ops fusion must produce, space-separated (null: none asked). */
    record Case(String name, String ir, List<Map<String, Long>> bindings, String fusesTo) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Shared by every case: a fused graph whose kernels equal the unfused ones loads them from here. */
    @TempDir
    static Path cacheDir;

    private static List<Map<String, Long>> tokens(long... ts) {
        List<Map<String, Long>> out = new ArrayList<>();
        for (long t : ts) {
            out.add(Map.of("T", t));
        }
        return out;
    }

    private static final List<Map<String, Long>> T = tokens(1, 3, 7, 13);
    private static final List<Map<String, Long>> SB = List.of(Map.of("S", 1L, "B", 1L), Map.of("S", 2L, "B", 3L),
            Map.of("S", 3L, "B", 5L));

    private static Case plain(String name, List<Map<String, Long>> bindings, String ir) {
        return new Case(name, ir, bindings, null);
    }

    private static Case fusing(String name, String fusesTo, List<Map<String, Long>> bindings, String ir) {
        return new Case(name, ir, bindings, fusesTo);
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(plain("matmul plain and transpose_b", T, """
                graph mm(x: f32[T, 13], w: f32[13, 37], xt: f32[T, 20], wt: f32[50, 20])
                    -> (y: f32[T, 37], yt: f32[T, 50]) {
                  y = matmul(x, w)
                  yt = matmul(xt, wt, transpose_b=true)
                  return y, yt
                }
                """));
        c.add(plain("matmul batched 3-D x 2-D", SB, """
                graph mm3(x: f32[S, B, 40], w: f32[40, 25], xt: f32[S, B, 13], wt: f32[37, 13])
                    -> (y: f32[S, B, 25], yt: f32[S, B, 37]) {
                  y = matmul(x, w)
                  yt = matmul(xt, wt, transpose_b=true)
                  return y, yt
                }
                """));
        c.add(plain("linear with and without bias", T, """
                graph lin(x: f32[T, 13], w: f32[37, 13], b: f32[37], x2: f32[T, 24], w2: f32[19, 24], v: f32[13])
                    -> (y: f32[T, 37], y2: f32[T, 19], yv: f32[37]) {
                  y = linear(x, w, b)
                  y2 = linear(x2, w2)
                  yv = linear(v, w, b)
                  return y, y2, yv
                }
                """));
        for (String op : List.of("add", "sub", "mul")) {
            c.add(plain(op + " broadcasting 2-D: same, [N] row, [T,1] per row, [1] scalar, either side", T, """
                    graph bin2(x: f32[T, 37], same: f32[T, 37], row: f32[37], per: f32[T, 1], one: f32[1],
                               row1: f32[1, 37], v: f32[13])
                        -> (o_same: f32[T, 37], o_row: f32[T, 37], o_per: f32[T, 37], o_one: f32[T, 37],
                            o_row1: f32[T, 37], o_rev: f32[T, 37], o_outer: f32[T, 37], o_vec: f32[13]) {
                      o_same = OP(x, same)
                      o_row = OP(x, row)
                      o_per = OP(x, per)
                      o_one = OP(x, one)
                      o_row1 = OP(row1, x)
                      o_rev = OP(per, x)
                      o_outer = OP(per, row)
                      o_vec = OP(one, v)
                      return o_same, o_row, o_per, o_one, o_row1, o_rev, o_outer, o_vec
                    }
                    """.replace("OP", op)));
            c.add(plain(op + " broadcasting 3-D: [S,1,N] with [1,B,N] and other general patterns", SB, """
                    graph bin3(a: f32[S, 1, 13], b: f32[1, B, 13], x: f32[S, B, 13], row: f32[13],
                               per: f32[S, B, 1], mid: f32[B, 13], one: f32[1])
                        -> (g1: f32[S, B, 13], g2: f32[S, B, 13], g3: f32[S, B, 13], g4: f32[S, B, 13],
                            g5: f32[S, B, 13], g6: f32[S, B, 13]) {
                      g1 = OP(a, b)
                      g2 = OP(x, row)
                      g3 = OP(per, x)
                      g4 = OP(x, mid)
                      g5 = OP(one, x)
                      g6 = OP(a, x)
                      return g1, g2, g3, g4, g5, g6
                    }
                    """.replace("OP", op)));
        }
        c.add(fusing("silu, sigmoid, clamp (min, max, both), x * sigmoid(x)", "silu", T, """
                graph unary(x: f32[T, 20], z: f32[T, 37])
                    -> (s: f32[T, 20], g: f32[T, 37], lo: f32[T, 37], hi: f32[T, 20], both: f32[T, 37],
                        pat: f32[T, 37]) {
                  s = silu(x)
                  g = sigmoid(z)
                  lo = clamp(z, min=-0.25)
                  hi = clamp(x, max=0.5)
                  both = clamp(z, min=-0.5, max=0.375)
                  pat = mul(z, sigmoid(z))
                  return s, g, lo, hi, both, pat
                }
                """));
        c.add(plain("rows long enough to split across threads: elementwise blocks, SwiGLU rows", tokens(1, 13), """
                graph wide(x: f32[T, 12347], row: f32[12347], y: f32[T, 8194])
                    -> (s: f32[T, 12347], a: f32[T, 12347], h: f32[T, 4097], hi: f32[T, 4097]) {
                  s = silu(x)
                  a = add(x, row)
                  h = swiglu(y)
                  hi = swiglu(y, layout=interleaved)
                  return s, a, h, hi
                }
                """));
        c.add(plain("degenerate extents (K = 1, N = 1, I = 1, one-operand concat) and bounds beyond the float range", T, """
                graph tiny(x: f32[T, 1], w: f32[1, 1], w3: f32[1, 3], y: f32[T, 2], g: f32[T, 1], b: f32[2], tok: f32[T, 1])
                    -> (m: f32[T, 1], m3: f32[T, 3], gu: f32[T, 2], gus: f32[T, 1], h: f32[T, 1], hb: f32[T, 1],
                        d: f32[T, 2], db: f32[2], c: f32[T, 1], t: f32[1, T], big: f32[T, 1], cl: f32[T, 2]) {
                  m = matmul(x, w)
                  m3 = matmul(x, w3)
                  gu = gate_up(x, w, w, layout=interleaved)
                  gus = gate_up_swiglu(x, w, w)
                  h = swiglu(y, layout=interleaved)
                  hb = weighted_bias_swiglu(y, b, tok, layout=swapped, limit=0.5)
                  d, db = bias_swiglu_back(g, y, b)
                  c = concat(x, axis=-1)
                  t = transpose(x, perm=[1, 0])
                  big = gate_up_swiglu(x, w, w, limit=1e39)
                  cl = clamp(swiglu_back(g, y, limit=1e39), min=-1e39, max=1e39)
                  return m, m3, gu, gus, h, hb, d, db, c, t, big, cl
                }
                """));
        c.add(plain("no kernels at all: only views, and an input returned as it is", T, """
                graph nothing(x: f32[T, 6]) -> (x: f32[T, 6], r: f32[T, 2, 3], f: f32[6*T]) {
                  r = reshape(x, shape=[T, 2, 3])
                  f = reshape(r, shape=[-1])
                  return x, r, f
                }
                """));
        c.add(plain("rank-0 and one-element values", List.of(Map.of()), """
                graph scalars(a: f32[], b: f32[1], v: f32[5])
                    -> (s: f32[], t: f32[1], u: f32[5], w: f32[5]) {
                  s = silu(a)
                  t = add(a, b)
                  u = mul(v, a)
                  w = sub(clamp(v, min=0.0), b)
                  return s, t, u, w
                }
                """));
        c.add(plain("split: parts and sizes, axis -1 and 0, a 2*T dim", T, """
                graph split2(x: f32[T, 26], z: f32[6, 13], w: f32[2*T, 13])
                    -> (a: f32[T, 13], b: f32[T, 13], p: f32[T, 5], q: f32[T, 8], r: f32[T, 13],
                        z0: f32[2, 13], z1: f32[2, 13], z2: f32[2, 13], z3: f32[1, 13], z4: f32[5, 13],
                        w0: f32[T, 13], w1: f32[T, 13]) {
                  a, b = split(x, parts=2, axis=-1)
                  p, q, r = split(x, sizes=[5, 8, 13], axis=-1)
                  z0, z1, z2 = split(z, parts=3, axis=0)
                  z3, z4 = split(z, sizes=[1, 5], axis=0)
                  w0, w1 = split(w, parts=2, axis=0)
                  return a, b, p, q, r, z0, z1, z2, z3, z4, w0, w1
                }
                """));
        c.add(plain("split, concat and transpose large enough to be cut across threads", tokens(1, 5), """
                graph layout_par(x: f32[T, 64, 300]) -> (a: f32[T, 32, 300], b: f32[T, 32, 300], c: f32[T, 128, 300],
                                                      t: f32[300, T, 64]) {
                  a, b = split(x, parts=2, axis=1)
                  c = concat(x, x, axis=1)
                  t = transpose(x, perm=[2, 0, 1])
                  return a, b, c, t
                }
                """));
        c.add(plain("split 3-D: last axis and a middle axis", SB, """
                graph split3(y: f32[S, B, 26], u: f32[S, 6, 7])
                    -> (a: f32[S, B, 13], b: f32[S, B, 13], u0: f32[S, 2, 7], u1: f32[S, 4, 7]) {
                  a, b = split(y, parts=2, axis=-1)
                  u0, u1 = split(u, sizes=[2, 4], axis=1)
                  return a, b, u0, u1
                }
                """));
        c.add(plain("concat of 3 operands, axis -1 and 0", T, """
                graph concat2(a: f32[T, 5], b: f32[T, 13], c: f32[T, 2], p: f32[3, 13], q: f32[4, 13], r: f32[2, 13])
                    -> (last: f32[T, 20], first: f32[9, 13], mixed: f32[T, 20]) {
                  last = concat(a, b, c, axis=-1)
                  first = concat(p, q, r, axis=0)
                  mixed = concat(c, silu(b), a, axis=1)
                  return last, first, mixed
                }
                """));
        c.add(plain("concat 3-D: last axis and a middle axis", SB, """
                graph concat3(a: f32[S, B, 5], b: f32[S, B, 13], c: f32[S, B, 2], p: f32[S, 2, 7], q: f32[S, 3, 7])
                    -> (last: f32[S, B, 20], mid: f32[S, 5, 7]) {
                  last = concat(a, b, c, axis=-1)
                  mid = concat(p, q, axis=1)
                  return last, mid
                }
                """));
        c.add(plain("reshape is a view: of an input, of an intermediate (whose buffer must outlive the view), as an output",
                T, """
                graph views(x: f32[T, 20])
                    -> (r: f32[T, 4, 5], s: f32[T, 4, 5], f: f32[T, 20], t: f32[20, T], flat: f32[20*T]) {
                  r = reshape(x, shape=[T, 4, 5])
                  a = silu(x)
                  v = reshape(a, shape=[T, 4, 5])
                  b = sigmoid(x)
                  c = add(b, b)
                  s = mul(v, r)
                  f0 = reshape(s, shape=[T, -1])
                  f = add(f0, reshape(c, shape=[T, 20]))
                  t = transpose(f0, perm=[1, 0])
                  flat = reshape(f, shape=[-1])
                  return r, s, f, t, flat
                }
                """));
        c.add(plain("flattened tokens [S*B, ..]: dims only --dim can bind, reshaped back to [S, B, ..]", SB, """
                graph flat(y: f32[S*B, 26], x: f32[S*B, 13], w: f32[13, 19], bias: f32[26])
                    -> (h: f32[S*B, 13], m: f32[S*B, 19], r: f32[S, B, 13]) {
                  h = bias_swiglu(y, bias)
                  m = matmul(x, w)
                  r = silu(reshape(h, shape=[S, B, 13]))
                  return h, m, r
                }
                """));
        c.add(plain("transpose 2-D and 3-D permutations", SB, """
                graph transposes(x: f32[S, 13], y: f32[S, B, 7])
                    -> (xt: f32[13, S], a: f32[B, S, 7], b: f32[7, S, B], c: f32[S, 7, B], d: f32[7, B, S],
                        e: f32[B, 7, S]) {
                  xt = transpose(x, perm=[1, 0])
                  a = transpose(y, perm=[1, 0, 2])
                  b = transpose(y, perm=[2, 0, 1])
                  c = transpose(y, perm=[0, 2, 1])
                  d = transpose(y, perm=[2, 1, 0])
                  e = transpose(y, perm=[1, 2, 0])
                  return xt, a, b, c, d, e
                }
                """));
        c.add(plain("swiglu family 2-D: every layout, limit=, bias, per-token weights", T, """
                graph swiglu2(y: f32[T, 74], bias: f32[74], w: f32[T, 1])
                    -> (h1: f32[T, 37], h2: f32[T, 37], h3: f32[T, 37], h4: f32[T, 37], h5: f32[T, 37],
                        b1: f32[T, 37], b2: f32[T, 37], b3: f32[T, 37], b4: f32[T, 37],
                        w1: f32[T, 37], w2: f32[T, 37], w3: f32[T, 37], w4: f32[T, 37],
                        x1: f32[T, 37], x2: f32[T, 37], x3: f32[T, 37], x4: f32[T, 37]) {
                  h1 = swiglu(y)
                  h2 = swiglu(y, layout=swapped)
                  h3 = swiglu(y, layout=interleaved)
                  h4 = swiglu(y, limit=0.5)
                  h5 = swiglu(y, layout=interleaved, limit=0.25)
                  b1 = bias_swiglu(y, bias)
                  b2 = bias_swiglu(y, bias, layout=swapped)
                  b3 = bias_swiglu(y, bias, layout=interleaved)
                  b4 = bias_swiglu(y, bias, layout=swapped, limit=0.5)
                  w1 = weighted_swiglu(y, w)
                  w2 = weighted_swiglu(y, w, layout=swapped)
                  w3 = weighted_swiglu(y, w, layout=interleaved)
                  w4 = weighted_swiglu(y, w, layout=interleaved, limit=0.5)
                  x1 = weighted_bias_swiglu(y, bias, w)
                  x2 = weighted_bias_swiglu(y, bias, w, layout=swapped)
                  x3 = weighted_bias_swiglu(y, bias, w, layout=interleaved)
                  x4 = weighted_bias_swiglu(y, bias, w, limit=0.5)
                  return h1, h2, h3, h4, h5, b1, b2, b3, b4, w1, w2, w3, w4, x1, x2, x3, x4
                }
                """));
        c.add(plain("swiglu family 3-D [S, B, 2I]", SB, """
                graph swiglu3(y: f32[S, B, 26], bias: f32[26], w: f32[S, B, 1])
                    -> (h: f32[S, B, 13], b: f32[S, B, 13], w1: f32[S, B, 13], x: f32[S, B, 13]) {
                  h = swiglu(y, layout=interleaved)
                  b = bias_swiglu(y, bias, limit=0.5)
                  w1 = weighted_swiglu(y, w, layout=swapped)
                  x = weighted_bias_swiglu(y, bias, w, layout=interleaved, limit=0.25)
                  return h, b, w1, x
                }
                """));
        c.add(plain("gate_up: every layout, transpose_b, 3-D x", T, """
                graph gu(x: f32[T, 13], wg: f32[13, 19], wu: f32[13, 19], wgt: f32[37, 24], wut: f32[37, 24],
                         x2: f32[T, 24])
                    -> (h: f32[T, 38], s: f32[T, 38], i: f32[T, 38], t: f32[T, 74], ti: f32[T, 74]) {
                  h = gate_up(x, wg, wu)
                  s = gate_up(x, wg, wu, layout=swapped)
                  i = gate_up(x, wg, wu, layout=interleaved)
                  t = gate_up(x2, wgt, wut, transpose_b=true)
                  ti = gate_up(x2, wgt, wut, transpose_b=true, layout=interleaved)
                  return h, s, i, t, ti
                }
                """));
        c.add(plain("gate_up and gate_up_swiglu on 3-D x", SB, """
                graph gu3(x: f32[S, B, 13], wg: f32[13, 19], wu: f32[13, 19])
                    -> (h: f32[S, B, 38], a: f32[S, B, 19]) {
                  h = gate_up(x, wg, wu, layout=interleaved)
                  a = gate_up_swiglu(x, wg, wu, limit=0.25)
                  return h, a
                }
                """));
        c.add(plain("gate_up_swiglu: with and without limit, transpose_b, layouts", T, """
                graph gus(x: f32[T, 24], wg: f32[24, 37], wu: f32[24, 37], wgt: f32[50, 24], wut: f32[50, 24])
                    -> (a: f32[T, 37], b: f32[T, 37], c: f32[T, 50], d: f32[T, 50], e: f32[T, 37]) {
                  a = gate_up_swiglu(x, wg, wu)
                  b = gate_up_swiglu(x, wg, wu, limit=0.25)
                  c = gate_up_swiglu(x, wgt, wut, transpose_b=true)
                  d = gate_up_swiglu(x, wgt, wut, transpose_b=true, layout=interleaved, limit=0.125)
                  e = gate_up_swiglu(x, wg, wu, layout=swapped)
                  return a, b, c, d, e
                }
                """));
        c.add(plain("swiglu_back, bias_swiglu_back, weighted_swiglu_back (fp8_input_store too)", T, """
                graph back(g: f32[T, 37], y: f32[T, 74], bias: f32[74], w: f32[T, 1])
                    -> (d1: f32[T, 74], d2: f32[T, 74], d3: f32[T, 74], d4: f32[T, 74], db4: f32[74],
                        d5: f32[T, 74], db5: f32[74], d6: f32[T, 74], dw6: f32[T, 1], d7: f32[T, 74], dw7: f32[T, 1],
                        d8: f32[T, 74], dw8: f32[T, 1], d9: f32[T, 74]) {
                  d1 = swiglu_back(g, y)
                  d2 = swiglu_back(g, y, layout=swapped, limit=0.5)
                  d3 = swiglu_back(g, y, layout=interleaved)
                  d4, db4 = bias_swiglu_back(g, y, bias)
                  d5, db5 = bias_swiglu_back(g, y, bias, layout=interleaved, limit=0.5)
                  d6, dw6 = weighted_swiglu_back(g, y, w)
                  d7, dw7 = weighted_swiglu_back(g, y, w, fp8_input_store=true)
                  d8, dw8 = weighted_swiglu_back(g, y, w, layout=swapped, limit=0.5, fp8_input_store=true)
                  d9 = swiglu_back(g, y, fp8_input_store=true)
                  return d1, d2, d3, d4, db4, d5, db5, d6, dw6, d7, dw7, d8, dw8, d9
                }
                """));
        c.add(plain("backward vector kernels: clamps, interleaved pairs, fp8, and db summed over more than 64 rows in blocks",
                tokens(1, 64, 150), """
                graph back_rows(g: f32[T, 21], y: f32[T, 42], bias: f32[42], w: f32[T, 1])
                    -> (d1: f32[T, 42], db1: f32[42], d2: f32[T, 42], dw2: f32[T, 1], d3: f32[T, 42], db3: f32[42],
                        d4: f32[T, 42], dw4: f32[T, 1], d5: f32[T, 42], db5: f32[42]) {
                  d1, db1 = bias_swiglu_back(g, y, bias, limit=0.5)
                  d2, dw2 = weighted_swiglu_back(g, y, w, layout=swapped, limit=0.5)
                  d3, db3 = bias_swiglu_back(g, y, bias, layout=swapped)
                  d4, dw4 = weighted_swiglu_back(g, y, w, layout=interleaved, fp8_input_store=true)
                  d5, db5 = bias_swiglu_back(g, y, bias, layout=interleaved, limit=0.5, fp8_input_store=true)
                  return d1, db1, d2, dw2, d3, db3, d4, dw4, d5, db5
                }
                """));
        c.add(plain("backward ops on 3-D [S, B, 2I]", SB, """
                graph back3(g: f32[S, B, 13], y: f32[S, B, 26], bias: f32[26], w: f32[S, B, 1])
                    -> (d1: f32[S, B, 26], d2: f32[S, B, 26], db2: f32[26], d3: f32[S, B, 26], dw3: f32[S, B, 1]) {
                  d1 = swiglu_back(g, y, layout=interleaved, limit=0.25)
                  d2, db2 = bias_swiglu_back(g, y, bias, layout=swapped)
                  d3, dw3 = weighted_swiglu_back(g, y, w, fp8_input_store=true)
                  return d1, d2, db2, d3, dw3
                }
                """));
        // ---- GeGLU: gelu in both formulas, and act= on every GLU-family op ----
        c.add(plain("gelu and gelu tanh form: odd widths (masked and scalar tails), inputs out to +-16 (the tails' cut-offs)", T, """
                graph gelus(x: f32[T, 37], z: f32[T, 20], big: f32[T, 37])
                    -> (a: f32[T, 37], b: f32[T, 37], c: f32[T, 20], d: f32[T, 20], e: f32[T, 37], f: f32[T, 37]) {
                  a = gelu(x)
                  b = gelu(x, approximate=tanh)
                  c = gelu(z, approximate=none)
                  d = gelu(z, approximate=tanh)
                  b2 = add(big, big)
                  b4 = add(b2, b2)
                  b8 = add(b4, b4)
                  b16 = add(b8, b8)
                  e = gelu(b16)
                  f = gelu(b16, approximate=tanh)
                  return a, b, c, d, e, f
                }
                """));
        for (String act : List.of("gelu", "gelu_tanh")) {
            c.add(plain("GeGLU forward (act=" + act + "): every layout, limit, bias, weights, tails", T, """
                    graph geglu(y: f32[T, 74], bias: f32[74], w: f32[T, 1])
                        -> (h: f32[T, 37], s: f32[T, 37], i: f32[T, 37], b: f32[T, 37], bl: f32[T, 37], wt: f32[T, 37],
                            wb: f32[T, 37]) {
                      h = swiglu(y, act=ACT)
                      s = swiglu(y, act=ACT, layout=swapped, limit=0.5)
                      i = swiglu(y, act=ACT, layout=interleaved)
                      b = bias_swiglu(y, bias, act=ACT, layout=interleaved, limit=0.25)
                      bl = bias_swiglu(y, bias, act=ACT)
                      wt = weighted_swiglu(y, w, act=ACT, layout=swapped)
                      wb = weighted_bias_swiglu(y, bias, w, act=ACT, limit=0.5)
                      return h, s, i, b, bl, wt, wb
                    }
                    """.replace("ACT", act)));
            c.add(plain("GeGLU gate_up_swiglu (act=" + act + "): limit, transpose_b, layouts, decode and masked panels",
                    tokens(1, 3, 7, 13), """
                    graph geglu_gu(x: f32[T, 24], wg: f32[24, 37], wu: f32[24, 37], wgt: f32[50, 24], wut: f32[50, 24],
                                   x2: f32[T, 67], wg10: f32[67, 150], wu10: f32[67, 150])
                        -> (a: f32[T, 37], b: f32[T, 37], c: f32[T, 50], d: f32[T, 37], e: f32[T, 150]) {
                      a = gate_up_swiglu(x, wg, wu, act=ACT)
                      b = gate_up_swiglu(x, wg, wu, act=ACT, limit=0.25)
                      c = gate_up_swiglu(x, wgt, wut, transpose_b=true, act=ACT, layout=interleaved)
                      d = gate_up_swiglu(x, wg, wu, act=ACT, layout=swapped)
                      e = gate_up_swiglu(x2, wg10, wu10, act=ACT)
                      return a, b, c, d, e
                    }
                    """.replace("ACT", act)));
            c.add(plain("GeGLU backward (act=" + act + "): every layout, limit, fp8, db over more than 64 rows, tails",
                    tokens(1, 7, 150), """
                    graph geglu_back(g: f32[T, 37], y: f32[T, 74], bias: f32[74], w: f32[T, 1])
                        -> (d1: f32[T, 74], d2: f32[T, 74], d3: f32[T, 74], db3: f32[74], d4: f32[T, 74], db4: f32[74],
                            d5: f32[T, 74], dw5: f32[T, 1], d6: f32[T, 74], dw6: f32[T, 1], d7: f32[T, 74]) {
                      d1 = swiglu_back(g, y, act=ACT)
                      d2 = swiglu_back(g, y, act=ACT, layout=interleaved, limit=0.5)
                      d3, db3 = bias_swiglu_back(g, y, bias, act=ACT)
                      d4, db4 = bias_swiglu_back(g, y, bias, act=ACT, layout=swapped, limit=0.5, fp8_input_store=true)
                      d5, dw5 = weighted_swiglu_back(g, y, w, act=ACT, layout=interleaved)
                      d6, dw6 = weighted_swiglu_back(g, y, w, act=ACT, limit=0.5, fp8_input_store=true)
                      d7 = swiglu_back(g, y, act=ACT, fp8_input_store=true)
                      return d1, d2, d3, db3, d4, db4, d5, dw5, d6, dw6, d7
                    }
                    """.replace("ACT", act)));
        }
        c.add(fusing("GeGLU FFN (matmul, matmul, gelu, mul, matmul) fuses to gate_up_swiglu(act=gelu)", "gate_up_swiglu", T, """
                graph geglu_ffn(x: f32[T, 24], w_gate: f32[24, 37], w_up: f32[24, 37], w_down: f32[37, 24])
                    -> (y: f32[T, 24]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  h = mul(up, gelu(gate, approximate=tanh))
                  y = matmul(h, w_down)
                  return y
                }
                """));
        c.add(fusing("Megatron-style bias GeGLU on [S, B, 2I] fuses to bias_swiglu(act=gelu)", "bias_swiglu", SB, """
                graph megatron_geglu(y: f32[S, B, 74], bias: f32[74]) -> (out: f32[S, B, 37]) {
                  z1, z2 = split(add(y, bias), parts=2, axis=-1)
                  out = mul(gelu(z1), z2)
                  return out
                }
                """));
        c.add(fusing("gpt-oss expert (interleaved, clamped, swish alpha, up + const 1) fuses to bias_swiglu(alpha=, beta=)",
                "bias_swiglu", T, """
                graph expert(x: f32[T, 24], w: f32[24, 70], b: f32[70], down: f32[35, 24], db: f32[24], v: f32[T, 35])
                    -> (y: f32[T, 24], s: f32[T, 35], one: f32[]) {
                  one = const(value=1.0)
                  z = add(matmul(x, w), b)
                  g, u = split(reshape(z, shape=[T, 35, 2]), parts=2, axis=-1)
                  gate = clamp(reshape(g, shape=[T, 35]), max=7.0)
                  up = clamp(reshape(u, shape=[T, 35]), min=-7.0, max=7.0)
                  h = mul(add(up, one), swish(gate, alpha=1.702))
                  y = add(matmul(h, down), db)
                  s = swish(v, alpha=0.5)
                  return y, s, one
                }
                """));
        c.add(plain("alpha= and beta= on every forward GLU op and layout, and gate_up_swiglu's epilogue", T, """
                graph scaled(y: f32[T, 74], bias: f32[74], w: f32[T, 1], y8: f32[T, 64], x: f32[T, 24], wg: f32[24, 37], wu: f32[24, 37])
                    -> (h1: f32[T, 37], h2: f32[T, 37], h3: f32[T, 37], h4: f32[T, 37], h5: f32[T, 37], h6: f32[T, 32],
                        h7: f32[T, 37], h8: f32[T, 37]) {
                  h1 = swiglu(y, alpha=1.702, beta=1.0)
                  h2 = swiglu(y, layout=swapped, beta=-0.5)
                  h3 = bias_swiglu(y, bias, layout=interleaved, limit=1.5, alpha=1.702, beta=1.0)
                  h4 = weighted_swiglu(y, w, alpha=0.75)
                  h5 = weighted_bias_swiglu(y, bias, w, layout=interleaved, alpha=1.702, beta=1.0)
                  h6 = swiglu(y8, layout=interleaved, alpha=1.702, beta=1.0)
                  h7 = gate_up_swiglu(x, wg, wu, limit=1.0, alpha=1.702, beta=1.0)
                  h8 = gate_up_swiglu(x, wg, wu, act=gelu, beta=2.0)
                  return h1, h2, h3, h4, h5, h6, h7, h8
                }
                """));
        c.add(fusing("llama FFN (matmul, matmul, silu, mul, matmul) fuses to gate_up_swiglu", "gate_up_swiglu", T, """
                graph ffn(x: f32[T, 24], w_gate: f32[24, 37], w_up: f32[24, 37], w_down: f32[37, 24])
                    -> (y: f32[T, 24]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  h = mul(silu(gate), up)
                  y = matmul(h, w_down)
                  return y
                }
                """));
        c.add(fusing("K a multiple of 512: rows of x copied to a longer stride (plain, transposed, gate-up)", "gate_up_swiglu",
                tokens(1, 2, 13, 25), """
                graph strided(x: f32[T, 512], w_gate: f32[512, 19], w_up: f32[512, 19], w_down: f32[19, 512],
                              wt: f32[21, 1024], x2: f32[T, 1024])
                    -> (y: f32[T, 512], yt: f32[T, 21]) {
                  y = matmul(mul(silu(matmul(x, w_gate)), matmul(x, w_up)), w_down)
                  yt = matmul(x2, wt, transpose_b=true)
                  return y, yt
                }
                """));
        c.add(fusing("decode path: panel counts that its group of four does not divide (1, 7, 2 and 10 panels), the last "
                        + "panel masked", "gate_up_swiglu", tokens(1, 3), """
                graph remainder(x: f32[T, 70], w: f32[70, 21], w7: f32[70, 200], x2: f32[T, 67], w_gate: f32[67, 19],
                                w_up: f32[67, 19], wg10: f32[67, 150], wu10: f32[67, 150])
                    -> (y: f32[T, 21], y7: f32[T, 200], h: f32[T, 19], h10: f32[T, 150]) {
                  y = matmul(x, w)
                  y7 = matmul(x, w7)
                  h = mul(silu(matmul(x2, w_gate)), matmul(x2, w_up))
                  h10 = mul(silu(matmul(x2, wg10)), matmul(x2, wu10))
                  return y, y7, h, h10
                }
                """));
        c.add(plain("K past 2560: plain matmul, transpose_b and linear with bias walk K in blocks", tokens(1, 2, 13, 25), """
                graph blocked(x: f32[T, 2600], w: f32[2600, 19], wt: f32[35, 2600], b: f32[35], x2: f32[T, 4608], w2: f32[4608, 17])
                    -> (y: f32[T, 19], yt: f32[T, 35], y2: f32[T, 17]) {
                  y = matmul(x, w)
                  yt = linear(x, wt, b)
                  y2 = matmul(x2, w2)
                  return y, yt, y2
                }
                """));
        c.add(fusing("linear gate and up (PyTorch weights) fuse to gate_up_swiglu with transpose_b", "gate_up_swiglu", SB, """
                graph ffn_linear(x: f32[S, B, 13], wg: f32[37, 13], wu: f32[37, 13], wd: f32[13, 37])
                    -> (y: f32[S, B, 13]) {
                  y = linear(mul(silu(linear(x, wg)), linear(x, wu)), wd)
                  return y
                }
                """));
        c.add(fusing("Megatron bias SwiGLU on [S, B, 2I] fuses to bias_swiglu", "bias_swiglu", SB, """
                graph megatron(y: f32[S, B, 74], bias: f32[74]) -> (out: f32[S, B, 37]) {
                  z = add(y, bias)
                  z1, z2 = split(z, parts=2, axis=-1)
                  out = mul(silu(z1), z2)
                  return out
                }
                """));
        c.add(fusing("second half gated fuses to swiglu(layout=swapped); per-token weight to weighted_swiglu", "weighted_swiglu", T, """
                graph swapped(y: f32[T, 26], w: f32[T, 1]) -> (o: f32[T, 13], p: f32[T, 13]) {
                  u, g = split(y, parts=2, axis=-1)
                  o = mul(u, silu(g))
                  a, b = split(y, parts=2, axis=-1)
                  p = mul(mul(silu(a), b), w)
                  return o, p
                }
                """));
        c.add(fusing("silu(gate) also returned: fusion adapts, results unchanged", "gate_up", T, """
                graph shared(x: f32[T, 13], w_gate: f32[13, 19], w_up: f32[13, 19])
                    -> (h: f32[T, 19], act: f32[T, 19]) {
                  gate = matmul(x, w_gate)
                  up = matmul(x, w_up)
                  act = silu(gate)
                  h = mul(act, up)
                  return h, act
                }
                """));
        c.add(fusing("bf16: FFN and bias SwiGLU, every stored value rounded to bf16", "gate_up_swiglu bias_swiglu", T, """
                graph bf16_graph(x: bf16[T, 24], w_gate: bf16[24, 37], w_up: bf16[24, 37], w_down: bf16[37, 24],
                                 y: bf16[T, 26], bias: bf16[26])
                    -> (out: bf16[T, 24], act: bf16[T, 13]) {
                  h = mul(silu(matmul(x, w_gate)), matmul(x, w_up))
                  out = matmul(h, w_down)
                  z1, z2 = split(add(y, bias), parts=2, axis=-1)
                  act = mul(silu(z1), z2)
                  return out, act
                }
                """));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void kernelsAgreeWithTheInterpreter(Case c) {
        Graph g = IrParser.parse(c.name().replaceAll("[^A-Za-z0-9]+", "_") + ".fir", c.ir());
        Graph fused = Pipeline.fuse(g);
        if (c.fusesTo() != null) {
            List<String> ops = fused.nodes().stream().map(n -> n.op().opName()).toList();
            for (String want : c.fusesTo().split(" ")) {
                assertTrue(ops.contains(want), "fusion should have produced " + want + ": " + ops);
            }
        }
        boolean f32 = g.inputs().stream().allMatch(p -> p.type().dtype() == DType.F32);
        double tol = f32 ? Agreement.F32 : Agreement.BF16;
        KernelCache cache = new KernelCache(cacheDir);
        Map<String, CompiledGraph> compiled = new LinkedHashMap<>();
        compiled.put("unfused", CompiledGraph.compile(g, Species.preferred(), cache));
        compiled.put("fused", CompiledGraph.compile(fused, Species.preferred(), cache));

        List<String> problems = new ArrayList<>();
        for (Map<String, Long> binding : c.bindings()) {
            Map<String, Tensor> in = Agreement.inputs(g, binding, 7);
            Map<String, Tensor> asWritten = Interpreter.run(g, in, binding);
            for (var e : compiled.entrySet()) {
                String what = e.getKey() + " " + binding;
                CompiledGraph cg = e.getValue();
                Map<String, Tensor> want = e.getKey().equals("fused") ? Interpreter.run(fused, in, binding) : asWritten;
                Executor executor = cg.executor(binding);
                Map<String, Tensor> one;
                Map<String, Tensor> again;
                try (Parallel par = new Parallel(1)) {
                    // The executor owns its output arrays and the next run overwrites them: keep a copy.
                    one = Agreement.copy(cg.run(executor, in, binding, par));
                    again = cg.run(executor, in, binding, par);
                }
                Map<String, Tensor> two = Agreement.run(cg, binding, in, 2);
                problems.addAll(Agreement.compare(what + " 1 thread", want, one, tol));
                problems.addAll(Agreement.identical(what + " second run of the executor", one, again));
                problems.addAll(Agreement.identical(what + " 2 threads vs 1", one, two));
                // Stored as its dtype: every element of a bf16 output is a bf16 value.
                problems.addAll(Agreement.storedAsTheirTypes(what, g, one));
                if (f32 && e.getKey().equals("fused")) {
                    problems.addAll(Agreement.compare(what + " vs the graph as written", asWritten, one, tol));
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /**
     * GeGLU's kernels at 8 and 16 lanes against the interpreter, each output's worst difference
     * (relative to max(1, max |want|), as {@link Agreement#F32}) printed: unfused gelu in both
     * formulas over [-16, 16], the forward GLU ops, gate_up_swiglu and the backward ops with
     * act=gelu and gelu_tanh.
     */
    @ParameterizedTest(name = "{0} lanes")
    @ValueSource(ints = {8, 16})
    void geluKernelsReportTheirWorstDifference(int lanes) {
        Graph g = IrParser.parse("geglu_worst.fir", """
                graph geglu_worst(u: f32[T, 37], x: f32[T, 24], wg: f32[24, 37], wu: f32[24, 37], y: f32[T, 74],
                                  bias: f32[74], gr: f32[T, 37], tok: f32[T, 1])
                    -> (gelu: f32[T, 37], gelu_tanh: f32[T, 37], geglu: f32[T, 37], geglu_tanh: f32[T, 37],
                        gate_up_geglu: f32[T, 37], gate_up_geglu_tanh: f32[T, 37], back: f32[T, 74], back_tanh: f32[T, 74],
                        db: f32[74], dw_tanh: f32[T, 1]) {
                  u2 = add(u, u)
                  u4 = add(u2, u2)
                  u8 = add(u4, u4)
                  u16 = add(u8, u8)
                  gelu = gelu(u16)
                  gelu_tanh = gelu(u16, approximate=tanh)
                  geglu = bias_swiglu(y, bias, act=gelu, layout=interleaved)
                  geglu_tanh = weighted_swiglu(y, tok, act=gelu_tanh, layout=swapped)
                  gate_up_geglu = gate_up_swiglu(x, wg, wu, act=gelu)
                  gate_up_geglu_tanh = gate_up_swiglu(x, wg, wu, act=gelu_tanh, limit=0.5)
                  back, db = bias_swiglu_back(gr, y, bias, act=gelu)
                  back_tanh, dw_tanh = weighted_swiglu_back(gr, y, tok, act=gelu_tanh, layout=interleaved)
                  return gelu, gelu_tanh, geglu, geglu_tanh, gate_up_geglu, gate_up_geglu_tanh, back, back_tanh, db, dw_tanh
                }
                """);
        CompiledGraph cg = CompiledGraph.compile(g, new Species(lanes), null);
        Map<String, Double> worst = new LinkedHashMap<>();
        for (Map<String, Long> binding : tokens(1, 7, 13, 64)) {
            Map<String, Tensor> in = Agreement.inputs(g, binding, 5);
            Map<String, Tensor> want = Interpreter.run(g, in, binding);
            Map<String, Tensor> got = Agreement.run(cg, binding, in, 2);
            Agreement.worst(want, got).forEach((k, v) -> worst.merge(k, v, Math::max));
        }
        System.out.println(lanes + " lanes, worst |kernel - interpreter| / max(1, max |interpreter|): " + worst);
        worst.forEach((k, v) -> assertTrue(v <= Agreement.F32, k + " differs by " + v));
    }

    /**
     * The vector widths this machine does not prefer: 4 lanes (SSE, NEON) and 16 (AVX-512; software
     * vectors elsewhere, slow but exact), so the 12-row matmul tile and the 4- and 16-lane interleave
     * shuffles run here too. T = 25 is two 12-row tiles and a 1-row rest.
     */
    @ParameterizedTest(name = "{0} lanes")
    @ValueSource(ints = {4, 8, 16})
    void everyVectorWidthAgrees(int lanes) {
        Graph g = IrParser.parse("widths.fir", """
                graph widths(x: f32[T, 24], w: f32[24, 37], wg: f32[24, 37], wu: f32[24, 37], wt: f32[50, 24],
                             b: f32[50], y: f32[T, 74], bias: f32[74], tok: f32[T, 1], row: f32[37], g: f32[T, 37])
                    -> (m: f32[T, 37], l: f32[T, 50], gu: f32[T, 74], gus: f32[T, 37], h: f32[T, 37],
                        hb: f32[T, 37], s: f32[T, 74], a: f32[T, 37], p: f32[T, 37], c: f32[T, 74],
                        ge: f32[T, 74], gt: f32[T, 74], ggu: f32[T, 37], gh: f32[T, 37], ghb: f32[T, 37],
                        gd: f32[T, 74], gdb: f32[74], gdw: f32[T, 74], gw: f32[T, 1]) {
                  m = matmul(x, w)
                  l = linear(x, wt, b)
                  gu = gate_up(x, wg, wu, layout=interleaved)
                  gus = gate_up_swiglu(x, wg, wu, limit=0.25)
                  h = swiglu(y, layout=interleaved)
                  hb = weighted_bias_swiglu(y, bias, tok, layout=interleaved, limit=0.5)
                  s = sigmoid(y)
                  a = add(m, row)
                  p = mul(gus, tok)
                  c = clamp(y, min=-0.5, max=0.5)
                  ge = gelu(y)
                  gt = gelu(y, approximate=tanh)
                  ggu = gate_up_swiglu(x, wg, wu, act=gelu_tanh, limit=0.25)
                  gh = swiglu(y, act=gelu, layout=interleaved)
                  ghb = weighted_bias_swiglu(y, bias, tok, act=gelu_tanh, layout=interleaved, limit=0.5)
                  gd, gdb = bias_swiglu_back(g, y, bias, act=gelu, layout=interleaved)
                  gdw, gw = weighted_swiglu_back(g, y, tok, act=gelu_tanh, layout=swapped)
                  return m, l, gu, gus, h, hb, s, a, p, c, ge, gt, ggu, gh, ghb, gd, gdb, gdw, gw
                }
                """);
        CompiledGraph cg = CompiledGraph.compile(g, new Species(lanes), null);
        List<String> problems = new ArrayList<>();
        for (Map<String, Long> binding : tokens(1, 7, 13, 25)) {
            Map<String, Tensor> in = Agreement.inputs(g, binding, 11);
            problems.addAll(Agreement.compare(lanes + " lanes " + binding, Interpreter.run(g, in, binding),
                    Agreement.run(cg, binding, in, 2), Agreement.F32));
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
