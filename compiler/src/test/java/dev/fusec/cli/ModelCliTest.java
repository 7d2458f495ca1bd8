package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fusec import}, and {@code run} with {@code --weights} and {@code --layer}, from the command
 * line: a good model end to end, and each way a checkpoint can be bad as one line and exit 1, with
 * nothing written.
 */
class ModelCliTest {
    static final Path MODELS = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/models");

    @TempDir
    Path dir;

    private Path copy(String family) throws IOException {
        Path to = dir.resolve(family);
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(MODELS.resolve(family))) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    private Path imported(String family) {
        Path out = dir.resolve(family + ".fir");
        CliRun r = CliRun.of("import", MODELS.resolve(family).toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        return out;
    }

    /** Exit 1 and exactly one line on stderr, {@code FILE:1:1: error: ...} ending as given. */
    private static void oneLine(CliRun r, String file, String message) {
        assertEquals(1, r.code(), r.toString());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), r.toString());
        assertEquals(file + ":1:1: error: " + message, err);
    }

    @Test
    void importAndRunOneLayerOrAll() throws IOException {
        Path fir = imported("qwen2");
        String text = Files.readString(fir);
        assertTrue(text.contains("gate_proj: f32[176, 64] = weight(\"model.layers.{layer}.mlp.gate_proj.weight\")"), text);
        CliRun r = CliRun.of("run", fir.toString(), "--weights", MODELS.resolve("qwen2").toString(), "--layer", "1",
                "--input", "x=" + MODELS.resolve("qwen2/x.npy"), "--mode", "fused");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("layer 1"), r.out());
        r = CliRun.of("run", fir.toString(), "--weights", MODELS.resolve("qwen2").toString(), "--layer", "all", "--dim", "T=1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("layers 0-1 in turn") && r.out().contains("layer 0: y: f32[1, 64]"), r.out());
    }

    @Test
    void layersAreChosenOrRefused() {
        Path fir = imported("llama");
        String w = MODELS.resolve("llama").toString();
        CliRun r = CliRun.of("run", fir.toString(), "--weights", w, "--dim", "T=1");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("names a layer; pass --layer N or --layer all"), r.err());
        r = CliRun.of("run", fir.toString(), "--layer", "0", "--dim", "T=1");
        assertEquals(2, r.code(), r.toString());
        r = CliRun.of("run", fir.toString(), "--weights", w, "--layer", "2", "--dim", "T=1");
        oneLine(r, w + "/model.safetensors", "missing tensor 'model.layers.2.mlp.gate_proj.weight' (input 'gate_proj' of graph llama_mlp,"
                + " layer 2); the checkpoint has 'model.layers.0.mlp.gate_proj.weight'");
    }

    @Test
    void aTruncatedFileOrAHeaderLongerThanTheFile() throws IOException {
        Path fir = imported("llama");
        Path m = copy("llama");
        Path st = m.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(st);
        Files.write(st, Arrays.copyOf(bytes, bytes.length - 100));
        CliRun r = CliRun.of("run", fir.toString(), "--weights", m.toString(), "--layer", "0", "--dim", "T=1");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith(st + ":1:1: error: truncated file: tensor "), r.err());
        Path out = dir.resolve("never.fir");
        r = CliRun.of("import", m.toString(), "-o", out.toString());
        assertEquals(1, r.code(), r.toString());
        assertFalse(Files.exists(out), "nothing half-written");
        byte[] longHeader = bytes.clone();
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length);
        Files.write(st, longHeader);
        r = CliRun.of("run", fir.toString(), "--weights", m.toString(), "--layer", "0", "--dim", "T=1");
        oneLine(r, st.toString(), "header length " + bytes.length + " is longer than the file (" + (bytes.length - 8)
                + " bytes after the length): truncated or not a safetensors file");
    }

    /** Rewrites one tensor's data_offsets in place, the header padded back to its length. */
    private static void offsets(Path st, String tensor, String from, String to) throws IOException {
        byte[] bytes = Files.readAllBytes(st);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        int at = header.indexOf("\"" + tensor + "\"");
        int off = header.indexOf("\"data_offsets\":" + from, at);
        assertTrue(at >= 0 && off >= 0, header);
        String changed = header.substring(0, off) + "\"data_offsets\":" + to + header.substring(off + ("\"data_offsets\":" + from).length());
        changed = changed + " ".repeat((int) n - changed.length());
        byte[] h = changed.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(h, 0, bytes, 8, h.length);
        Files.write(st, bytes);
    }

    private static String offsetsOf(Path st, String tensor) throws IOException {
        byte[] bytes = Files.readAllBytes(st);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        int at = header.indexOf("\"data_offsets\":", header.indexOf("\"" + tensor + "\""));
        return header.substring(at + "\"data_offsets\":".length(), header.indexOf(']', at) + 1);
    }

    @Test
    void offsetsThatOverlapOrLeaveAGap() throws IOException {
        Path fir = imported("llama");
        Path m = copy("llama");
        Path st = m.resolve("model.safetensors");
        String name = "model.layers.0.mlp.up_proj.weight";
        String was = offsetsOf(st, name);
        long[] be = Arrays.stream(was.replaceAll("[\\[\\] ]", "").split(",")).mapToLong(Long::parseLong).toArray();
        offsets(st, name, was, "[" + (be[0] - 4) + "," + (be[1] - 4) + "]");
        CliRun r = CliRun.of("run", fir.toString(), "--weights", m.toString(), "--layer", "0", "--dim", "T=1");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("overlaps tensor") && !r.err().strip().contains("\n"), r.err());
        Files.copy(MODELS.resolve("llama/model.safetensors"), st, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        offsets(st, name, was, "[" + (be[0] + 4) + "," + (be[1] + 4) + "]");
        r = CliRun.of("run", fir.toString(), "--weights", m.toString(), "--layer", "0", "--dim", "T=1");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("a gap of 4 bytes before tensor '" + name + "'"), r.err());
    }

    @Test
    void aDtypeTheGraphDoesNotAcceptOrAShapeItDoesNot() throws IOException {
        Path fir = imported("llama");
        Path bf16 = MODELS.resolve("llama_bf16");
        CliRun r = CliRun.of("run", fir.toString(), "--weights", bf16.toString(), "--layer", "0", "--dim", "T=1");
        oneLine(r, bf16.resolve("model.safetensors").toString(), "tensor 'model.layers.0.mlp.gate_proj.weight' is BF16; input 'gate_proj'"
                + " of graph llama_mlp, layer 0 is declared f32[176, 64], which does not accept BF16");
        Path narrower = dir.resolve("narrower.fir");
        Files.writeString(narrower, Files.readString(fir).replace("176", "170"));
        Path w = MODELS.resolve("llama");
        r = CliRun.of("run", narrower.toString(), "--weights", w.toString(), "--layer", "1", "--dim", "T=1");
        oneLine(r, w.resolve("model.safetensors").toString(), "tensor 'model.layers.1.mlp.gate_proj.weight' has shape [176, 64];"
                + " input 'gate_proj' of graph llama_mlp, layer 1 expects [170, 64]");
    }

    @Test
    void aMissingTensorOrAShapeThatDisagreesWithConfigJson() throws IOException {
        Path fir = imported("llama");
        Path phi3 = MODELS.resolve("phi3");
        CliRun r = CliRun.of("run", fir.toString(), "--weights", phi3.toString(), "--layer", "0", "--dim", "T=1");
        oneLine(r, phi3.resolve("model.safetensors").toString(), "missing tensor 'model.layers.0.mlp.gate_proj.weight' (input 'gate_proj'"
                + " of graph llama_mlp, layer 0); the checkpoint has 'model.layers.0.mlp.down_proj.weight', 'model.layers.0.mlp.gate_up_proj.weight'");
        Path m = copy("mistral");
        Path config = m.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"intermediate_size\": 176", "\"intermediate_size\": 170"));
        Path out = dir.resolve("never.fir");
        r = CliRun.of("import", m.toString(), "-o", out.toString());
        oneLine(r, m.resolve("model.safetensors").toString(), "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [176, 64]"
                + " but config.json (hidden_size 64, intermediate_size 170) makes it [170, 64]");
        assertFalse(Files.exists(out));
    }

    @Test
    void anUnknownFamilyNamesItsModelTypeAndTheKeysRead() throws IOException {
        Path m = copy("llama");
        Path config = m.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"model_type\": \"llama\"", "\"model_type\": \"gemma2\""));
        CliRun r = CliRun.of("import", m.toString(), "-o", dir.resolve("x.fir").toString());
        oneLine(r, config.toString(), "model_type 'gemma2' is not a family fusec imports (it knows llama, mistral, qwen2, phi3,"
                + " mixtral, gpt_oss); keys read: model_type, architectures");
        Files.writeString(config, "{\"model_type\": \"llama\", \"hidden_size\": 64,}");
        r = CliRun.of("import", m.toString(), "-o", dir.resolve("x.fir").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith(config + ":1:1: error: bad JSON at character"), r.err());
    }
}
