package dev.fusec.frontend.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fusec.frontend.WeightBinding;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import dev.fusec.runtime.Checkpoint;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes config.json (docs/fuzzing.md): arbitrary bytes as the config of a folder whose checkpoint is
 * the Llama fixture. Every input either imports, as IR that parses, type-checks and prints back to
 * itself, or fails with one CompileError line at {@code config.json:1:1} or the checkpoint's file.
 */
@Tag("HfConfigFuzzer")
class HfConfigFuzzer {
    private static final Path MODELS = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/models");
    private static final Checkpoint LLAMA = WeightBinding.open(MODELS.resolve("llama"));
    private static final Path CONFIG = Path.of("fuzz/config.json");

    @FuzzTest(maxDuration = "25s")
    @DictionaryEntries({"\"model_type\"", "\"llama\"", "\"mistral\"", "\"qwen2\"", "\"phi3\"", "\"mixtral\"", "\"gpt_oss\"",
            "\"hidden_size\"", "\"intermediate_size\"", "\"num_hidden_layers\"", "\"hidden_act\"", "\"silu\"", "\"gelu\"",
            "\"mlp_bias\"", "true", "\"num_local_experts\"", "\"swiglu_limit\"", "64", "176", "2", "1e2", "-1", "null"})
    void fuzzConfig(byte[] input) {
        Path source = Path.of("fuzz");
        HfImport.Result r;
        try {
            r = HfImport.build(HfConfig.parse(CONFIG, input), LLAMA, source);
        } catch (CompileError e) {
            String line = e.render();
            assertTrue(!line.contains("\n") && !line.contains("\r"), line);
            assertTrue(line.startsWith(CONFIG + ":1:1: error: ") || line.startsWith(LLAMA.source() + ":1:1: error: "), line);
            return;
        }
        Graph g = IrParser.parse("imported.fir", r.ir());
        assertEquals(g.withoutPositions(), IrParser.parse("again.fir", IrPrinter.print(g)).withoutPositions());
        assertTrue(r.layers() >= 1);
    }
}
