package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the example as a user would: in a JVM of its own started with nothing but
 * {@code --add-modules jdk.incubator.vector}, none of the launcher's options.
 */
class EmbeddedFfnTest {
    /** What the JVM itself prints on standard error whenever an incubator module is added. */
    static final String INCUBATOR_NOTICE = "WARNING: Using incubator modules: jdk.incubator.vector";

    record Result(int exit, String out, String err) {}

    static Result runPlain(String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // Surefire starts this JVM through a manifest-only jar; the real class path is in this property.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", cp,
                "example.EmbeddedFfn"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("example", ".out");
        Path err = Files.createTempFile("example", ".err");
        Path cache = Files.createTempDirectory("example-cache");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            // The kernel cache goes to a folder of the test's own, never the user's.
            pb.environment().put("XDG_CACHE_HOME", cache.toString());
            Process p = pb.start();
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the example did not finish in 180 s");
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            try (Stream<Path> left = Files.walk(cache)) {
                left.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void builtGraphRunsFusedAndAgreesWithTheInterpreter() throws Exception {
        Result r = runPlain("--runs", "5", "--dim", "T=7");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("small_ffn: 3 rewrite(s) fired"), r.out());
        assertTrue(r.out().contains("gate-up-swiglu"), r.out());
        assertTrue(r.out().matches("(?s).*y: fused vs interpreter, worst difference \\S+ of max \\|value\\| \\S+: ok.*"), r.out());
        assertTrue(r.out().contains("concurrent runs: 8 runs on 4 threads, identical results"), r.out());
        assertTrue(r.out().contains("median"), r.out());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void readsAGraphFileAndReportsBadInputAsOneLine() throws Exception {
        Path bad = Files.createTempFile("bad", ".fir");
        try {
            Files.writeString(bad, "graph g(x: f32[T, 8]) -> (y: f32[T, 8]) {\n  y = silu(q)\n  return y\n}\n");
            Result r = runPlain(bad.toString());
            assertEquals(1, r.exit(), r.out() + r.err());
            List<String> lines = r.err().lines().filter(l -> !l.equals(INCUBATOR_NOTICE)).toList();
            assertEquals(1, lines.size(), r.err());
            assertTrue(lines.get(0).startsWith(bad + ":2:"), r.err());
            assertTrue(lines.get(0).contains(": error: "), r.err());
        } finally {
            Files.deleteIfExists(bad);
        }
    }

    /** The example is what a user can write: it may import fusec's public package and nothing else of fusec. */
    @Test
    void usesOnlyThePublicApi() throws IOException {
        Path src = Path.of(System.getProperty("basedir", ".")).resolve("src/main/java");
        List<String> offending = new ArrayList<>();
        int files = 0;
        try (Stream<Path> all = Files.walk(src)) {
            for (Path f : all.filter(p -> p.toString().endsWith(".java")).toList()) {
                files++;
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    String code = line.trim();
                    boolean comment = code.startsWith("*") || code.startsWith("/*") || code.startsWith("//");
                    if (!comment && code.contains("dev.fusec.") && !code.matches("import dev\\.fusec\\.api\\.\\w+;")) {
                        offending.add(f.getFileName() + ": " + line.trim());
                    }
                }
            }
        }
        assertTrue(files > 0, "no example sources under " + src);
        assertEquals(List.of(), offending);
    }
}
