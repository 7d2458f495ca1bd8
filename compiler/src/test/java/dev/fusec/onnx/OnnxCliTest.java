package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.cli.Main;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fusec export-onnx}: the file it writes, and the one-line errors that leave nothing behind. */
class OnnxCliTest {
    private record Result(int code, String out, String err) {}

    private static Result fusec(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private static final String FFN = """
            graph ffn(x: f32[T, 8], w_gate: f32[8, 12], w_up: f32[8, 12], w_down: f32[12, 8])
                -> (y: f32[T, 8]) {
              h = mul(silu(matmul(x, w_gate)), matmul(x, w_up))
              y = matmul(h, w_down)
              return y
            }
            """;

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesTheModel(@TempDir Path dir) throws IOException {
        Path src = Files.writeString(dir.resolve("ffn.fir"), FFN);
        Path model = dir.resolve("ffn.onnx");
        Result r = fusec("export-onnx", src.toString(), "-o", model.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals("wrote " + model + ": graph ffn, 6 ONNX nodes, " + Files.size(model) + " bytes, IR version 8, opset 17\n",
                r.out());
        byte[] bytes = Files.readAllBytes(model);
        assertEquals(List.of("MatMul", "Sigmoid", "Mul", "MatMul", "Mul", "MatMul"), OnnxOpTypes.of(bytes));
        assertEquals(List.of("ffn.fir", "ffn.onnx"), listing(dir));
        try (OrtPeer ort = new OrtPeer(bytes, 1)) {
            Map<String, Tensor> out = ort.run(Map.of("x", Tensor.zeros(3, 8), "w_gate", Tensor.zeros(8, 12),
                    "w_up", Tensor.zeros(8, 12), "w_down", Tensor.zeros(12, 8)));
            assertEquals(3, out.get("y").dim(0));
        }
    }

    @Test
    void fusedOpsInTheFileAreDecomposed(@TempDir Path dir) throws IOException {
        Path src = Files.writeString(dir.resolve("act.fir"), """
                graph act(y: f32[S, B, 16], b: f32[16]) -> (o: f32[S, B, 8]) {
                  o = bias_swiglu(y, b, layout=interleaved)
                  return o
                }
                """);
        Path model = dir.resolve("act.onnx");
        assertEquals(0, fusec("export-onnx", src.toString(), "-o", model.toString()).code());
        assertEquals(List.of("Add", "Slice", "Slice", "Sigmoid", "Mul", "Mul"), OnnxOpTypes.of(Files.readAllBytes(model)));
    }

    private static void assertOneLineError(Result r, String prefix) {
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith(prefix), r.err());
        assertTrue(r.err().endsWith("\n") && r.err().indexOf('\n') == r.err().length() - 1, r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void badInputIsOneLineAndWritesNothing(@TempDir Path dir) throws IOException {
        Path src = Files.writeString(dir.resolve("bad.fir"), FFN.replace("w_down)", "w_gate)"));
        Path model = dir.resolve("bad.onnx");
        Result r = fusec("export-onnx", src.toString(), "-o", model.toString());
        assertOneLineError(r, src + ":4:7: error: matmul: inner dims differ");
        assertEquals(List.of("bad.fir"), listing(dir));
    }

    @Test
    void syntaxErrorIsOneLine(@TempDir Path dir) throws IOException {
        Path src = Files.writeString(dir.resolve("syntax.fir"), "graph g(x: f32[4]) -> (y: f32[4]) {\n  y = silu(x\n  return y\n}\n");
        Result r = fusec("export-onnx", src.toString(), "-o", dir.resolve("g.onnx").toString());
        assertOneLineError(r, src + ":3:");
        assertEquals(List.of("syntax.fir"), listing(dir));
    }

    @Test
    void unexportableGraphIsOneLineAndWritesNothing(@TempDir Path dir) throws IOException {
        Path src = Files.writeString(dir.resolve("r.fir"), """
                graph r(x: f32[S*B, 12]) -> (y: f32[S, B, 12]) {
                  y = reshape(x, shape=[S, B, 12])
                  return y
                }
                """);
        Path model = dir.resolve("r.onnx");
        Files.writeString(model, "old");
        Result r = fusec("export-onnx", src.toString(), "-o", model.toString());
        assertOneLineError(r, src + ":2:7: error: reshape to [S, B, 12] cannot be exported to ONNX");
        assertEquals("old", Files.readString(model));
        assertEquals(List.of("r.fir", "r.onnx"), listing(dir));
    }

    @Test
    void missingFileAndMissingDirectory(@TempDir Path dir) throws IOException {
        Result missing = fusec("export-onnx", dir.resolve("nope.fir").toString(), "-o", dir.resolve("m.onnx").toString());
        assertOneLineError(missing, dir.resolve("nope.fir") + ":1:1: error: ");
        Path src = Files.writeString(dir.resolve("ffn.fir"), FFN);
        Path model = dir.resolve("no/such/dir/m.onnx");
        Result noDir = fusec("export-onnx", src.toString(), "-o", model.toString());
        assertOneLineError(noDir, model + ":1:1: error: cannot write: directory ");
        assertEquals(List.of("ffn.fir"), listing(dir));
    }

    @Test
    void missingOutputOptionIsAUsageError(@TempDir Path dir) throws IOException {
        Path src = Files.writeString(dir.resolve("ffn.fir"), FFN);
        assertEquals(2, fusec("export-onnx", src.toString()).code());
    }
}
