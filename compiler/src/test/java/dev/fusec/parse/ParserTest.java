package dev.fusec.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.ir.Activation;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.DType;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Glu;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Layout;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.OpCode;
import dev.fusec.ir.OpSyntax;
import dev.fusec.ir.Param;
import dev.fusec.ir.Shape;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The IR text front end: every op of the vocabulary with its attributes, nested operands, names,
 * comments, dtypes, source positions, the printer round trip, and the parser's own errors.
 */
class ParserTest {

    // ---- helpers ----

    /** Parses one statement inside a graph whose inputs are declared (their types do not matter here). */
    static Node only(String inputs, String stmt) {
        List<Node> nodes = nodes(inputs, stmt);
        assertEquals(1, nodes.size(), "nodes: " + nodes);
        return nodes.get(0);
    }

    static List<Node> nodes(String inputs, String... stmts) {
        return IrParser.parse("p.fir", source(inputs, stmts)).nodes();
    }

    /** A graph over {@code inputs}, statements from line 2, returning its first input. */
    static String source(String inputs, String... stmts) {
        String first = inputs.substring(0, inputs.indexOf(']') + 1);
        StringBuilder sb = new StringBuilder("graph t(" + inputs + ") -> (" + first + ") {\n");
        for (String s : stmts) {
            sb.append("  ").append(s).append('\n');
        }
        return sb.append("  return ").append(first, 0, first.indexOf(':')).append("\n}\n").toString();
    }

    static Op op(String inputs, String stmt) {
        return only(inputs, stmt).op();
    }

    static CompileError error(String text) {
        return assertThrows(CompileError.class, () -> IrParser.parse("p.fir", text));
    }

    static void assertError(String expected, String text) {
        assertEquals(expected, error(text).render());
    }

    static final String XYZ = "x: f32[T, 8], y: f32[T, 8], z: f32[T, 8]";

    static Glu glu(Layout layout, double limit, boolean fp8, boolean offload) {
        return new Glu(Activation.SILU, layout, Double.isNaN(limit) ? OptionalDouble.empty() : OptionalDouble.of(limit), fp8, offload);
    }

    // ---- the unfused vocabulary ----

    @Test
    void matmulAndLinear() {
        assertEquals(new Op.MatMul("x", "y", false), op(XYZ, "r = matmul(x, y)"));
        assertEquals(new Op.MatMul("x", "y", true), op(XYZ, "r = matmul(x, y, transpose_b=true)"));
        assertEquals(new Op.MatMul("x", "y", false), op(XYZ, "r = matmul(x, y, transpose_b=false)"));
        assertEquals(new Op.Linear("x", "y", Optional.empty()), op(XYZ, "r = linear(x, y)"));
        assertEquals(new Op.Linear("x", "y", Optional.of("z")), op(XYZ, "r = linear(x, y, z)"));
    }

    @Test
    void elementwiseOps() {
        assertEquals(new Op.Binary(Op.BinaryKind.ADD, "x", "y"), op(XYZ, "r = add(x, y)"));
        assertEquals(new Op.Binary(Op.BinaryKind.SUB, "y", "x"), op(XYZ, "r = sub(y, x)"));
        assertEquals(new Op.Binary(Op.BinaryKind.MUL, "x", "x"), op(XYZ, "r = mul(x, x)"));
        assertEquals(new Op.Unary(Op.UnaryKind.SILU, "x"), op(XYZ, "r = silu(x)"));
        assertEquals(new Op.Unary(Op.UnaryKind.SIGMOID, "x"), op(XYZ, "r = sigmoid(x)"));
    }

    @Test
    void geluInBothOfPyTorchsFormulas() {
        assertEquals(new Op.Unary(Op.UnaryKind.GELU, "x"), op(XYZ, "r = gelu(x)"));
        assertEquals(new Op.Unary(Op.UnaryKind.GELU, "x"), op(XYZ, "r = gelu(x, approximate=none)"));
        assertEquals(new Op.Unary(Op.UnaryKind.GELU_TANH, "x"), op(XYZ, "r = gelu(x, approximate=tanh)"));
        // The default is not printed; tanh is.
        assertEquals("gelu(x)", OpSyntax.print(op(XYZ, "r = gelu(x, approximate=none)")));
        assertEquals("gelu(x, approximate=tanh)", OpSyntax.print(op(XYZ, "r = gelu(x, approximate=tanh)")));
        assertEquals("gelu", new Op.Unary(Op.UnaryKind.GELU_TANH, "x").opName());
        assertError("p.fir:2:15: error: gelu: approximate must be none or tanh, got foo", source(XYZ, "r = gelu(x, approximate=foo)"));
        assertError("p.fir:2:15: error: gelu: approximate must be none or tanh, got 1", source(XYZ, "r = gelu(x, approximate=1)"));
        assertError("p.fir:2:15: error: gelu has no attribute 'act'; it takes approximate", source(XYZ, "r = gelu(x, act=gelu)"));
        assertError("p.fir:2:7: error: gelu takes 1 operand(s), got 2", source(XYZ, "r = gelu(x, y)"));
        assertError("p.fir:2:7: error: unknown op 'geglu'; did you mean 'gelu'?", source(XYZ, "r = geglu(x)"));
    }

