package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fusec.frontend.onnx.OnnxImport;
import dev.fusec.ir.CompileError;
import dev.fusec.onnx.proto.Onnx;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the ONNX model reader on arbitrary bytes (docs/fuzzing.md): {@link OnnxOpTypes#of} lists the
 * ops or refuses the bytes with the {@link IllegalArgumentException} it promises; a model that parses
 * (protobuf's generated classes, from onnx.proto) writes and parses back to an equal one, and
 * {@code fusec import} makes of it a graph that type-checks or one error line. Nothing may loop,
 * overflow the stack or throw anything else.
 */
@Tag("OnnxOpTypesFuzzer")
class OnnxOpTypesFuzzer {
    @FuzzTest(maxDuration = "25s")
    @DictionaryEntries({"MatMul", "Sigmoid", "Mul", "Add", "Slice", "Gemm", "Relu", "com.microsoft", "ai.onnx"})
    void readArbitraryBytes(byte[] model) throws InvalidProtocolBufferException {
        try {
            assertNotNull(OnnxOpTypes.of(model));
        } catch (IllegalArgumentException malformed) {
            assertNotNull(malformed.getMessage());
            return;
        }
        Onnx.ModelProto m = Onnx.ModelProto.parseFrom(model);
        assertEquals(m, Onnx.ModelProto.parseFrom(m.toByteArray()));
        // And fusec import on it: a graph that parses and type-checks, or one CompileError line.
        try {
            OnnxImport.Result r = OnnxImport.read(MODEL, model, "w.safetensors");
            dev.fusec.ir.ShapeInference.infer(dev.fusec.parse.IrParser.parse("imported.fir", r.ir()));
        } catch (CompileError e) {
            String line = e.render();
            assertTrue(line.startsWith(MODEL + ":1:1: error: ") && !line.contains("\n") && !line.contains("\r"), line);
        }
    }

    /** Where the fuzzed model pretends to be: external data it names is looked for in an empty folder. */
    private static final java.nio.file.Path MODEL = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "fusec-fuzz-onnx", "m.onnx");
}
