package dev.fusec.parse;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Coverage-guided fuzzing of the front end (docs/fuzzing.md): parser, shape inference and the
 * printer round trip, on arbitrary bytes, against the {@link FrontEndContract}. The seed corpus is
 * the example graphs; the dictionary is the IR's vocabulary, so mutations stay near the grammar.
 */
@Tag("IrParserFuzzer")
class IrParserFuzzer {
    @FuzzTest(maxDuration = "25s")
    @DictionaryEntries({"graph", "return", "->", ") -> (", ") {", "f32", "bf16", "f16", "f8e4m3", "f32[T, 8]", "f32[]",
            "matmul", "linear", "add", "sub", "mul", "silu", "sigmoid", "clamp", "split", "concat", "reshape",
            "transpose", "swiglu", "bias_swiglu", "weighted_swiglu", "weighted_bias_swiglu", "gate_up",
            "gate_up_swiglu", "swiglu_back", "bias_swiglu_back", "weighted_swiglu_back", "transpose_b", "min=",
            "max=", "parts=", "sizes=", "axis=", "shape=", "perm=", "layout=", "limit=", "fp8_input_store=",
            "cpu_offload_input=", "halves", "swapped", "interleaved", "true", "false", "-1", "4096",
            "9223372036854775807", "99999999999999999999", "1e309", "1e-3", "S*B", "2*T", "[S*B, -1]", "[1, 0]"})
    void parseArbitraryBytes(byte[] input) {
        FrontEndContract.check(input);
    }
}