    @Test
    void clampTakesEitherBoundOrBoth() {
        assertEquals(new Op.Clamp("x", OptionalDouble.of(-1.5), OptionalDouble.empty()), op(XYZ, "r = clamp(x, min=-1.5)"));
        assertEquals(new Op.Clamp("x", OptionalDouble.empty(), OptionalDouble.of(2)), op(XYZ, "r = clamp(x, max=2)"));
        assertEquals(new Op.Clamp("x", OptionalDouble.of(-7), OptionalDouble.of(0.5)), op(XYZ, "r = clamp(x, max=.5, min=-7)"));
        assertEquals(new Op.Clamp("x", OptionalDouble.of(1e-3), OptionalDouble.of(1e3)), op(XYZ, "r = clamp(x, min=1e-3, max=1.E3)"));
        assertError("p.fir:2:7: error: clamp: clamp needs min=, max= or both", source(XYZ, "r = clamp(x)"));
        assertError("p.fir:2:7: error: clamp: clamp min 2.0 exceeds max 1.0", source(XYZ, "r = clamp(x, min=2, max=1)"));
        assertError("p.fir:2:16: error: clamp: max must be a finite number, got Infinity",
                source(XYZ, "r = clamp(x, max=1e999)"));
        assertError("p.fir:2:16: error: clamp: min must be a finite number, got inf", source(XYZ, "r = clamp(x, min=inf)"));
    }

    @Test
    void splitWithPartsSizesAndAxis() {
        Node n = only(XYZ, "a, b = split(x, parts=2, axis=-1)");
        assertEquals(new Op.Split("x", -1, 2, List.of()), n.op());
        assertEquals(List.of("a", "b"), n.results());
        // parts defaults to the number of names bound, axis to -1.
        n = only(XYZ, "a, b, c = split(x)");
        assertEquals(new Op.Split("x", -1, 3, List.of()), n.op());
        assertEquals(3, n.op().resultCount());
        assertEquals(new Op.Split("x", 0, 0, List.of(4L, 8L)), op(XYZ, "a, b = split(x, sizes=[4, 8], axis=0)"));
        assertError("p.fir:2:13: error: split defines 2 value(s) but 3 name(s) are bound",
                source(XYZ, "a, b, c = split(x, parts=2)"));
        assertError("p.fir:2:28: error: split takes parts= or sizes=, not both",
                source(XYZ, "a, b = split(x, parts=2, sizes=[4, 4])"));
        assertError("p.fir:2:16: error: split parts must be at least 1, got 0", source(XYZ, "a = split(x, parts=0)"));
        assertError("p.fir:2:10: error: split: split sizes must be positive, got [0, 8]", source(XYZ, "a, b = split(x, sizes=[0, 8])"));
        assertError("p.fir:2:19: error: split: sizes must be a list of integers, got [4, T]", source(XYZ, "a, b = split(x, sizes=[4, T])"));
        assertError("p.fir:2:19: error: split: sizes must not be empty", source(XYZ, "a, b = split(x, sizes=[])"));
        assertError("p.fir:2:19: error: split: axis must be an integer, got 1.5", source(XYZ, "a, b = split(x, axis=1.5)"));
    }

    @Test
    void concatReshapeTranspose() {
        assertEquals(new Op.Concat(List.of("x", "y", "z"), 0), op(XYZ, "r = concat(x, y, z, axis=0)"));
        assertEquals(new Op.Concat(List.of("x"), -1), op(XYZ, "r = concat(x)"));
        assertEquals(new Op.Reshape("x", List.of(new Dim(1, List.of("S", "B")), Dim.INFER, Dim.of(4), Dim.sym("T"), new Dim(2, List.of("T")))),
                op(XYZ, "r = reshape(x, shape=[S*B, -1, 4, T, 2*T])"));
        assertEquals(new Op.Reshape("x", List.of(new Dim(6, List.of("B", "S")))), op(XYZ, "r = reshape(x, shape=[2*S*3*B])"));
        assertEquals(new Op.Transpose("x", List.of(1, 0, 2)), op(XYZ, "r = transpose(x, perm=[1, 0, 2])"));
        assertError("p.fir:2:18: error: reshape: reshape allows at most one -1", source(XYZ, "r = reshape(x, shape=[-1, -1])"));
        assertError("p.fir:2:7: error: reshape needs attribute shape=", source(XYZ, "r = reshape(x)"));
        assertError("p.fir:2:18: error: reshape: shape entries must be dims (4096, T, S*B) or -1, got -2",
                source(XYZ, "r = reshape(x, shape=[-2, 4])"));
        assertError("p.fir:2:7: error: transpose needs attribute perm=", source(XYZ, "r = transpose(x)"));
        assertError("p.fir:2:7: error: transpose: perm [0, 0] is not a permutation of 0..1",
                source(XYZ, "r = transpose(x, perm=[0, 0])"));
        assertError("p.fir:2:7: error: concat takes at least 1 operand(s), got 0", source(XYZ, "r = concat(axis=0)"));
    }

    // ---- the fused vocabulary ----

