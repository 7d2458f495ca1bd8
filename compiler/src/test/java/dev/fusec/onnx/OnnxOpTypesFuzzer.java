package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the ONNX model reader on arbitrary bytes (docs/fuzzing.md): {@link OnnxOpTypes#of} lists the
 * ops or refuses the bytes with the {@link IllegalArgumentException} it promises, and so does a walk
 * that reads every length-delimited field of every message as a nested message, which reaches all of
 * {@link ProtoReader}. Nothing may loop, overflow the stack or throw anything else.
 */
@Tag("OnnxOpTypesFuzzer")
class OnnxOpTypesFuzzer {
    /** Nesting the walk follows; a real ONNX model nests a handful of levels. */
    private static final int MAX_DEPTH = 64;

    @FuzzTest(maxDuration = "25s")
    @DictionaryEntries({"MatMul", "Sigmoid", "Mul", "Add", "Slice", "Gemm", "Relu", "com.microsoft", "ai.onnx"})
    void readArbitraryBytes(byte[] model) {
        try {
            assertNotNull(OnnxOpTypes.of(model));
        } catch (IllegalArgumentException malformed) {
            assertNotNull(malformed.getMessage());
        }
        try {
            walk(new ProtoReader(model), 0);
        } catch (IllegalArgumentException malformed) {
            assertNotNull(malformed.getMessage());
        }
    }

    private static void walk(ProtoReader m, int depth) {
        while (m.next()) {
            switch (m.wireType()) {
                case ProtoWriter.VARINT -> m.varint();
                case ProtoWriter.LEN -> {
                    assertNotNull(m.string());
                    if (depth < MAX_DEPTH) {
                        walk(m.message(), depth + 1);
                    }
                }
                default -> { }
            }
        }
    }
}
