package dev.fusec.acceptance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code fusec} launcher through bash, as a user's shell would: a command line, a working
 * folder, the exit status and both streams. The kernel cache and the machine limits go to a folder
 * of the test's own ({@code XDG_CACHE_HOME}); {@code FUSEC_NO_BUILD} keeps the launcher from
 * starting a build of its own inside the test.
 */
final class Launcher {
    static final Path ROOT = Path.of(System.getProperty("basedir", ".")).resolve("..").toAbsolutePath().normalize();
    static final Path FUSEC = ROOT.resolve("fusec");

    record Result(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** Standard error's lines. */
        List<String> errLines() {
            return stderr.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out() + "--- stderr\n" + stderr;
        }
    }

    private Launcher() {}

    /** {@code bash -c SCRIPT} in {@code dir}, where {@code $FUSEC} is the launcher. */
    static Result shell(Path dir, Path cache, String script) throws IOException, InterruptedException {
        Process p = start(dir, cache, script);
        return finish(p, 240);
    }

    static Process start(Path dir, Path cache, String script) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).directory(dir.toFile());
        pb.environment().put("FUSEC", FUSEC.toString());
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        pb.environment().put("FUSEC_NO_BUILD", "1");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    static Result finish(Process p, int seconds) throws IOException, InterruptedException {
        // Both streams are drained while the process runs, so a full pipe cannot stall it.
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        Thread a = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        Thread b = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        a.join();
        b.join();
        assertTrue(done, "the command did not finish in " + seconds + " s");
        return new Result(p.exitValue(), out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    private static void copy(java.io.InputStream in, java.io.OutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // The process ended.
        }
    }

    /** Files whose names look like the output writer's temporaries, anywhere under {@code dir}. */
    static List<Path> temporaries(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        try (var s = Files.walk(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith(".fusec-")).forEach(found::add);
        }
        return found;
    }
}