    @Test
    void swigluFamilyWithEveryAttribute() {
        assertEquals(new Op.SwiGlu("x", Glu.DEFAULT), op(XYZ, "r = swiglu(x)"));
        assertEquals(new Op.SwiGlu("x", Glu.DEFAULT), op(XYZ, "r = swiglu(x, layout=halves)"));
        assertEquals(new Op.SwiGlu("x", glu(Layout.SWAPPED, Double.NaN, false, false)), op(XYZ, "r = swiglu(x, layout=swapped)"));
        assertEquals(new Op.SwiGlu("x", glu(Layout.INTERLEAVED, 7, false, false)), op(XYZ, "r = swiglu(x, layout=interleaved, limit=7)"));
        assertEquals(new Op.BiasSwiGlu("x", "y", glu(Layout.HALVES, 7.5, true, false)),
                op(XYZ, "r = bias_swiglu(x, y, limit=7.5, fp8_input_store=true)"));
        assertEquals(new Op.WeightedSwiGlu("x", "y", glu(Layout.HALVES, Double.NaN, false, true)),
                op(XYZ, "r = weighted_swiglu(x, y, cpu_offload_input=true)"));
        assertEquals(new Op.WeightedBiasSwiGlu("x", "y", "z", glu(Layout.SWAPPED, 1e2, true, true)),
                op(XYZ, "r = weighted_bias_swiglu(x, y, z, layout=swapped, limit=1e2, fp8_input_store=true, cpu_offload_input=true)"));
        assertEquals(new Op.GateUp("x", "y", "z", true, Layout.INTERLEAVED),
                op(XYZ, "r = gate_up(x, y, z, transpose_b=true, layout=interleaved)"));
        assertEquals(new Op.GateUp("x", "y", "z", false, Layout.HALVES), op(XYZ, "r = gate_up(x, y, z)"));
        assertEquals(new Op.GateUpSwiGlu("x", "y", "z", true, glu(Layout.SWAPPED, 3, false, false)),
                op(XYZ, "r = gate_up_swiglu(x, y, z, transpose_b=true, layout=swapped, limit=3.0)"));
        assertEquals(new Op.SwiGluBack("x", "y", glu(Layout.HALVES, Double.NaN, true, false)),
                op(XYZ, "r = swiglu_back(x, y, fp8_input_store=true)"));
    }

    /** act= on each of the eight GLU-family ops; silu is the default and is not printed. */
    @ParameterizedTest
    @ValueSource(strings = {"r = swiglu(x%s)", "r = bias_swiglu(x, y%s)", "r = weighted_swiglu(x, y%s)",
        "r = weighted_bias_swiglu(x, y, z%s)", "r = gate_up_swiglu(x, y, z%s)", "r = swiglu_back(x, y%s)",
        "a, b = bias_swiglu_back(x, y, z%s)", "a, b = weighted_swiglu_back(x, y, z%s)"})
    void everyGluOpTakesAct(String call) {
        Op silu = only(XYZ, call.formatted("")).op();
        assertEquals(silu, only(XYZ, call.formatted(", act=silu")).op());
        assertEquals(Activation.SILU, Glu.of(silu).orElseThrow().act());
        for (Activation act : List.of(Activation.GELU, Activation.GELU_TANH)) {
            Op op = only(XYZ, call.formatted(", layout=swapped, act=" + act)).op();
            assertEquals(Glu.of(silu).orElseThrow().withAct(act).withLayout(Layout.SWAPPED), Glu.of(op).orElseThrow());
            assertEquals(silu.opName(), op.opName(), "act= does not rename the op");
            // printed first among the GLU attributes, and read back as the same op
            String printed = OpSyntax.print(op);
            assertTrue(printed.endsWith("act=" + act + ", layout=swapped)"), printed);
            assertEquals(op, only(XYZ, call.substring(0, call.indexOf('=') + 2) + printed).op());
        }
        assertFalse(OpSyntax.print(silu).contains("act="), OpSyntax.print(silu));
    }

    @Test
    void actErrors() {
        assertError("p.fir:2:17: error: swiglu: act must be silu, gelu or gelu_tanh, got relu", source(XYZ, "r = swiglu(x, act=relu)"));
        assertError("p.fir:2:17: error: swiglu: act must be silu, gelu or gelu_tanh, got tanh", source(XYZ, "r = swiglu(x, act=tanh)"));
        assertError("p.fir:2:25: error: swiglu_back: act must be silu, gelu or gelu_tanh, got 1.5",
                source(XYZ, "r = swiglu_back(x, y, act=1.5)"));
        assertError("p.fir:2:24: error: gate_up has no attribute 'act'; it takes layout, transpose_b",
                source(XYZ, "r = gate_up(x, y, z, act=gelu)"));
        assertError("p.fir:2:27: error: swiglu: attribute 'act' given twice", source(XYZ, "r = swiglu(x, act=gelu, act=silu)"));
    }

