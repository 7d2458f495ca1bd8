package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.runtime.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Exported models, read back with protobuf's generated classes and run in ONNX Runtime against the interpreter. */
class OnnxExportTest {

    // ---- the model as protobuf's generated classes read it back ----

    @Test
    void opTypesAreReadWithTheGeneratedClasses() {
        byte[] model = dev.fusec.onnx.proto.Onnx.ModelProto.newBuilder().setIrVersion(8)
                .setGraph(dev.fusec.onnx.proto.Onnx.GraphProto.newBuilder()
                        .addNode(dev.fusec.onnx.proto.Onnx.NodeProto.newBuilder().addInput("x").setOpType("Relu"))
                        .addNode(dev.fusec.onnx.proto.Onnx.NodeProto.newBuilder().setOpType("Add")))
                .build().toByteArray();
        assertEquals(List.of("Relu", "Add"), OnnxOpTypes.of(model));
        assertThrows(IllegalArgumentException.class, () -> OnnxOpTypes.of(new byte[] {0x0a, 0x7f}));
    }

    // ---- exported models agree with the interpreter in ONNX Runtime ----

    /** Leading dims: 2-D graphs use [T, ...], 3-D ones [S, B, ...]. */
    private static final String[] LEADS = {"T", "S, B"};

    private static final String FFN = """
            graph ffn(x: f32[LEAD, 8], w_gate: f32[8, 12], w_up: f32[8, 12], w_down: f32[12, 8])
                -> (y: f32[LEAD, 8]) {
              gate = matmul(x, w_gate)
              up = matmul(x, w_up)
              h = mul(silu(gate), up)
              y = matmul(h, w_down)
              return y
            }
            """;

    private static final String LINEAR = """
            graph linears(x: f32[LEAD, 8], w: f32[12, 8], bias: f32[12], v: f32[6, 12], u: f32[8, 8])
                -> (y: f32[LEAD, 6], z: f32[LEAD, 12], n: f32[LEAD, 8]) {
              z = linear(x, w, bias)
              y = matmul(sigmoid(z), v, transpose_b=true)
              n = linear(x, u)
              return y, z, n
            }
            """;

    private static final String ELEMENTWISE = """
            graph elementwise(x: f32[LEAD, 8], y: f32[LEAD, 8], r: f32[8], c: f32[LEAD, 1])
                -> (o1: f32[LEAD, 8], o2: f32[LEAD, 8], o3: f32[LEAD, 8], o4: f32[LEAD, 8]) {
              o1 = clamp(add(x, r), min=-0.25)
              o2 = clamp(sub(x, c), max=0.5)
              o3 = clamp(mul(x, y), min=-0.1, max=0.1)
              o4 = sub(sigmoid(x), silu(mul(r, c)))
              return o1, o2, o3, o4
            }
            """;

    private static final String SHAPES_2D = """
            graph shapes(x: f32[T, 12])
                -> (p: f32[T, 4], q: f32[T, 8], c: f32[T, 24], r: f32[T, 3, 4], t: f32[12, T], e: f32[2*T, 12],
                    f1: f32[T, 12], f2: f32[T, 12], m: f32[3, T, 4]) {
              p, q = split(x, sizes=[4, 8])
              a, b = split(x, parts=2, axis=-1)
              c = concat(q, a, b, p, axis=-1)
              r = reshape(x, shape=[T, 3, 4])
              t = transpose(x, perm=[1, 0])
              e = concat(x, x, axis=0)
              f1, f2 = split(e, parts=2, axis=0)
              m = transpose(reshape(x, shape=[-1, 3, 4]), perm=[1, 0, 2])
              return p, q, c, r, t, e, f1, f2, m
            }
            """;

    private static final String SHAPES_3D = """
            graph shapes3(x: f32[S, B, 12])
                -> (p: f32[S, B, 4], q: f32[S, B, 8], c: f32[S, B, 24], r: f32[S*B, 12], t: f32[B, S, 12],
                    u: f32[S, B, 3, 4], e: f32[S, 2*B, 12], f2: f32[S, B, 12], v: f32[S*B, 3, 4]) {
              p, q = split(x, sizes=[4, 8])
              a, b = split(x, parts=2)
              c = concat(q, a, b, p, axis=2)
              r = reshape(x, shape=[-1, 12])
              t = transpose(x, perm=[1, 0, 2])
              u = reshape(x, shape=[S, B, 3, 4])
              e = concat(x, x, axis=1)
              f1, f2 = split(e, parts=2, axis=1)
              v = reshape(r, shape=[S*B, 3, 4])
              return p, q, c, r, t, u, e, f2, v
            }
            """;

