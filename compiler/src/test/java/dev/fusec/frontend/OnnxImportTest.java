package dev.fusec.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.api.CompileOptions;
import dev.fusec.api.CompiledModel;
import dev.fusec.api.FusecGraph;
import dev.fusec.api.Mode;
import dev.fusec.api.Tensor;
import dev.fusec.api.Weights;
import dev.fusec.frontend.onnx.OnnxImport;
import dev.fusec.ir.CompileError;
import dev.fusec.onnx.proto.Onnx;
import dev.fusec.runtime.OutputFiles;
import dev.fusec.runtime.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ONNX fixtures (tools/model-fixtures: one Llama MLP in the three ways exporters write a linear
 * layer, with external data and a Concat, as torch.onnx.export writes it, and a gpt-oss expert with
 * Slice step 2, Clip, alpha and up + 1) imported and run in every mode against PyTorch's outputs.
 */
class OnnxImportTest {
    static final Path ONNX = ModelImportTest.MODELS.resolve("onnx");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp_gemm", "mlp_transpose", "mlp_pretransposed", "mlp_concat_external", "mlp_torch", "gptoss_expert"})
    void importedOnnxModelsMatchPyTorchInEveryMode(String name) throws Exception {
        Path weights = dir.resolve(name + ".safetensors");
        OnnxImport.Result r = OnnxImport.read(ONNX.resolve(name + ".onnx"), weights.toString());
        OutputFiles.write(weights, SafeTensors.content(r.weights(), Map.of()));
        FusecGraph g = FusecGraph.parse(r.ir(), name + ".fir");
        boolean gptoss = name.startsWith("gptoss");
        Tensor x = Tensor.readNpy(ONNX.resolve(gptoss ? "gptoss_x.npy" : "x.npy"));
        float[] want = Tensor.readNpy(ONNX.resolve(gptoss ? "gptoss_expert_out.npy" : "mlp_out.npy")).data();
        if (!name.equals("mlp_concat_external")) {
            String fused = g.fuse().after().toIr();
            assertTrue(fused.contains(gptoss ? "bias_swiglu(" : "gate_up_swiglu("), fused);
            assertFalse(fused.contains("= transpose("), "the Transpose of a weight is folded into the matmul: " + fused);
        }
        try (Weights w = Weights.open(weights)) {
            for (Mode mode : Mode.values()) {
                try (CompiledModel m = g.compile(mode, CompileOptions.defaults().withThreads(2).withKernelCache(dir.resolve("cache")))
                        .withWeights(w.bind(g))) {
                    float[] got = m.run(Map.of(g.inputs().get(0).name(), x)).get(g.outputs().get(0).name()).data();
                    double d = ModelImportTest.relative(got, want);
                    assertTrue(d <= ModelImportTest.F32_TOLERANCE, name + " " + mode + ": " + d);
                    System.out.printf("%-20s %-8s worst relative difference from PyTorch: %.2e%n", name, mode, d);
                }
            }
        }
    }

    @Test
    void anOpOutsideTheListIsOneLineNamingTheNodeAndItsType() throws Exception {
        Onnx.ValueInfoProto x = Onnx.ValueInfoProto.newBuilder().setName("x").setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(1).setShape(Onnx.TensorShapeProto.newBuilder()
                        .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("T"))
                        .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(8))))).build();
        byte[] model = Onnx.ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(17))
                .setGraph(Onnx.GraphProto.newBuilder().setName("g").addInput(x)
                        .addNode(Onnx.NodeProto.newBuilder().setName("/mlp/act/Relu").setOpType("Relu").addInput("x").addOutput("y"))
                        .addOutput(x.toBuilder().setName("y")))
                .build().toByteArray();
        Path p = dir.resolve("relu.onnx");
        Files.write(p, model);
        CompileError e = assertThrows(CompileError.class, () -> OnnxImport.read(p, "w.safetensors"));
        assertEquals(p + ":1:1: error: node '/mlp/act/Relu' (Relu) is not an op fusec imports (MatMul, Gemm, Add, Mul, Sigmoid,"
                + " Split, Slice, Concat, Reshape, Transpose, Clip)", e.render());
        Files.write(p, new byte[] {0x0a, 0x7f, 0x01});
        e = assertThrows(CompileError.class, () -> OnnxImport.read(p, "w.safetensors"));
        assertTrue(e.render().startsWith(p + ":1:1: error: not an ONNX model: "), e.render());
    }

    @Test
    void externalDataMustStayInsideTheModelsFolder() throws Exception {
        Onnx.ModelProto m = Onnx.ModelProto.parseFrom(Files.readAllBytes(ONNX.resolve("mlp_concat_external.onnx")));
        Onnx.ModelProto.Builder b = m.toBuilder();
        Onnx.TensorProto.Builder t = b.getGraphBuilder().getInitializerBuilder(0);
        for (int i = 0; i < t.getExternalDataCount(); i++) {
            if (t.getExternalData(i).getKey().equals("location")) {
                t.setExternalData(i, t.getExternalData(i).toBuilder().setValue("../../etc/passwd"));
            }
        }
        Path p = dir.resolve("escape.onnx");
        Files.write(p, b.build().toByteArray());
        CompileError e = assertThrows(CompileError.class, () -> OnnxImport.read(p, "w.safetensors"));
        assertTrue(e.render().contains("external data '../../etc/passwd' is not a relative path inside the model's folder"), e.render());
    }
}