    /**
     * Every op code parses to an op that names that code, and prints back to itself. The sample calls
     * are a switch without a default, so a new op code does not compile until it has one here.
     */
    @Test
    void everyOpCodeParsesToItsOwnOp() {
        for (OpCode code : OpCode.values()) {
            String call = switch (code) {
                case MATMUL -> "r = matmul(x, y, transpose_b=true)";
                case LINEAR -> "r = linear(x, y, z)";
                case ADD -> "r = add(x, y)";
                case SUB -> "r = sub(x, y)";
                case MUL -> "r = mul(x, y)";
                case SILU -> "r = silu(x)";
                case SIGMOID -> "r = sigmoid(x)";
                case GELU -> "r = gelu(x, approximate=tanh)";
                case SWISH -> "r = swish(x, alpha=1.702)";
                case CONST -> "r = const(value=1.0, dtype=bf16)";
                case CLAMP -> "r = clamp(x, min=-1.0)";
                case SPLIT -> "a, b = split(x, parts=2, axis=-1)";
                case CONCAT -> "r = concat(x, y, axis=-1)";
                case RESHAPE -> "r = reshape(x, shape=[T, 2, 4])";
                case TRANSPOSE -> "r = transpose(x, perm=[1, 0])";
                case SWIGLU -> "r = swiglu(x, act=gelu)";
                case BIAS_SWIGLU -> "r = bias_swiglu(x, y, layout=interleaved, limit=7.0, alpha=1.702, beta=1.0)";
                case WEIGHTED_SWIGLU -> "r = weighted_swiglu(x, y)";
                case WEIGHTED_BIAS_SWIGLU -> "r = weighted_bias_swiglu(x, y, z, limit=7.0)";
                case GATE_UP -> "r = gate_up(x, y, z, layout=interleaved)";
                case GATE_UP_SWIGLU -> "r = gate_up_swiglu(x, y, z, act=gelu_tanh)";
                case SWIGLU_BACK -> "r = swiglu_back(x, y, act=gelu)";
                case BIAS_SWIGLU_BACK -> "a, b = bias_swiglu_back(x, y, z, act=gelu_tanh)";
                case WEIGHTED_SWIGLU_BACK -> "a, b = weighted_swiglu_back(x, y, z, act=gelu)";
            };
            Op op = only(XYZ, call).op();
            assertEquals(code, op.opCode(), call);
            assertEquals(code.spelling(), op.opName(), call);
            assertTrue(OpSyntax.OP_NAMES.contains(op.opName()), call);
            assertEquals(call.substring(call.indexOf('=') + 2), OpSyntax.print(op));
        }
        assertEquals(OpCode.values().length, OpSyntax.OP_NAMES.size());
    }

    @Test
    void gptOssActivationAndScalarConstants() {
        assertEquals(new Op.Swish("x", 1.702), only(XYZ, "r = swish(x, alpha=1.702)").op());
        assertEquals(new Op.Const(1.0, dev.fusec.ir.DType.F32), only(XYZ, "r = const(value=1)").op());
        assertError("p.fir:2:7: error: swish needs attribute alpha=", source(XYZ, "r = swish(x)"));
        assertError("p.fir:2:7: error: bias_swiglu: alpha= scales silu's sigmoid; it does not go with act=gelu",
                source(XYZ, "r = bias_swiglu(x, y, act=gelu, alpha=2.0)"));
        assertError("p.fir:2:7: error: swiglu_back: alpha= and beta= are for the forward ops only; the backward ops do not take them",
                source(XYZ, "r = swiglu_back(x, y, beta=1.0)"));
    }

    @Test
    void inputsBindToCheckpointTensors() {
        String ir = """
                graph g(x: f32[T, 4], w: f32[3, 4] = weight("model.layers.{layer}.mlp.up_proj.weight"),
                        e: f32[4, 3] = weight("experts.gate_up_proj[2]")) -> (y: f32[T, 3]) {
                  y = linear(x, w)
                  return y
                }
                """;
        Graph g = IrParser.parse("w.fir", ir);
        assertEquals("model.layers.7.mlp.up_proj.weight", g.inputs().get(1).weight().orElseThrow().tensor(java.util.OptionalInt.of(7)));
        assertEquals(java.util.OptionalInt.of(2), g.inputs().get(2).weight().orElseThrow().index());
        assertEquals("experts.gate_up_proj", g.inputs().get(2).weight().orElseThrow().tensor(java.util.OptionalInt.empty()));
        assertEquals(g.withoutPositions(), IrParser.parse("w.fir", IrPrinter.print(g)).withoutPositions());
        for (String[] bad : new String[][] {
                {"weight(\"a{b}\")", "w.fir:1:45: error: '{' and '}' appear in a weight name only as {layer}"},
                {"weights(\"a\")", "w.fir:1:38: error: an input is bound with = weight(\"NAME\"), not weights(...)"},
                {"weight(\"a[x]\")", "w.fir:1:45: error: '[' appears in a weight name only as a trailing [N], an entry of the first axis"},
                {"weight(\"\")", "w.fir:1:45: error: a weight name has 1 to 512 characters, this one 0"}}) {
            CompileError e = assertThrows(CompileError.class, () -> IrParser.parse("w.fir",
                    "graph g(x: f32[T, 4], w: f32[3, 4] = " + bad[0] + ") -> (y: f32[T, 3]) {\n  y = linear(x, w)\n  return y\n}\n"));
            assertEquals(bad[1], e.render());
        }
        CompileError e = assertThrows(CompileError.class, () -> IrParser.parse("w.fir",
                "graph g(x: f32[T, 4] = weight(\"x\")) -> (y: f32[T, 4]) {\n  y = silu(x)\n  return y\n}\n"));
        assertEquals("w.fir:1:9: error: input 'x' is bound to a weight, so its dims must be numbers", e.render());
    }

    @Test
    void backwardOpsBindTwoResults() {
        Node n = only(XYZ, "dy, db = bias_swiglu_back(x, y, z, layout=interleaved)");
        assertEquals(new Op.BiasSwiGluBack("x", "y", "z", glu(Layout.INTERLEAVED, Double.NaN, false, false)), n.op());
        assertEquals(List.of("dy", "db"), n.results());
        n = only(XYZ, "dy, dw = weighted_swiglu_back(x, y, z, limit=2)");
        assertEquals(new Op.WeightedSwiGluBack("x", "y", "z", glu(Layout.HALVES, 2, false, false)), n.op());
        assertEquals(List.of("dy", "dw"), n.results());
        assertError("p.fir:2:8: error: bias_swiglu_back defines 2 value(s) but 1 name(s) are bound",
                source(XYZ, "dy = bias_swiglu_back(x, y, z)"));
        assertError("p.fir:2:12: error: swiglu_back defines 1 value(s) but 2 name(s) are bound",
                source(XYZ, "dy, db = swiglu_back(x, y)"));
    }

