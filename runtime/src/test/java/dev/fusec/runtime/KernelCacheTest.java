package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The on-disk kernel cache and the compiler in front of it: entries round-trip, a second load of the
 * same sources skips javac, and a damaged entry of any kind is a miss that is compiled afresh and
 * rewritten, so the run after it is a hit again.
 */
class KernelCacheTest {
    @TempDir
    Path dir;

    /** A kernel {@code args[1][i] = factor * args[0][i]} for i < sym[0], in the kernels package. */
    static KernelSource scale(String className, float factor) {
        return new KernelSource(className, """
                package dev.fusec.runtime.kernels;

                public final class %1$s implements dev.fusec.runtime.Kernel {
                    public %1$s() {}

                    @Override
                    public void run(float[][] args, int[] sym, dev.fusec.runtime.Parallel par) {
                        for (int i = 0; i < sym[0]; i++) {
                            args[1][i] = %2$sf * args[0][i];
                        }
                    }
                }
                """.formatted(className, factor));
    }

    static final List<KernelSource> SOURCES = List.of(scale("KTwice", 2), scale("KThrice", 3));

    /** Runs each loaded kernel on [1, 2, 3] and returns the results. */
    static List<float[]> results(KernelCompiler.Loaded loaded) {
        return loaded.kernels().stream().map(k -> {
            float[] out = new float[3];
            k.run(new float[][] {{1, 2, 3}, out}, new int[] {3}, new Parallel(1));
            return out;
        }).toList();
    }

    static void assertWorks(KernelCompiler.Loaded loaded) {
        List<float[]> r = results(loaded);
        assertArrayEquals(new float[] {2, 4, 6}, r.get(0));
        assertArrayEquals(new float[] {3, 6, 9}, r.get(1));
    }

    @Test
    void storeThenLoadRoundTrips() {
        KernelCache cache = new KernelCache(dir.resolve("nested/cache"));
        Map<String, byte[]> classes = new LinkedHashMap<>();
        classes.put("B", new byte[] {1, 2, 3});
        classes.put("A", new byte[0]);
        classes.put("C", new byte[70_000]);
        assertTrue(cache.store("k1", classes));
        assertTrue(Files.isRegularFile(cache.entry("k1")));
        assertEquals(dir.resolve("nested/cache/k1.kernels"), cache.entry("k1"));
        Map<String, byte[]> back = cache.load("k1").orElseThrow();
        assertEquals(List.of("B", "A", "C"), List.copyOf(back.keySet()));
        classes.forEach((name, bytes) -> assertArrayEquals(bytes, back.get(name), name));
        assertEquals(Optional.empty(), cache.load("k2"));
    }

    @Test
    void aSecondLoadIsACacheHit() {
        KernelCache cache = new KernelCache(dir);
        KernelCompiler.Loaded first = KernelCompiler.load(SOURCES, "species A", cache);
        assertFalse(first.cacheHit());
        assertWorks(first);
        assertTrue(Files.isRegularFile(cache.entry(first.cacheKey())));
        KernelCompiler.Loaded second = KernelCompiler.load(SOURCES, "species A", cache);
        assertTrue(second.cacheHit());
        assertEquals(first.cacheKey(), second.cacheKey());
        assertWorks(second);
    }