    private static final String SWIGLU = """
            graph swiglus(y: f32[LEAD, 12], b: f32[12], w: f32[LEAD, 1])
                -> (o1: f32[LEAD, 6], o2: f32[LEAD, 6], o3: f32[LEAD, 6], o4: f32[LEAD, 6], o5: f32[LEAD, 6],
                    o6: f32[LEAD, 6], o7: f32[LEAD, 6], o8: f32[LEAD, 6]) {
              o1 = swiglu(y)
              o2 = swiglu(y, layout=swapped)
              o3 = swiglu(y, layout=interleaved, limit=0.5)
              o4 = bias_swiglu(y, b, limit=0.5)
              o5 = weighted_swiglu(y, w, layout=interleaved)
              o6 = weighted_bias_swiglu(y, b, w, layout=swapped, limit=0.5)
              o7 = swiglu(y, layout=swapped, limit=0.5, cpu_offload_input=true)
              o8 = bias_swiglu(y, b, layout=interleaved)
              return o1, o2, o3, o4, o5, o6, o7, o8
            }
            """;

    private static final String GATE_UP = """
            graph gate_ups(x: f32[LEAD, 8], wg: f32[8, 6], wu: f32[8, 6], wgt: f32[6, 8], wut: f32[6, 8])
                -> (a: f32[LEAD, 12], b: f32[LEAD, 12], c: f32[LEAD, 12], d: f32[LEAD, 6], e: f32[LEAD, 6],
                    f: f32[LEAD, 6], g: f32[LEAD, 12]) {
              a = gate_up(x, wg, wu)
              b = gate_up(x, wg, wu, layout=swapped)
              c = gate_up(x, wgt, wut, transpose_b=true, layout=interleaved)
              d = gate_up_swiglu(x, wg, wu)
              e = gate_up_swiglu(x, wgt, wut, transpose_b=true, limit=0.3)
              f = gate_up_swiglu(x, wg, wu, layout=interleaved, limit=0.3)
              g = gate_up(x, wgt, wut, transpose_b=true)
              return a, b, c, d, e, f, g
            }
            """;

    private static final String BACKWARD = """
            graph backwards(g: f32[LEAD, 6], y: f32[LEAD, 12], b: f32[12], w: f32[LEAD, 1])
                -> (d1: f32[LEAD, 12], d2: f32[LEAD, 12], db2: f32[12], d3: f32[LEAD, 12], dw3: f32[LEAD, 1],
                    d4: f32[LEAD, 12], db4: f32[12], d5: f32[LEAD, 12], dw5: f32[LEAD, 1], d6: f32[LEAD, 12]) {
              d1 = swiglu_back(g, y)
              d2, db2 = bias_swiglu_back(g, y, b)
              d3, dw3 = weighted_swiglu_back(g, y, w)
              d4, db4 = bias_swiglu_back(g, y, b, layout=interleaved, limit=0.5)
              d5, dw5 = weighted_swiglu_back(g, y, w, layout=swapped, limit=0.5)
              d6 = swiglu_back(g, y, layout=interleaved, limit=0.4)
              return d1, d2, db2, d3, dw3, d4, db4, d5, dw5, d6
            }
            """;

    private static final String GELU = """
            graph gelus(x: f32[LEAD, 8], y: f32[LEAD, 12], b: f32[12], w: f32[LEAD, 1], g: f32[LEAD, 6], wg: f32[8, 6],
                        wu: f32[8, 6])
                -> (o1: f32[LEAD, 8], o2: f32[LEAD, 8], o3: f32[LEAD, 6], o4: f32[LEAD, 6], o5: f32[LEAD, 6],
                    o6: f32[LEAD, 6], o7: f32[LEAD, 6], d1: f32[LEAD, 12], d2: f32[LEAD, 12], db2: f32[12],
                    d3: f32[LEAD, 12], dw3: f32[LEAD, 1], d4: f32[LEAD, 12]) {
              o1 = gelu(x)
              o2 = gelu(x, approximate=tanh)
              o3 = swiglu(y, act=gelu)
              o4 = bias_swiglu(y, b, act=gelu_tanh, layout=interleaved, limit=0.5)
              o5 = weighted_swiglu(y, w, act=gelu, layout=swapped)
              o6 = gate_up_swiglu(x, wg, wu, act=gelu_tanh)
              o7 = weighted_bias_swiglu(y, b, w, act=gelu, limit=0.5)
              d1 = swiglu_back(g, y, act=gelu)
              d2, db2 = bias_swiglu_back(g, y, b, act=gelu_tanh, layout=swapped, limit=0.5)
              d3, dw3 = weighted_swiglu_back(g, y, w, act=gelu, layout=interleaved)
              d4 = swiglu_back(g, y, act=gelu_tanh, layout=interleaved)
              return o1, o2, o3, o4, o5, o6, o7, d1, d2, db2, d3, dw3, d4
            }
            """;