    @Test
    void fusedOpsSayTheyAreFused() {
        assertTrue(op(XYZ, "r = swiglu(x)").isFused());
        assertTrue(op(XYZ, "r = gate_up_swiglu(x, y, z)").isFused());
        assertTrue(only(XYZ, "a, b = weighted_swiglu_back(x, y, z)").op().isFused());
        assertFalse(op(XYZ, "r = matmul(x, y)").isFused());
        assertFalse(only(XYZ, "a, b = split(x)").op().isFused());
    }

    @Test
    void attributeErrorsPointAtTheAttribute() {
        assertError("p.fir:2:17: error: swiglu: layout must be halves, swapped or interleaved, got gate_first",
                source(XYZ, "r = swiglu(x, layout=gate_first)"));
        assertError("p.fir:2:17: error: swiglu: limit must be positive, got -1.0", source(XYZ, "r = swiglu(x, limit=-1)"));
        assertError("p.fir:2:17: error: swiglu: limit must be positive, got 0.0", source(XYZ, "r = swiglu(x, limit=0)"));
        assertError("p.fir:2:20: error: matmul: transpose_b must be true or false, got 1", source(XYZ, "r = matmul(x, y, transpose_b=1)"));
        assertError("p.fir:2:17: error: swiglu has no attribute 'transpose_b'; it takes act, alpha, beta, cpu_offload_input, fp8_input_store, layout, limit",
                source(XYZ, "r = swiglu(x, transpose_b=true)"));
        assertError("p.fir:2:15: error: silu has no attribute 'axis'; it takes none", source(XYZ, "r = silu(x, axis=0)"));
        assertError("p.fir:2:24: error: gate_up has no attribute 'limit'; it takes layout, transpose_b",
                source(XYZ, "r = gate_up(x, y, z, limit=1)"));
        assertError("p.fir:2:32: error: swiglu: attribute 'layout' given twice",
                source(XYZ, "r = swiglu(x, layout=halves, layout=swapped)"));
        assertError("p.fir:2:35: error: operands must come before attributes", source(XYZ, "r = matmul(x, transpose_b=true, y)"));
        assertError("p.fir:2:7: error: matmul takes 2 operand(s), got 1", source(XYZ, "r = matmul(x)"));
        assertError("p.fir:2:7: error: linear takes 2 or 3 operand(s), got 4", source(XYZ, "r = linear(x, y, z, x)"));
        assertError("p.fir:2:24: error: integer 99999999999999999999 is too large", source(XYZ, "a, b = split(x, axis=99999999999999999999)"));
    }

    @Test
    void unknownOpsSuggestTheNearestName() {
        assertError("p.fir:2:7: error: unknown op 'sliu'; did you mean 'silu'?", source(XYZ, "r = sliu(x)"));
        assertError("p.fir:2:7: error: unknown op 'swiglu_bak'; did you mean 'swiglu_back'?", source(XYZ, "r = swiglu_bak(x, y)"));
        assertError("p.fir:2:7: error: unknown op 'Matmul'; did you mean 'matmul'?", source(XYZ, "r = Matmul(x, y)"));
        assertError("p.fir:2:7: error: unknown op 'softmax'", source(XYZ, "r = softmax(x)"));
        assertError("p.fir:2:7: error: unknown op 'graph'", source(XYZ, "r = graph(x)"));
    }

    // ---- names and structure ----

    @Test
    void nestedOperandsAreFlattenedInOrder() {
        List<Node> n = nodes("z1: f32[T, 8], z2: f32[T, 8]", "out = mul(silu(z1), sigmoid(add(z2, z1)))");
        assertEquals(4, n.size());
        assertEquals(new Op.Unary(Op.UnaryKind.SILU, "z1"), n.get(0).op());
        assertEquals(new Op.Binary(Op.BinaryKind.ADD, "z2", "z1"), n.get(1).op());
        assertEquals(new Op.Unary(Op.UnaryKind.SIGMOID, n.get(1).result()), n.get(2).op());
        assertEquals(new Op.Binary(Op.BinaryKind.MUL, n.get(0).result(), n.get(2).result()), n.get(3).op());
        assertEquals("out", n.get(3).result());
        Set<String> names = new HashSet<>();
        n.forEach(node -> assertTrue(names.add(node.result()), "duplicate " + node.result()));
    }

