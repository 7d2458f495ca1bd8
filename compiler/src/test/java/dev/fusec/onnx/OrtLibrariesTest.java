package dev.fusec.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fusec.ir.Graph;
import dev.fusec.interp.RandomInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ORT's native libraries come from fusec's cache: extracted once, verified, replaced when damaged. */
class OrtLibrariesTest {
    private static final String ORT_LIBRARY = System.mapLibraryName("onnxruntime");

    private static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase().startsWith("linux");
    }

    private static Object fileKey(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
    }

    @Test
    void extractsOnceAndKeepsAMatchingCopy(@TempDir Path cache) throws IOException {
        assumeTrue(linux(), "the jar's libraries are checked on Linux, where CI runs");
        Path dir = OrtLibraries.extract(cache).orElseThrow();
        assertTrue(dir.startsWith(cache.resolve("onnxruntime")), dir.toString());
        Path lib = dir.resolve(ORT_LIBRARY);
        Path jni = dir.resolve(System.mapLibraryName("onnxruntime4j_jni"));
        assertTrue(Files.size(lib) > 1_000_000, "libonnxruntime is " + Files.size(lib) + " bytes");
        assertTrue(Files.size(jni) > 10_000);
        Object before = fileKey(lib);
        assertEquals(Optional.of(dir), OrtLibraries.extract(cache));
        assertEquals(before, fileKey(lib), "a copy whose CRC matches the jar's is kept, not rewritten");
        try (var left = Files.list(dir)) {
            assertEquals(2, left.count(), "no temporary files are left beside the libraries");
        }
    }

    @Test
    void replacesADamagedCopy(@TempDir Path cache) throws IOException {
        assumeTrue(linux(), "the jar's libraries are checked on Linux, where CI runs");
        Path lib = OrtLibraries.extract(cache).orElseThrow().resolve(ORT_LIBRARY);
        long size = Files.size(lib);
        Object before = fileKey(lib);
        byte[] damaged = Files.readAllBytes(lib);
        damaged[damaged.length / 2] ^= 1;
        Files.write(lib, damaged);
        OrtLibraries.extract(cache).orElseThrow();
        assertNotEquals(before, fileKey(lib));
        assertEquals(size, Files.size(lib));
        byte[] now = Files.readAllBytes(lib);
        assertNotEquals(damaged[damaged.length / 2], now[now.length / 2], "the flipped bit is restored");

        Files.write(lib, new byte[] {1, 2, 3});
        OrtLibraries.extract(cache).orElseThrow();
        assertEquals(size, Files.size(lib), "a truncated copy is replaced");
    }

    @Test
    void aFolderTheUserChoseWins(@TempDir Path cache) {
        String saved = System.getProperty(OrtLibraries.PATH_PROPERTY);
        try {
            System.setProperty(OrtLibraries.PATH_PROPERTY, "/opt/my-ort");
            assertEquals(Optional.of(Path.of("/opt/my-ort")), OrtLibraries.useCache(cache));
            assertEquals("/opt/my-ort", System.getProperty(OrtLibraries.PATH_PROPERTY));
            assertFalse(Files.exists(cache.resolve("onnxruntime")), "nothing is extracted");
        } finally {
            if (saved == null) {
                System.clearProperty(OrtLibraries.PATH_PROPERTY);
            } else {
                System.setProperty(OrtLibraries.PATH_PROPERTY, saved);
            }
        }
    }

    @Test
    void ortRunsOnTheCachedLibrary() throws IOException {
        assumeTrue(linux(), "read from /proc/self/maps");
        Graph g = OrtAgreement.parse("""
                graph s(x: f32[T, 8]) -> (y: f32[T, 8]) {
                  y = silu(x)
                  return y
                }
                """);
        var in = RandomInputs.generate(g, Map.of("T", 2L), 1, Map.of());
        try (OrtPeer ort = new OrtPeer(OnnxExporter.export(g, Map.of()), 1)) {
            assertEquals(2 * 8, ort.run(in).get("y").size());
        }
        Path dir = Path.of(System.getProperty(OrtLibraries.PATH_PROPERTY));
        String maps = Files.readString(Path.of("/proc/self/maps"));
        assertTrue(maps.contains(dir.resolve(ORT_LIBRARY).toString()),
                "libonnxruntime is mapped from " + dir + ", not from a temporary copy");
    }
}
