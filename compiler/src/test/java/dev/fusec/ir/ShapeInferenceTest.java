package dev.fusec.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fusec.parse.IrParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Shape inference, op by op: the inferred types (2-D and 3-D, broadcasting, symbolic dims, reshape
 * and concat arithmetic on monomials) and the exact error, with its position, for each mismatch.
 * Graphs are written as IR text; {@link #source} wraps statements in a graph that returns its first
 * input, so a test needs to declare no output types.
 */
class ShapeInferenceTest {

    // ---- helpers ----

    /** A graph over {@code inputs} with one statement per line from line 2, returning the first input. */
    static String source(String inputs, String... stmts) {
        String first = inputs.substring(0, inputs.indexOf(']') + 1);
        StringBuilder sb = new StringBuilder("graph t(" + inputs + ") -> (" + first + ") {\n");
        for (String s : stmts) {
            sb.append("  ").append(s).append('\n');
        }
        sb.append("  return ").append(first, 0, first.indexOf(':')).append("\n}\n");
        return sb.toString();
    }

    static Map<String, TensorType> infer(String inputs, String... stmts) {
        return ShapeInference.infer(IrParser.parse("t.fir", source(inputs, stmts)));
    }

    /** The inferred type of {@code value}, as printed. */
    static String typeOf(String value, String inputs, String... stmts) {
        return infer(inputs, stmts).get(value).toString();
    }

    /** The error shape inference throws; the parser must accept the text. */
    static CompileError error(String text) {
        Graph g = IrParser.parse("t.fir", text);
        return assertThrows(CompileError.class, () -> ShapeInference.infer(g));
    }

    static CompileError error(String inputs, String... stmts) {
        return error(source(inputs, stmts));
    }

    static void assertError(String expectedAt, String expectedMessage, CompileError e) {
        assertEquals(expectedMessage, e.getMessage());
        assertEquals(expectedAt, e.pos().lineCol(), "position of: " + e.getMessage());
    }

    // ---- matmul and linear ----

    @Test
    void matmul2dAnd3d() {
        assertEquals("f32[T, 128]", typeOf("y", "x: f32[T, 64], w: f32[64, 128]", "y = matmul(x, w)"));
        assertEquals("f32[S, B, 32]", typeOf("y", "x: f32[S, B, 64], w: f32[64, 32]", "y = matmul(x, w)"));
        assertEquals("f32[T, 128]", typeOf("y", "x: f32[T, 64], w: f32[128, 64]", "y = matmul(x, w, transpose_b=true)"));
        assertEquals("bf16[T, 4]", typeOf("y", "x: bf16[T, 2], w: bf16[2, 4]", "y = matmul(x, w)"));
    }

    @Test
    void matmulInnerDimsMustAgree() {
        assertError("2:7", "matmul: inner dims differ: [T, 8] @ [7, 8] (8 vs 7)",
                error("x: f32[T, 8], w: f32[7, 8]", "y = matmul(x, w)"));
        assertError("2:7", "matmul: inner dims differ: [T, 8] @ [8, 7]^T (8 vs 7)",
                error("x: f32[T, 8], w: f32[8, 7]", "y = matmul(x, w, transpose_b=true)"));
        // Symbolic dims unify only with the same symbol.
        assertError("2:7", "matmul: inner dims differ: [T, K] @ [J, 8] (K vs J)",
                error("x: f32[T, K], w: f32[J, 8]", "y = matmul(x, w)"));
        assertEquals("f32[T, 8]", typeOf("y", "x: f32[T, K], w: f32[K, 8]", "y = matmul(x, w)"));
        assertError("2:7", "matmul: second operand must be 2-D, got [2, 8, 8]",
                error("x: f32[T, 8], w: f32[2, 8, 8]", "y = matmul(x, w)"));
        assertError("2:7", "matmul: first operand must be at least 2-D, got [8]",
                error("x: f32[8], w: f32[8, 8]", "y = matmul(x, w)"));
    }

    @Test
    void linearIsXTimesWTransposedPlusBias() {
        assertEquals("f32[T, 16]", typeOf("y", "x: f32[T, 8], w: f32[16, 8], b: f32[16]", "y = linear(x, w, b)"));
        assertEquals("f32[S, B, 16]", typeOf("y", "x: f32[S, B, 8], w: f32[16, 8]", "y = linear(x, w)"));
        assertEquals("f32[16]", typeOf("y", "x: f32[8], w: f32[16, 8]", "y = linear(x, w)"));
        assertError("2:7", "linear: linear bias must be [16], got [8]",
                error("x: f32[T, 8], w: f32[16, 8], b: f32[8]", "y = linear(x, w, b)"));
        assertError("2:7", "linear: inner dims differ: [T, 8] @ [8, 16]^T (8 vs 16)",
                error("x: f32[T, 8], w: f32[8, 16]", "y = linear(x, w)"));
    }

    // ---- elementwise ----

    @Test
    void elementwiseBroadcasting() {
        assertEquals("f32[T, 8]", typeOf("y", "x: f32[T, 8], b: f32[8]", "y = add(x, b)"));
        assertEquals("f32[T, 8]", typeOf("y", "b: f32[8], x: f32[T, 8]", "y = add(b, x)"));
        assertEquals("f32[S, B, 8]", typeOf("y", "x: f32[S, B, 8], b: f32[B, 1]", "y = mul(x, b)"));
        assertEquals("f32[T, 8]", typeOf("y", "a: f32[T, 1], b: f32[1, 8]", "y = sub(a, b)"));
        assertEquals("f32[T, 8]", typeOf("y", "a: f32[1, 8], b: f32[T, 1]", "y = sub(a, b)"));
        assertEquals("f32[T, 8]", typeOf("y", "a: f32[T, 8], s: f32[]", "y = mul(a, s)"));
        assertEquals("f32[S, B, 8]", typeOf("y", "a: f32[S, B, 8]", "y = silu(a)"));
        assertEquals("f16[T, 8]", typeOf("y", "a: f16[T, 8]", "y = sigmoid(a)"));
        assertEquals("f32[T, 8]", typeOf("y", "a: f32[T, 8]", "y = clamp(a, min=-1, max=1.5)"));
    }

    @Test
    void broadcastMismatchesNameTheDims() {
        assertError("2:7", "add: cannot broadcast [T, 8] with [T, 4] (8 vs 4)",
                error("a: f32[T, 8], b: f32[T, 4]", "y = add(a, b)"));
        assertError("2:7", "mul: cannot broadcast [T, 8] with [S, 8] (T vs S)",
                error("a: f32[T, 8], b: f32[S, 8]", "y = mul(a, b)"));
        assertError("2:7", "sub: cannot broadcast [T, 8] with [2*T, 8] (T vs 2*T)",
                error("a: f32[T, 8], b: f32[2*T, 8]", "y = sub(a, b)"));
        assertError("2:7", "add: cannot broadcast [S, B, 8] with [S, 8] (B vs S)",
                error("a: f32[S, B, 8], b: f32[S, 8]", "y = add(a, b)"));
    }

    @Test
    void operandsMustNotMixDtypes() {
        assertError("2:7", "add: operands mix dtypes f32 and bf16",
                error("a: f32[T, 8], b: bf16[T, 8]", "y = add(a, b)"));
        assertError("2:7", "matmul: operands mix dtypes f16 and f8e4m3",
                error("a: f16[T, 8], b: f8e4m3[8, 8]", "y = matmul(a, b)"));
        assertError("2:7", "concat: operands mix dtypes f32 and f16",
                error("a: f32[T, 8], b: f32[T, 8], c: f16[T, 8]", "y = concat(a, b, c, axis=0)"));
    }

    // ---- split, concat, reshape, transpose ----

    @Test
    void splitInPartsAndSizes() {
        Map<String, TensorType> t = infer("x: f32[T, 8]", "a, b = split(x, parts=2, axis=-1)");
        assertEquals("f32[T, 4]", t.get("a").toString());
        assertEquals("f32[T, 4]", t.get("b").toString());
        t = infer("x: f32[S, B, 12]", "a, b, c = split(x, axis=2)");
        assertEquals("f32[S, B, 4]", t.get("c").toString());
        t = infer("x: f32[2*T, 8]", "a, b = split(x, parts=2, axis=0)");
        assertEquals("f32[T, 8]", t.get("a").toString());
        t = infer("x: f32[T, 12]", "a, b = split(x, sizes=[4, 8], axis=-1)");
        assertEquals("f32[T, 4]", t.get("a").toString());
        assertEquals("f32[T, 8]", t.get("b").toString());
    }

    @Test
    void splitThatDoesNotDivide() {
        assertError("2:10", "split: split into 2 parts does not divide dim 9 of [T, 9]",
                error("x: f32[T, 9]", "a, b = split(x, parts=2, axis=-1)"));
        assertError("2:10", "split: split into 2 parts does not divide dim T of [T, 8]",
                error("x: f32[T, 8]", "a, b = split(x, parts=2, axis=0)"));
        assertError("2:10", "split: split sizes [4, 4] sum to 8, not dim 12 of [T, 12]",
                error("x: f32[T, 12]", "a, b = split(x, sizes=[4, 4], axis=1)"));
        assertError("2:10", "split: split sizes need a static dim, but axis 0 of [T, 12] is T",
                error("x: f32[T, 12]", "a, b = split(x, sizes=[4, 8], axis=0)"));
        assertError("2:10", "split: axis 2 is out of range for [T, 12]",
                error("x: f32[T, 12]", "a, b = split(x, parts=2, axis=2)"));
        assertError("2:10", "split: axis -3 is out of range for [T, 12]",
                error("x: f32[T, 12]", "a, b = split(x, parts=2, axis=-3)"));
    }

    @Test
    void splitSizesThatWrapAroundALongAreRejected() {
        // 2 * (2^63 - 1) + 2 + 8 wraps to 8 in a long; the sizes do not sum to the dim.
        CompileError e = error("x: f32[4, 8]",
                "a, b, c, d = split(x, sizes=[9223372036854775807, 9223372036854775807, 2, 8], axis=-1)");
        assertError("2:16", "split: split sizes [9223372036854775807, 9223372036854775807, 2, 8] sum to "
                + "18446744073709551624, not dim 8 of [4, 8]", e);
    }

    @Test
    void concatAddsMonomials() {
        assertEquals("f32[2*T, 8]", typeOf("y", "a: f32[T, 8], b: f32[T, 8]", "y = concat(a, b, axis=0)"));
        assertEquals("f32[3*T, 8]", typeOf("y", "a: f32[T, 8]", "y = concat(a, a, a, axis=0)"));
        assertEquals("f32[T, 24]", typeOf("y", "a: f32[T, 8], b: f32[T, 16]", "y = concat(a, b, axis=-1)"));
        assertEquals("f32[S, B, 16]", typeOf("y", "a: f32[S, B, 8]", "y = concat(a, a, axis=2)"));
        assertEquals("f32[T, 8]", typeOf("y", "a: f32[T, 8]", "y = concat(a, axis=0)"));
    }

    @Test
    void concatMismatches() {
        assertError("2:7", "concat: concat cannot add dims T and S along axis 0",
                error("a: f32[T, 8], b: f32[S, 8]", "y = concat(a, b, axis=0)"));
        assertError("2:7", "concat: concat operands differ off the axis: [T, 8] and [T, 4]",
                error("a: f32[T, 8], b: f32[T, 4]", "y = concat(a, b, axis=0)"));
        assertError("2:7", "concat: concat operands differ in rank: [T, 8] and [8]",
                error("a: f32[T, 8], b: f32[8]", "y = concat(a, b, axis=-1)"));
    }

    @Test
    void reshapeWithInferredAndSymbolicDims() {
        assertEquals("f32[B*S, 8]", typeOf("y", "x: f32[S, B, 8]", "y = reshape(x, shape=[S*B, 8])"));
        assertEquals("f32[B*S, 8]", typeOf("y", "x: f32[S, B, 8]", "y = reshape(x, shape=[-1, 8])"));
        assertEquals("f32[S, B, 8]", typeOf("y", "x: f32[S*B, 8]", "y = reshape(x, shape=[S, B, -1])"));
        assertEquals("f32[8*T]", typeOf("y", "x: f32[T, 8]", "y = reshape(x, shape=[-1])"));
        assertEquals("f32[2*T, 4]", typeOf("y", "x: f32[T, 8]", "y = reshape(x, shape=[2*T, 4])"));
        assertEquals("f32[T, 2, 4]", typeOf("y", "x: f32[T, 8]", "y = reshape(x, shape=[T, 2, -1])"));
        assertEquals("f32[1]", typeOf("y", "x: f32[]", "y = reshape(x, shape=[1])"));
    }

    @Test
    void reshapeMismatches() {
        assertError("2:7", "reshape: cannot reshape [T, 8] (8*T elements) to [T, 4] (4*T elements)",
                error("x: f32[T, 8]", "y = reshape(x, shape=[T, 4])"));
        assertError("2:7", "reshape: cannot reshape [T, 8] to [-1, 3]: 8*T is not a multiple of 3",
                error("x: f32[T, 8]", "y = reshape(x, shape=[-1, 3])"));
        assertError("2:7", "reshape: cannot reshape [T, 8] to [S, -1]: 8*T is not a multiple of S",
                error("x: f32[T, 8]", "y = reshape(x, shape=[S, -1])"));
        assertError("2:7", "reshape: reshape dims must be positive, got 0",
                error("x: f32[T, 8]", "y = reshape(x, shape=[0, -1])"));
    }

    @Test
    void transposePermutesDims() {
        assertEquals("f32[8, T]", typeOf("y", "x: f32[T, 8]", "y = transpose(x, perm=[1, 0])"));
        assertEquals("f32[B, S, 8]", typeOf("y", "x: f32[S, B, 8]", "y = transpose(x, perm=[1, 0, 2])"));
        assertError("2:7", "transpose: transpose perm [1, 0] does not match rank 3 of [S, B, 8]",
                error("x: f32[S, B, 8]", "y = transpose(x, perm=[1, 0])"));
    }

    // ---- the SwiGLU family ----

    @Test
    void swigluHalvesTheLastDim() {
        assertEquals("f32[T, 8]", typeOf("y", "x: f32[T, 16]", "y = swiglu(x)"));
        assertEquals("f32[S, B, 8]", typeOf("y", "x: f32[S, B, 16]", "y = swiglu(x, layout=interleaved, limit=7.0)"));
        assertEquals("f32[T, S]", typeOf("y", "x: f32[T, 2*S]", "y = swiglu(x)"));
        assertEquals("f32[T, 8]", typeOf("y", "x: f32[T, 16], b: f32[16]", "y = bias_swiglu(x, b)"));
        assertEquals("f32[S, B, 8]", typeOf("y", "x: f32[S, B, 16], w: f32[S, B, 1]", "y = weighted_swiglu(x, w)"));
        assertEquals("f32[T, 8]", typeOf("y", "x: f32[T, 16], b: f32[16], w: f32[T, 1]", "y = weighted_bias_swiglu(x, b, w)"));
    }

    @Test
    void swigluMismatches() {
        assertError("2:7", "swiglu: last dim of [T, 7] must be even (gate and up halves), got 7",
                error("x: f32[T, 7]", "y = swiglu(x)"));
        assertError("2:7", "swiglu: last dim of [T, S] must be even (gate and up halves), got S",
                error("x: f32[T, S]", "y = swiglu(x)"));
        assertError("2:7", "swiglu: input must be at least 1-D", error("x: f32[]", "y = swiglu(x)"));
        assertError("2:7", "bias_swiglu: bias must be [16] for input [T, 16], got [8]",
                error("x: f32[T, 16], b: f32[8]", "y = bias_swiglu(x, b)"));
        assertError("2:7", "weighted_swiglu: weights must be one per token, [T, 1] for input [T, 16], got [T]",
                error("x: f32[T, 16], w: f32[T]", "y = weighted_swiglu(x, w)"));
        assertError("2:7", "weighted_bias_swiglu: weights must be one per token, [T, 1] for input [T, 16], got [S, 1]",
                error("x: f32[T, 16], b: f32[16], w: f32[S, 1]", "y = weighted_bias_swiglu(x, b, w)"));
    }

    @Test
    void swigluOfAScalarIsAnErrorNotACrash() {
        // These read the last dim of y for the bias or weight shape; a 0-D y has none.
        assertError("2:7", "bias_swiglu: input must be at least 1-D",
                error("x: f32[], b: f32[]", "y = bias_swiglu(x, b)"));
        assertError("2:7", "weighted_swiglu: input must be at least 1-D",
                error("x: f32[], w: f32[]", "y = weighted_swiglu(x, w)"));
        assertError("2:7", "weighted_bias_swiglu: input must be at least 1-D",
                error("x: f32[], b: f32[], w: f32[]", "y = weighted_bias_swiglu(x, b, w)"));
        assertError("2:7", "swiglu_back: input must be at least 1-D",
                error("g: f32[], x: f32[]", "y = swiglu_back(g, x)"));
        assertError("2:7", "gate_up: first operand must be at least 2-D, got []",
                error("x: f32[], w: f32[]", "y = gate_up(x, w, w)"));
    }

    @Test
    void gateUpConcatenatesTheProjections() {
        assertEquals("f32[T, 32]", typeOf("y", "x: f32[T, 8], wg: f32[8, 16], wu: f32[8, 16]", "y = gate_up(x, wg, wu)"));
        assertEquals("f32[S, B, 32]", typeOf("y", "x: f32[S, B, 8], wg: f32[16, 8], wu: f32[16, 8]",
                "y = gate_up(x, wg, wu, transpose_b=true, layout=swapped)"));
        assertEquals("f32[T, 16]", typeOf("y", "x: f32[T, 8], wg: f32[8, 16], wu: f32[8, 16]", "y = gate_up_swiglu(x, wg, wu)"));
        assertError("2:7", "gate_up: gate and up weights differ: [8, 16] and [8, 12]",
                error("x: f32[T, 8], wg: f32[8, 16], wu: f32[8, 12]", "y = gate_up(x, wg, wu)"));
        assertError("2:7", "gate_up_swiglu: inner dims differ: [T, 8] @ [4, 16] (8 vs 4)",
                error("x: f32[T, 8], wg: f32[8, 16], wu: f32[4, 16]", "y = gate_up_swiglu(x, wg, wu)"));
    }

    @Test
    void backwardOpsReturnGradientsShapedLikeTheirInputs() {
        assertEquals("f32[T, 16]", typeOf("dy", "g: f32[T, 8], y: f32[T, 16]", "dy = swiglu_back(g, y)"));
        Map<String, TensorType> t = infer("g: f32[S, B, 8], y: f32[S, B, 16], b: f32[16]", "dy, db = bias_swiglu_back(g, y, b)");
        assertEquals("f32[S, B, 16]", t.get("dy").toString());
        assertEquals("f32[16]", t.get("db").toString());
        t = infer("g: f32[T, 8], y: f32[T, 16], w: f32[T, 1]", "dy, dw = weighted_swiglu_back(g, y, w)");
        assertEquals("f32[T, 16]", t.get("dy").toString());
        assertEquals("f32[T, 1]", t.get("dw").toString());
        assertError("2:8", "swiglu_back: gradient must be [T, 8] for input [T, 16], got [T, 16]",
                error("g: f32[T, 16], y: f32[T, 16]", "dy = swiglu_back(g, y)"));
        assertError("2:12", "bias_swiglu_back: bias must be [16] for input [T, 16], got [8]",
                error("g: f32[T, 8], y: f32[T, 16], b: f32[8]", "dy, db = bias_swiglu_back(g, y, b)"));
    }

    // ---- declarations ----

    @Test
    void declaredOutputMustMatchTheInferredType() {
        String text = """
                graph g(x: f32[T, 8], w: f32[8, 16]) -> (y: f32[T, 8]) {
                  y = matmul(x, w)
                  return y
                }
                """;
        assertError("1:42", "output 'y' is declared f32[T, 8] but the graph computes f32[T, 16]", error(text));
        text = """
                graph g(x: f32[T, 8]) -> (y: bf16[T, 8]) {
                  y = silu(x)
                  return y
                }
                """;
        assertError("1:27", "output 'y' is declared bf16[T, 8] but the graph computes f32[T, 8]", error(text));
        // A product written in another order is the same dim.
        text = """
                graph g(x: f32[S, B, 8]) -> (y: f32[B*S, 8], z: f32[8, 2*T], x2: f32[S, B, 16]) {
                  y = reshape(x, shape=[S*B, 8])
                  z = transpose(reshape(x, shape=[T*2, 8]), perm=[1, 0])
                  x2 = concat(x, x, axis=-1)
                  return y, z, x2
                }
                """;
        assertError("3:17", "reshape: cannot reshape [S, B, 8] (8*B*S elements) to [2*T, 8] (16*T elements)", error(text));
    }

    @Test
    void typesComeInDefinitionOrder() {
        Map<String, TensorType> t = infer("x: f32[T, 8], w: f32[8, 8]", "h = matmul(x, w)", "a, b = split(h, parts=2)", "y = mul(a, b)");
        assertEquals(List.of("x", "w", "h", "a", "b", "y"), new ArrayList<>(t.keySet()));
        assertEquals("f32[T, 4]", t.get("y").toString());
    }

    @Test
    void dimsThatOverflowALong() {
        assertError("1:9", "input 'x': dim 99999999999 of [99999999999, 99999999999] is larger than one array holds (2147483639 elements)",
                error("x: f32[99999999999, 99999999999]", "y = silu(x)"));
        assertError("1:9", "input 'x': [65536, 65536, 65536, 65536, T] has more than 2^63 elements at the least, more than one"
                + " array holds (2147483639)", error("x: f32[65536, 65536, 65536, 65536, T]", "y = silu(x)"));
        // No value may pass one array, so a reshape's count (a product of fitting dims) cannot overflow either:
        // a concatenation too large is refused where it is made.
        assertError("2:7", "'c': dim 4294967278 of [4294967278, 1] is larger than one array holds (2147483639 elements)",
                error("x: f32[2147483639, 1]", "c = concat(x, x, axis=0)", "y = reshape(c, shape=[-1])"));
    }

    /** Every value must fit one Java array whatever the binding: at 2^31 - 9 elements it does, past it not. */
    @Test
    void sizesAtTheEdgesOfAnInt() {
        infer("x: f32[2147483639]", "y = silu(x)");
        infer("x: f32[T, 2147483639]", "y = silu(x)"); // fits at T = 1: checked again when T is bound
        for (String big : List.of("2147483647", "2147483648", "4294967296", "9223372036854775807")) {
            assertError("1:9", "input 'x': dim " + big + " of [" + big + "] is larger than one array holds (2147483639 elements)",
                    error("x: f32[" + big + "]", "y = silu(x)"));
        }
        assertError("1:9", "input 'x': [2, 1073741824] has 2147483648 elements at the least, more than one array holds (2147483639)",
                error("x: f32[2, 1073741824]", "y = silu(x)"));
        // A result may pass the limit where its operands do not: a matmul, a concat, a broadcast.
        assertError("2:7", "'h': [65536, 65536] has 4294967296 elements at the least, more than one array holds (2147483639)",
                error("a: f32[65536, 1], b: f32[1, 65536]", "h = matmul(a, b)"));
        assertError("2:7", "'c': [2147483639, 2] has 4294967278 elements at the least, more than one array holds (2147483639)",
                error("x: f32[2147483639, 1]", "c = concat(x, x, axis=1)"));
    }

    @Test
    void zeroDimsAreRejected() {
        assertError("1:9", "input 'x': dims must be positive, got [0, 8]", error("x: f32[0, 8]", "y = silu(x)"));
        assertError("1:9", "input 'x': dims must be positive, got [T, 0*S]", error("x: f32[T, 0*S]", "y = silu(x)"));
        String text = """
                graph g(x: f32[T, 8]) -> (x: f32[T, 8], z: f32[T, 0]) {
                  z = silu(x)
                  return x, z
                }
                """;
        assertError("1:41", "output 'z': dims must be positive, got [T, 0]", error(text));
    }

    @Test
    void outputsDeclaredTwiceOrNeverDefined() {
        String text = """
                graph g(x: f32[4]) -> (y: f32[4], y: f32[4]) {
                  y = silu(x)
                  return y, y
                }
                """;
        assertError("1:35", "output 'y' is declared twice", error(text));
    }

    @Test
    void graphsBuiltInCodeAreCheckedToo() {
        // Passes build graphs without the parser; inference must catch what the parser would have.
        SourcePos p1 = new SourcePos("code", 7, 3);
        SourcePos p2 = new SourcePos("code", 8, 3);
        Param x = new Param("x", new TensorType(DType.F32, Shape.of(Dim.sym("T"), Dim.of(8))), new SourcePos("code", 1, 9));
        Param y = new Param("y", x.type(), new SourcePos("code", 1, 30));
        Node undefined = new Node(List.of("y"), new Op.Unary(Op.UnaryKind.SILU, "z"), p1);
        CompileError e = assertThrows(CompileError.class,
                () -> ShapeInference.infer(new Graph("g", List.of(x), List.of(undefined), List.of(y), SourcePos.NONE)));
        assertEquals("code:7:3: error: use of undefined value 'z'", e.render());

        Node first = new Node(List.of("y"), new Op.Unary(Op.UnaryKind.SILU, "x"), p1);
        Node again = new Node(List.of("y"), new Op.Unary(Op.UnaryKind.SIGMOID, "x"), p2);
        e = assertThrows(CompileError.class,
                () -> ShapeInference.infer(new Graph("g", List.of(x), List.of(first, again), List.of(y), SourcePos.NONE)));
        assertEquals("code:8:3: error: redefinition of 'y'", e.render());

        e = assertThrows(CompileError.class,
                () -> ShapeInference.infer(new Graph("g", List.of(x, x), List.of(), List.of(x), SourcePos.NONE)));
        assertEquals("code:1:9: error: input 'x' is declared twice", e.render());

        e = assertThrows(CompileError.class,
                () -> ShapeInference.infer(new Graph("g", List.of(x), List.of(), List.of(y), SourcePos.NONE)));
        assertEquals("code:1:30: error: output 'y' is never defined", e.render());

        Map<String, TensorType> ok = ShapeInference.infer(new Graph("g", List.of(x), List.of(first), List.of(y), SourcePos.NONE));
        assertEquals(Optional.of("f32[T, 8]"), Optional.ofNullable(ok.get("y")).map(TensorType::toString));
    }

    @Test
    void dimArithmetic() {
        Dim t = Dim.sym("T");
        assertEquals(new Dim(2, List.of("T")), t.plus(t).orElseThrow());
        assertEquals(Optional.empty(), t.plus(Dim.sym("S")));
        assertEquals(t, new Dim(2, List.of("T")).dividedBy(2).orElseThrow());
        assertEquals(Optional.empty(), t.dividedBy(2));
        assertEquals(new Dim(1, List.of("B", "S")), Dim.sym("S").times(Dim.sym("B")).orElseThrow());
        assertEquals("B*S", Dim.sym("S").times(Dim.sym("B")).orElseThrow().toString());
        assertEquals(Optional.empty(), Dim.of(Long.MAX_VALUE).times(Dim.of(2)));
        assertEquals(Optional.empty(), Dim.of(Long.MAX_VALUE).plus(Dim.of(1)));
        assertEquals(Optional.of(24L), new Dim(2, List.of("S", "B")).evaluate(Map.of("S", 3L, "B", 4L)));
        assertEquals(Optional.empty(), t.evaluate(Map.of()));
        assertEquals(Optional.empty(), new Dim(Long.MAX_VALUE, List.of("T")).evaluate(Map.of("T", 2L)));
        assertEquals(Optional.empty(), Shape.of(Dim.of(1L << 31)).evaluate(Map.of()));
        assertEquals("[3, 4]", Arrays.toString(Shape.of(t, Dim.of(4)).evaluate(Map.of("T", 3L)).orElseThrow()));
    }
}