    @Test
    void temporariesNeverCollideWithUserNames() {
        // The user took the names a temporary would get, before and after the nested call.
        List<Node> n = nodes("silu_1: f32[T, 8]",
                "silu_2 = silu(silu_1)",
                "r = mul(silu(silu_2), silu(silu_1))",
                "silu_3 = add(r, r)",
                "silu_5 = silu(silu(silu_3))");
        Set<String> names = new HashSet<>(List.of("silu_1"));
        for (Node node : n) {
            for (String r : node.results()) {
                assertTrue(names.add(r), "name " + r + " defined twice in " + n);
            }
        }
        // And the result still type-checks, so every operand resolves to the value it meant.
        Graph g = IrParser.parse("p.fir", source("silu_1: f32[T, 8]",
                "silu_2 = silu(silu_1)", "r = mul(silu(silu_2), silu(silu_1))", "silu_3 = add(r, r)", "silu_5 = silu(silu(silu_3))"));
        ShapeInference.infer(g);
        Node mul = g.nodes().stream().filter(x -> x.result().equals("r")).findFirst().orElseThrow();
        Node left = g.producers().get(mul.op().operands().get(0));
        assertEquals(new Op.Unary(Op.UnaryKind.SILU, "silu_2"), left.op());
    }

    @Test
    void keywordsAreOrdinaryNames() {
        String text = """
                graph graph(graph: f32[return, 8], return: f32[8]) -> (return_: f32[return, 8], graph2: f32[return, 8]) {
                  return_ = add(graph, return)
                  graph2 = silu(return_)
                  return return_, graph2
                }
                """;
        Graph g = IrParser.parse("p.fir", text);
        assertEquals("graph", g.name());
        assertEquals(List.of("graph", "return"), g.inputs().stream().map(Param::name).toList());
        assertEquals(Dim.sym("return"), g.inputs().get(0).type().shape().dim(0));
        assertEquals(new Op.Binary(Op.BinaryKind.ADD, "graph", "return"), g.nodes().get(0).op());
        String bound = """
                graph g(x: f32[4]) -> (return: f32[4], graph: f32[4]) {
                  return = silu(x)
                  graph = sigmoid(return)
                  return return, graph
                }
                """;
        Graph h = IrParser.parse("p.fir", bound);
        assertEquals(List.of("return", "graph"), h.nodes().stream().map(Node::result).toList());
        assertEquals(List.of("return", "graph"), h.outputs().stream().map(Param::name).toList());
        ShapeInference.infer(h);
        assertEquals(h.withoutPositions(), IrParser.parse("p.fir", IrPrinter.print(h)).withoutPositions());
    }

    @Test
    void commentsAndWhitespaceAreIgnored() {
        String text = "# a graph\n#\n\tgraph  g ( x : f32 [ T , 8 ] , ) # inputs\n  -> (y: f32[T, 8],) {  # outputs\r\n"
                + "  # a whole-line comment with graph ( ) { } = , # inside\n"
                + "  y = silu( x )   # trailing\n"
                + "  return y # done\n} # end without a newline";
        Graph g = IrParser.parse("p.fir", text);
        assertEquals(List.of(new Node(List.of("y"), new Op.Unary(Op.UnaryKind.SILU, "x"), g.nodes().get(0).pos())), g.nodes());
        assertEquals("6:7", g.nodes().get(0).pos().lineCol());
        assertEquals("3:13", g.inputs().get(0).pos().lineCol());
    }

    @Test
    void severalOutputsInDeclaredOrder() {
        String text = """
                graph g(x: f32[T, 8]) -> (b: f32[T, 4], a: f32[T, 4], x: f32[T, 8]) {
                  a, b = split(x)
                  return b, a, x
                }
                """;
        Graph g = IrParser.parse("p.fir", text);
        assertEquals(List.of("b", "a", "x"), g.outputs().stream().map(Param::name).toList());
        assertTrue(g.isOutput("x"));
        assertEquals(3, ShapeInference.infer(g).size());
        assertError("p.fir:3:3: error: return a, b does not match the declared outputs (b, a, x)",
                text.replace("return b, a, x", "return a, b"));
        assertError("p.fir:3:16: error: return of undefined value 'c'", text.replace("return b, a, x", "return b, a, c"));
    }

    @Test
    void everyDtype() {
        String text = """
                graph g(a: f32[4], b: bf16[4], c: f16[4], d: f8e4m3[2, 2]) -> (a: f32[4]) {
                  return a
                }
                """;
        List<DType> dtypes = IrParser.parse("p.fir", text).inputs().stream().map(p -> p.type().dtype()).toList();
        assertEquals(List.of(DType.F32, DType.BF16, DType.F16, DType.F8E4M3), dtypes);
        assertEquals(new TensorType(DType.F8E4M3, Shape.ofStatic(2, 2)), IrParser.parse("p.fir", text).inputs().get(3).type());
        assertError("p.fir:1:12: error: unknown dtype 'f64'; expected f32, bf16, f16 or f8e4m3", text.replace("f32[4], b", "f64[4], b"));
        assertError("p.fir:1:12: error: unknown dtype 'F32'; expected f32, bf16, f16 or f8e4m3", text.replace("f32[4], b", "F32[4], b"));
    }

    @Test
    void scalarsAndSymbolicProductsInTypes() {
        String text = """
                graph g(s: f32[], x: f32[S*B, 2*T, T*4, 3*2*S]) -> (s: f32[]) {
                  return s
                }
                """;
        Graph g = IrParser.parse("p.fir", text);
        assertEquals(Shape.of(), g.inputs().get(0).type().shape());
        assertEquals(Shape.of(new Dim(1, List.of("B", "S")), new Dim(2, List.of("T")), new Dim(4, List.of("T")), new Dim(6, List.of("S"))),
                g.inputs().get(1).type().shape());
        assertError("p.fir:1:26: error: dims overflow: 4294967296*4294967296", text.replace("S*B,", "4294967296*4294967296,"));
        assertError("p.fir:1:26: error: integer 18446744073709551616 is too large", text.replace("S*B,", "18446744073709551616,"));
    }