    @Test
    void withoutACacheNothingIsWritten() throws IOException {
        KernelCompiler.Loaded loaded = KernelCompiler.load(SOURCES, "species A", null);
        assertFalse(loaded.cacheHit());
        assertWorks(loaded);
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    enum Damage { FLIPPED_BYTE, TRUNCATED, EMPTY, FOREIGN_KEY, CLASS_MISSING, CLASS_UNLOADABLE }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aDamagedEntryIsAMissThenRewritten(Damage damage) throws IOException {
        KernelCache cache = new KernelCache(dir);
        String key = KernelCompiler.load(SOURCES, "species A", cache).cacheKey();
        Path entry = cache.entry(key);
        byte[] good = Files.readAllBytes(entry);
        switch (damage) {
            case FLIPPED_BYTE -> {
                byte[] b = good.clone();
                b[b.length / 2] ^= 0x40;
                Files.write(entry, b);
            }
            case TRUNCATED -> Files.write(entry, Arrays.copyOf(good, good.length - 40));
            case EMPTY -> Files.write(entry, new byte[0]);
            case FOREIGN_KEY -> {
                // A whole, valid entry of other sources under this key's file name.
                String other = KernelCompiler.load(List.of(scale("KOther", 5)), "species A", cache).cacheKey();
                Files.copy(cache.entry(other), entry, StandardCopyOption.REPLACE_EXISTING);
            }
            // Valid entries (checksum and key right) whose classes are not the ones asked for.
            case CLASS_MISSING -> cache.store(key, Map.of("KTwice", cache.load(key).orElseThrow().get("KTwice")));
            case CLASS_UNLOADABLE -> cache.store(key, Map.of("KTwice", new byte[] {1, 2, 3}, "KThrice", new byte[] {4}));
        }
        KernelCompiler.Loaded again = KernelCompiler.load(SOURCES, "species A", cache);
        assertFalse(again.cacheHit(), "a damaged entry must not be trusted");
        assertEquals(key, again.cacheKey());
        assertWorks(again);
        assertTrue(cache.load(key).isPresent(), "the entry should have been rewritten");
        KernelCompiler.Loaded third = KernelCompiler.load(SOURCES, "species A", cache);
        assertTrue(third.cacheHit(), "after the rewrite the next load is a hit");
        assertWorks(third);
    }

    @Test
    void noSourcesIsNoKernels() {
        KernelCache cache = new KernelCache(dir);
        assertEquals(List.of(), KernelCompiler.load(List.of(), "species A", cache).kernels());
        assertTrue(KernelCompiler.load(List.of(), "species A", cache).cacheHit());
        assertEquals(List.of(), KernelCompiler.load(List.of(), "species A", null).kernels());
    }

    @Test
    void theKeyFollowsSourcesClassNamesAndSpecies() {
        String base = KernelCache.key(SOURCES, "FloatVector.SPECIES_256 (8 x f32)");
        assertEquals(base, KernelCache.key(List.copyOf(SOURCES), "FloatVector.SPECIES_256 (8 x f32)"), "deterministic");
        assertNotEquals(base, KernelCache.key(SOURCES, "FloatVector.SPECIES_512 (16 x f32)"));
        assertNotEquals(base, KernelCache.key(List.of(SOURCES.get(0), scale("KThrice", 4)), "FloatVector.SPECIES_256 (8 x f32)"));
        assertNotEquals(base, KernelCache.key(List.of(SOURCES.get(1), SOURCES.get(0)), "FloatVector.SPECIES_256 (8 x f32)"));
        assertNotEquals(base, KernelCache.key(SOURCES.subList(0, 1), "FloatVector.SPECIES_256 (8 x f32)"));
        // Name and source are delimited: moving a character across the boundary changes the key.
        assertNotEquals(KernelCache.key(List.of(new KernelSource("AB", "C")), "s"),
                KernelCache.key(List.of(new KernelSource("A", "BC")), "s"));
        assertEquals(64, base.length());
        assertTrue(base.matches("[0-9a-f]+"));
    }

    @Test
    void anUnwritableCacheOnlyCostsACompile() throws IOException {
        Path notADirectory = dir.resolve("file");
        Files.writeString(notADirectory, "x");
        KernelCache cache = new KernelCache(notADirectory);
        assertFalse(cache.store("k", Map.of("A", new byte[] {1})));
        KernelCompiler.Loaded loaded = KernelCompiler.load(SOURCES, "species A", cache);
        assertFalse(loaded.cacheHit());
        assertWorks(loaded);
    }
}
