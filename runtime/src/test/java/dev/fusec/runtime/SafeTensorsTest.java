package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader and writer, the checkpoint sets built on them, and the strict JSON under both. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    private static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(h.length).put(h).put(data).array();
    }

    private static byte[] written(List<SafeTensors.Item> items) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.content(items, Map.of("format", "pt")).writeTo(out);
        return out.toByteArray();
    }

    private static String error(byte[] bytes) {
        return assertThrows(SafeTensors.SafeTensorsException.class,
                () -> SafeTensors.of(Path.of("m.safetensors"), MemorySegment.ofArray(bytes))).getMessage();
    }

    @Test
    void writesAndReadsEveryComputeTypeFromAMappedFile() throws Exception {
        float[] w = {1f, -2.5f, 3.25f, 0f, 1e-3f, 65504f};
        Path p = dir.resolve("m.safetensors");
        OutputFiles.write(p, SafeTensors.content(List.of(SafeTensors.Item.f32("a.weight", w, 2, 3),
                SafeTensors.Item.narrow("b", SafeTensors.DType.BF16, w, 6),
                SafeTensors.Item.narrow("c", SafeTensors.DType.F16, w, 3, 2)), Map.of()));
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8, "data starts 8-byte aligned");
        try (SafeTensors f = SafeTensors.open(p)) {
            StoredTensor a = f.tensor("a.weight");
            assertArrayEquals(new int[] {2, 3}, a.shape());
            assertArrayEquals(w, a.widen());
            float[] b = f.tensor("b").widen();
            float[] c = f.tensor("c").widen();
            for (int i = 0; i < w.length; i++) {
                assertEquals(Rounding.bf16(w[i]), b[i]);
                assertEquals(Rounding.f16(w[i]), c[i]);
            }
            assertArrayEquals(new float[] {0f, 1e-3f}, new float[] {f.tensor("a.weight").slice(1).get(0), f.tensor("a.weight").slice(1).get(1)});
            assertEquals(List.of("a.weight", "b", "c"), List.copyOf(f.entries().keySet()));
            assertTrue(f.tensor("a.weight").data().isMapped(), "a view of the mapping, not a heap copy");
        }
    }

    @Test
    void badCheckpointsAreOneClearLine() throws Exception {
        byte[] good = written(List.of(SafeTensors.Item.f32("w", new float[6], 2, 3)));
        assertTrue(error(java.util.Arrays.copyOf(good, good.length - 4)).startsWith("truncated file: tensor 'w' ends at byte 24"));
        assertTrue(error(java.util.Arrays.copyOf(good, 5)).startsWith("truncated file: 5 bytes"));
        byte[] longHeader = good.clone();
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1 << 20);
        assertTrue(error(longHeader).startsWith("header length 1048576 is longer than the file"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}", new byte[20]))
                .equals("tensor 'b' (bytes 8 to 20) overlaps tensor 'a' (bytes 0 to 12)"));
        assertEquals("a gap of 4 bytes before tensor 'b' (data_offsets must tile the data)",
                error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", new byte[20])));
        assertEquals("4 bytes after the last tensor belong to no tensor",
                error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[12])));
        assertEquals("tensor 'a' has unknown dtype 'Q4'", error(file("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8])));
        assertEquals("tensor 'a' is BF16[2, 3] (12 bytes) but its data_offsets [0, 24] hold 24",
                error(file("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", new byte[24])));
        assertTrue(error(file("{\"a\":1,\"a\":2}", new byte[0])).contains("key 'a' appears twice"));
        assertTrue(error(file("[1]", new byte[0])).startsWith("header does not start with '{'"));
        String nl = error(file("{\"x\ny\":{\"dtype\":\"Q4\",\"shape\":[],\"data_offsets\":[0,0]}}", new byte[0]));
        assertTrue(!nl.contains("\n"), nl);
    }

    @Test
    void shardedSetsMustAgreeWithTheirIndex() throws Exception {
        OutputFiles.write(dir.resolve("model-00001-of-00002.safetensors"),
                SafeTensors.content(List.of(SafeTensors.Item.f32("a", new float[] {1, 2}, 2)), Map.of()));
        OutputFiles.write(dir.resolve("model-00002-of-00002.safetensors"),
                SafeTensors.content(List.of(SafeTensors.Item.f32("b", new float[] {3}, 1)), Map.of()));
        Path index = dir.resolve(Checkpoint.INDEX);
        Files.writeString(index, "{\"metadata\":{\"total_size\":12},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                + "\"b\":\"model-00002-of-00002.safetensors\"}}");
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(List.of("a", "b"), c.names());
            assertEquals(3f, c.tensor("b").orElseThrow().get(0));
            assertEquals(12, c.dataBytes());
        }
        Files.writeString(index, "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        var e = assertThrows(SafeTensors.SafeTensorsException.class, () -> Checkpoint.open(dir));
        assertEquals("the index puts tensor 'a' in this shard, which does not hold it", e.getMessage());
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../elsewhere.safetensors\"}}");
        e = assertThrows(SafeTensors.SafeTensorsException.class, () -> Checkpoint.open(dir));
        assertEquals("weight_map: shard '../elsewhere.safetensors' is not a plain .safetensors file name in this folder", e.getMessage());
        OutputFiles.write(dir.resolve("two.safetensors"), SafeTensors.content(List.of(SafeTensors.Item.f32("a", new float[] {1}, 1),
                SafeTensors.Item.f32("c", new float[] {1}, 1)), Map.of()));
        Files.writeString(index, "{\"weight_map\":{\"a\":\"two.safetensors\"}}");
        e = assertThrows(SafeTensors.SafeTensorsException.class, () -> Checkpoint.open(dir));
        assertEquals("tensor 'c' is in this shard but the index does not list it", e.getMessage());
    }

    @Test
    void jsonIsStrict() {
        for (String bad : List.of("{\"a\":1,}", "[1,]", "{'a':1}", "NaN", "01", "1.", "\"\\x\"", "{\"a\" 1}", "tru", "\"\u0001\"", "1 2")) {
            assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
        }
        assertThrows(Json.JsonException.class, () -> Json.parse("[".repeat(100) + "]".repeat(100)));
        try {
            Json.Obj o = (Json.Obj) Json.parse(" {\"a\": [1, -2.5e3, true, null, \"\\u00e9\\n\"]} ");
            List<Json.Value> a = ((Json.Arr) o.get("a").orElseThrow()).items();
            assertEquals(1L, ((Json.Num) a.get(0)).longValue().orElseThrow());
            assertEquals(-2500.0, ((Json.Num) a.get(1)).doubleValue());
            assertTrue(((Json.Num) a.get(1)).longValue().isEmpty());
            assertEquals("\u00e9\n", ((Json.Str) a.get(4)).value());
        } catch (Json.JsonException e) {
            throw new AssertionError(e);
        }
    }
}