    @Test
    void ranksFactorsAndNamesHaveLimits() {
        String rank = "graph g(x: f32[%s]) -> (x: f32[4]) {\n  return x\n}\n";
        String ok = String.join(", ", java.util.Collections.nCopies(Shape.MAX_RANK, "T"));
        assertEquals(Shape.MAX_RANK, IrParser.parse("p.fir", rank.formatted(ok)).inputs().get(0).type().shape().rank());
        // Hostile widths are refused where they are written, before any quadratic shape arithmetic.
        String wide = String.join(", ", java.util.Collections.nCopies(100_000, "T"));
        assertError("p.fir:1:12: error: type has 100000 dims; at most 64 are supported", rank.formatted(wide));
        String factors = String.join("*", java.util.Collections.nCopies(Dim.MAX_FACTORS, "T"));
        assertEquals(Dim.MAX_FACTORS, IrParser.parse("p.fir", rank.formatted(factors)).inputs().get(0).type().shape().dim(0).symbols().size());
        String many = String.join("*", java.util.Collections.nCopies(100_000, "T"));
        assertError("p.fir:1:16: error: dim has 100000 factors; at most 64 are supported", rank.formatted(many));
        String shape = String.join(", ", java.util.Collections.nCopies(65, "1"));
        assertError("p.fir:2:18: error: reshape: shape has 65 dims; at most 64 are supported",
                source(XYZ, "r = reshape(x, shape=[" + shape + "])"));
        String longName = "a".repeat(1_000_000);
        CompileError e = error(source(XYZ, "r = " + longName + "(x)"));
        assertEquals("unknown op '" + longName + "'", e.getMessage());
    }

    // ---- name errors ----

    @Test
    void undefinedAndRedefinedNames() {
        assertError("p.fir:2:12: error: use of undefined value 'w'", source(XYZ, "r = silu(w)"));
        assertError("p.fir:2:19: error: use of undefined value 'q' (it is defined later; values must be defined before use)",
                source(XYZ, "r = mul(x, silu(q))", "q = silu(x)"));
        assertError("p.fir:3:3: error: redefinition of 'r'", source(XYZ, "r = silu(x)", "r = sigmoid(x)"));
        assertError("p.fir:2:3: error: redefinition of 'x'", source(XYZ, "x = silu(y)"));
        assertError("p.fir:2:6: error: 'a' is bound twice", source(XYZ, "a, a = split(x)"));
        assertError("p.fir:1:20: error: input 'x' is declared twice", "graph g(x: f32[4], x: f32[4]) -> (x: f32[4]) {\n  return x\n}\n");
        assertError("p.fir:2:7: error: expected an op call such as silu(x); plain copies are not statements", source(XYZ, "r = x"));
    }

    // ---- syntax errors ----

    @Test
    void syntaxErrorsArePlaced() {
        assertError("p.fir:2:13: error: extraneous input 'y' expecting {')', ','}", source(XYZ, "r = add(x y)"));
        assertError("p.fir:1:1: error: missing 'graph' at 'grph'", "grph g(x: f32[4]) -> (x: f32[4]) { return x }");
        assertError("p.fir:1:45: error: unexpected end of file; expecting '}'",
                "graph g(x: f32[4]) -> (x: f32[4]) { return x");
        assertError("p.fir:2:15: error: unexpected character '@'", source(XYZ, "r = silu(x) @"));
        assertError("p.fir:2:12: error: unexpected character U+00E9", source(XYZ, "r = silu(\u00e9)"));
        assertError("p.fir:2:12: error: unexpected character U+1F600", source(XYZ, "r = silu(\ud83d\ude00)"));
        assertError("p.fir:5:1: error: extraneous input 'graph' expecting end of file",
                source(XYZ, "r = silu(x)") + "graph");
        CompileError e = error("graph g(x: f32[4]) -> (y: f32[4]) {\n  y = silu(");
        assertTrue(e.getMessage().startsWith("unexpected end of file"), e.getMessage());
        assertEquals("2:12", e.pos().lineCol());
        assertTrue(error("").getMessage().startsWith("unexpected end of file"));
    }

    @Test
    void nestingIsLimitedBeforeTheParserRecurses() {
        int limit = IrParser.MAX_NESTING;
        String ok = "r = " + "silu(".repeat(limit) + "x" + ")".repeat(limit);
        assertEquals(limit, nodes(XYZ, ok).size());
        String deep = "r = " + "silu(".repeat(100_000) + "x" + ")".repeat(100_000);
        // The (limit+1)-th '(' is the first one refused: "  r = " is 6 columns, each "silu(" 5.
        assertError("p.fir:2:" + (7 + 5 * limit + 4) + ": error: nesting deeper than " + limit + " levels", source(XYZ, deep));
        String brackets = "r = reshape(x, shape=" + "[".repeat(100_000) + "]".repeat(100_000) + ")";
        assertTrue(error(source(XYZ, brackets)).getMessage().startsWith("nesting deeper than"));
    }

