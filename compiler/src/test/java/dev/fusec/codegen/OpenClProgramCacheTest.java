package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.OpenClException;
import dev.fusec.runtime.opencl.ProgramCache;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Program binaries on disk: a second build loads the binary; a corrupt entry, or one whose checksum
 * holds but whose binary the driver rejects, is rebuilt from source and replaced; a program that does
 * not compile is one line, with the build log kept as the detail.
 */
class OpenClProgramCacheTest {
    @TempDir
    Path dir;

    static final String SOURCE = "__kernel void twice(__global float* x, const int n) {\n"
            + "    const int i = get_global_id(0);\n    if (i < n) {\n        x[i] = 2.0f * x[i];\n    }\n}\n";

    @Test
    void aSecondBuildLoadsTheBinaryAndACorruptEntryIsRebuilt() throws Exception {
        DeviceContext ctx = OpenClDevice.get();
        ProgramCache cache = new ProgramCache(dir);
        DeviceContext.Built first = ctx.build(SOURCE, "", cache);
        assertFalse(first.fromCache());
        Path entry = cache.entry(first.cacheKey());
        assertTrue(Files.exists(entry), "no entry written at " + entry);
        DeviceContext.Built second = ctx.build(SOURCE, "", cache);
        assertTrue(second.fromCache());

        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(entry, bytes);
        DeviceContext.Built rebuilt = ctx.build(SOURCE, "", cache);
        assertFalse(rebuilt.fromCache(), "a corrupt entry must not be trusted");
        assertTrue(ctx.build(SOURCE, "", cache).fromCache(), "the rebuilt entry replaces the corrupt one");

        // A well-formed entry whose binary is garbage: the driver refuses it, and it is rebuilt.
        cache.store(first.cacheKey(), "not a program binary".getBytes());
        assertFalse(ctx.build(SOURCE, "", cache).fromCache());
        assertTrue(ctx.build(SOURCE, "", cache).fromCache());
        for (DeviceContext.Built b : new DeviceContext.Built[] {first, second, rebuilt}) {
            ctx.releaseProgram(b.program());
        }
    }

    @Test
    void aProgramThatDoesNotCompileIsOneLineWithTheLogAsDetail() {
        DeviceContext ctx = OpenClDevice.get();
        OpenClException e = assertThrows(OpenClException.class, () -> ctx.build("__kernel void broken( {", "", null));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith("the OpenCL program did not build on "), e.getMessage());
        assertFalse(e.detail().isBlank());
    }
}