    static Stream<Arguments> graphs() {
        List<Arguments> out = new ArrayList<>();
        for (String lead : LEADS) {
            for (String template : List.of(FFN, LINEAR, ELEMENTWISE, SWIGLU, GATE_UP, BACKWARD, GELU)) {
                String text = template.replace("LEAD", lead);
                String name = text.substring(6, text.indexOf('(')) + (lead.length() > 1 ? "_3d" : "_2d");
                out.add(Arguments.of(name, text));
            }
        }
        out.add(Arguments.of("shapes_2d", SHAPES_2D));
        out.add(Arguments.of("shapes_3d", SHAPES_3D));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("graphs")
    void agreesWithInterpreter(String name, String text) {
        Graph g = OrtAgreement.parse(text);
        for (long t : new long[] {1, 3}) {
            Map<String, Long> dims = Map.of("T", t, "S", t, "B", 2L);
            for (boolean bake : new boolean[] {false, true}) {
                double worst = OrtAgreement.check(g, dims, bake);
                assertTrue(worst <= OrtAgreement.TOLERANCE, name + " worst " + worst);
            }
        }
    }

    @Test
    void llamaSizedFfnAgrees() {
        Graph g = OrtAgreement.parse(FFN.replace("LEAD", "T").replace("12", "344").replace("8", "128"));
        assertTrue(OrtAgreement.check(g, Map.of("T", 5L), true) <= OrtAgreement.TOLERANCE);
    }

    // ---- what the model holds ----

    @Test
    void symbolicDimsBecomeDimParams() {
        byte[] model = OnnxExporter.export(OrtAgreement.parse(SHAPES_3D));
        String text = new String(model, StandardCharsets.ISO_8859_1);
        // monomials are spelled as fusec prints them: symbols sorted, S*B as B*S
        for (String param : List.of("S", "B", "B*S", "2*B")) {
            assertTrue(text.contains("\u0012" + (char) param.length() + param), "dim_param " + param);
        }
    }

    @Test
    void opsMapToStandardOnnxOps() {
        byte[] model = OnnxExporter.export(OrtAgreement.parse(FFN.replace("LEAD", "T")));
        assertEquals(List.of("MatMul", "MatMul", "Sigmoid", "Mul", "Mul", "MatMul"), OnnxOpTypes.of(model));
        byte[] linear = OnnxExporter.export(OrtAgreement.parse(LINEAR.replace("LEAD", "T")));
        assertEquals(List.of("Transpose", "MatMul", "Add", "Sigmoid", "Transpose", "MatMul", "Transpose", "MatMul"),
                OnnxOpTypes.of(linear));
    }

    /** Gelu is opset 20; at opset 17 it is its formula, as PyTorch exports it (ORT fuses that back into one op). */
    @Test
    void geluIsExportedAsItsFormula() {
        byte[] exact = OnnxExporter.export(OrtAgreement.parse("""
                graph g(x: f32[T, 8]) -> (y: f32[T, 8]) {
                  y = gelu(x)
                  return y
                }
                """));
        assertEquals(List.of("Div", "Erf", "Add", "Mul", "Mul"), OnnxOpTypes.of(exact));
        byte[] tanh = OnnxExporter.export(OrtAgreement.parse("""
                graph g(x: f32[T, 8]) -> (y: f32[T, 8]) {
                  y = gelu(x, approximate=tanh)
                  return y
                }
                """));
        assertEquals(List.of("Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"), OnnxOpTypes.of(tanh));
        byte[] geglu = OnnxExporter.export(OrtAgreement.parse("""
                graph g(y: f32[T, 8]) -> (h: f32[T, 4]) {
                  h = swiglu(y, act=gelu)
                  return h
                }
                """));
        assertEquals(List.of("Split", "Div", "Erf", "Add", "Mul", "Mul", "Mul"), OnnxOpTypes.of(geglu));
    }

    @Test
    void bakedConstantsLeaveTheInputs() {
        Graph g = OrtAgreement.parse(FFN.replace("LEAD", "T"));
        Tensor w = Tensor.zeros(8, 12);
        byte[] plain = OnnxExporter.export(g);
        byte[] baked = OnnxExporter.export(g, Map.of("w_gate", w));
        // the 384 bytes of weights arrive, the input's ValueInfo (some 30 bytes) goes; ORT runs it without w_gate
        assertTrue(baked.length > plain.length + 4 * 8 * 12 - 64, baked.length + " vs " + plain.length);
        try (OrtPeer ort = new OrtPeer(baked, 1)) {
            Map<String, Tensor> out = ort.run(Map.of("x", Tensor.zeros(2, 8), "w_up", Tensor.zeros(8, 12),
                    "w_down", Tensor.zeros(12, 8)));
            assertArrayEquals(new int[] {2, 8}, out.get("y").shape());
        }
    }

    // ---- what it refuses ----

    @Test
    void reshapeWithTwoUnknownDimsIsRefused() {
        Graph g = OrtAgreement.parse("""
                graph unflatten(x: f32[S*B, 12]) -> (y: f32[S, B, 12]) {
                  y = reshape(x, shape=[S, B, 12])
                  return y
                }
                """);
        CompileError e = assertThrows(CompileError.class, () -> OnnxExporter.export(g));
        assertEquals("test.fir:2:7: error: reshape to [S, B, 12] cannot be exported to ONNX: dims S and B are both"
                + " symbolic and not copied from the same position of the input [B*S, 12], and ONNX Reshape infers"
                + " at most one dim", e.render());
    }

    @Test
    void nonF32IsRefused() {
        Graph g = OrtAgreement.parse("""
                graph h(x: bf16[T, 4]) -> (y: bf16[T, 4]) {
                  y = silu(x)
                  return y
                }
                """);
        CompileError e = assertThrows(CompileError.class, () -> OnnxExporter.export(g));
        assertTrue(e.render().startsWith("test.fir:1:9: error: ONNX export supports f32 only: input 'x' is bf16"), e.render());
    }

    @Test
    void fp8InputStoreIsRefused() {
        Graph g = OrtAgreement.parse("""
                graph h(g: f32[T, 4], y: f32[T, 8]) -> (d: f32[T, 8]) {
                  d = swiglu_back(g, y, fp8_input_store=true)
                  return d
                }
                """);
        CompileError e = assertThrows(CompileError.class, () -> OnnxExporter.export(g));
        assertTrue(e.render().startsWith("test.fir:2:7: error: swiglu_back: fp8_input_store cannot be exported"), e.render());
    }

    @Test
    void badConstantsAreRefused() {
        Graph g = OrtAgreement.parse(FFN.replace("LEAD", "T"));
        CompileError unknown = assertThrows(CompileError.class, () -> OnnxExporter.export(g, Map.of("w", Tensor.zeros(8, 12))));
        assertTrue(unknown.getMessage().contains("constant 'w' is not an input of graph ffn"), unknown.getMessage());
        CompileError shape = assertThrows(CompileError.class, () -> OnnxExporter.export(g, Map.of("w_up", Tensor.zeros(12, 8))));
        assertEquals("constant 'w_up' must have shape [8, 12], got [12, 8]", shape.getMessage());
        assertFalse(OnnxExporter.export(g, Map.of("x", Tensor.zeros(3, 8))).length == 0);

        Graph tokens = OrtAgreement.parse("""
                graph tok(y: f32[T, 8], w: f32[T, 1], r: f32[S*B, 4]) -> (o: f32[T, 4]) {
                  o = weighted_swiglu(y, w)
                  return o
                }
                """);
        CompileError clash = assertThrows(CompileError.class, () -> OnnxExporter.export(tokens,
                Map.of("y", Tensor.zeros(3, 8), "w", Tensor.zeros(4, 1))));
        assertEquals("test.fir:1:25: error: constant 'w' must have shape [T, 1], got [4, 1] (T is 3 in another constant)",
                clash.render());
        CompileError unfixed = assertThrows(CompileError.class, () -> OnnxExporter.export(tokens,
                Map.of("r", Tensor.zeros(6, 4))));
        assertEquals("test.fir:1:39: error: constant 'r': dim B*S of [B*S, 4] is not fixed by any constant's shape,"
                + " so its extent 6 cannot be checked", unfixed.render());
    }
}