    @Test
    void bytesThatAreNotUtf8TextArePlaced() {
        byte[] nul = "graph g(x: f32[4]) -> (x: f32[4]) {\n  r = si\0lu(x)\n}".getBytes(StandardCharsets.UTF_8);
        assertEquals("p.fir:2:9: error: binary data (a NUL byte); not an IR text file", assertThrows(CompileError.class,
                () -> IrParser.parse("p.fir", nul)).render());
        byte[] latin1 = "graph g(x: f32[4]) -> (x: f32[4]) {\n  # caf\u00e9 \u00e9\n  \u00e9".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("p.fir:2:8: error: invalid UTF-8; not an IR text file", assertThrows(CompileError.class,
                () -> IrParser.parse("p.fir", latin1)).render());
        // Multi-byte characters before the bad byte count as one column each.
        byte[] after = "# \u00e9\u00e9\u20ac x".getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[after.length + 1];
        System.arraycopy(after, 0, bad, 0, after.length);
        bad[after.length] = (byte) 0xC3;
        assertEquals("p.fir:1:8: error: invalid UTF-8; not an IR text file", assertThrows(CompileError.class,
                () -> IrParser.parse("p.fir", bad)).render());
    }

    @Test
    void filesThatCannotBeRead(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.fir");
        assertEquals(missing + ":1:1: error: no such file",
                assertThrows(CompileError.class, () -> IrParser.parseFile(missing)).render());
        assertEquals(dir + ":1:1: error: is a directory, not an IR file",
                assertThrows(CompileError.class, () -> IrParser.parseFile(dir)).render());
        Path huge = dir.resolve("huge.fir");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(IrParser.MAX_BYTES + 1); // sparse: nothing is written
        }
        assertEquals(huge + ":1:1: error: file is larger than 16 MiB; not an IR file",
                assertThrows(CompileError.class, () -> IrParser.parseFile(huge)).render());
        Path ok = Files.writeString(dir.resolve("ok.fir"), source(XYZ, "r = silu(x)"));
        assertEquals(1, IrParser.parseFile(ok).nodes().size());
        assertEquals(ok + ":2:7", IrParser.parseFile(ok).nodes().get(0).pos().toString());
    }

    // ---- positions ----

    @Test
    void positionsAreLineAndColumnOfTheOpName() {
        String text = """
                # comment line
                graph ffn(x: f32[T, 8],
                          w: f32[8, 16])
                    -> (y: f32[T, 16]) {
                  h = matmul(x, w)
                  y =   mul(silu(h),
                            sigmoid(h))
                  return y
                }
                """;
        Graph g = IrParser.parse("ffn.fir", text);
        assertEquals("ffn.fir:2:1", g.pos().toString());
        assertEquals(List.of("2:11", "3:11"), g.inputs().stream().map(p -> p.pos().lineCol()).toList());
        assertEquals("4:9", g.outputs().get(0).pos().lineCol());
        List<String> at = g.nodes().stream().map(n -> n.op().opName() + "@" + n.pos().lineCol()).toList();
        assertEquals(List.of("matmul@5:7", "silu@6:13", "sigmoid@7:13", "mul@6:9"), at);
        assertTrue(g.nodes().stream().allMatch(n -> n.pos().file().equals("ffn.fir")));
    }

    // ---- printer round trip ----

    static Stream<String> roundTripGraphs() {
        return Stream.concat(ParserFuzzTest.SEEDS.stream(), Stream.of(
                source(XYZ, "r = clamp(x, min=-1e-300, max=1.7976931348623157E308)", "s = clamp(r, max=0.1)"),
                source(XYZ, "a, b, c = split(x, sizes=[1, 3, 4], axis=1)", "d = concat(c, b, a, axis=-1)"),
                source("x: f32[S, B, 8]", "r = reshape(x, shape=[B*S, 2, -1])", "t = transpose(r, perm=[2, 0, 1])"),
                source("y: f32[T, 8], g: f32[T, 4], b: f32[8]",
                        "r = swiglu(y, layout=interleaved, limit=0.5, fp8_input_store=true, cpu_offload_input=true)",
                        "dy, db = bias_swiglu_back(g, y, b, layout=swapped, limit=1e-5)"),
                source("averyveryverylongname_number_one: f32[T, 4096], averyveryverylongname_number_two: f32[4096, 11008]",
                        "r = matmul(averyveryverylongname_number_one, averyveryverylongname_number_two)")));
    }

    @ParameterizedTest
    @MethodSource("roundTripGraphs")
    void printThenParseGivesTheSameGraph(String text) {
        Graph g = IrParser.parse("a.fir", text);
        String printed = IrPrinter.print(g);
        assertEquals(g.withoutPositions(), IrParser.parse("b.fir", printed).withoutPositions(), printed);
        // With types as comments it still parses to the same graph, and printing is a fixpoint.
        String typed = IrPrinter.print(g, ShapeInference.infer(g));
        assertEquals(g.withoutPositions(), IrParser.parse("c.fir", typed).withoutPositions(), typed);
        assertEquals(printed, IrPrinter.print(IrParser.parse("d.fir", printed)));
    }

    @Test
    void printedTypesAreComments() {
        Graph g = IrParser.parse("p.fir", "graph g(x: f32[T, 8]) -> (a: f32[T, 4], b: f32[T, 4]) {\n"
                + "  a, b = split(x)\n  return a, b\n}\n");
        assertEquals("""
                graph g(x: f32[T, 8]) -> (a: f32[T, 4], b: f32[T, 4]) {
                  a, b = split(x, parts=2, axis=-1)  # f32[T, 4], f32[T, 4]
                  return a, b
                }
                """, IrPrinter.print(g, ShapeInference.infer(g)));
    }
}
