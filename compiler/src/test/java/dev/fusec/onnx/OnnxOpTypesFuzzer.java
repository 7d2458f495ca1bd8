package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fusec.onnx.proto.Onnx;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the ONNX model reader on arbitrary bytes (docs/fuzzing.md): {@link OnnxOpTypes#of} lists the
 * ops or refuses the bytes with the {@link IllegalArgumentException} it promises; a model that parses
 * (protobuf's generated classes, from onnx.proto) writes and parses back to an equal one. Nothing may
 * loop, overflow the stack or throw anything else.
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
    }
}
