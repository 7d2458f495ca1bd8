package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.runtime.JvmOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fusec embedded in a program started as {@code java --add-modules jdk.incubator.vector -cp ...},
 * without the launcher's JIT options: {@link EmbeddedMain} in a JVM of its own. The kernels' results
 * are right either way; the run gets the compiler directives and prints no warning, or, with the
 * directives turned off, prints the one warning line that names the options. (How fast it runs is
 * bench/embedded-check's question, not a test's.)
 */
class EmbeddedJvmTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
        List<String> warnings() {
            return err.lines().filter(l -> l.startsWith("fusec:")).toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    private Run embedded(String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), EmbeddedMain.class.getName()));
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        // The test JVM's own environment must not hand the child any options.
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the embedded run did not finish in 5 minutes: " + command);
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void aPlainJvmGetsTheDirectivesComputesRightAndPrintsNoWarning() throws Exception {
        Run run = embedded();
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("ok " + EmbeddedMain.RUNS + " runs"), run.toString());
        assertTrue(run.out().contains("kernel directive: true"), run.toString());
        assertEquals(List.of(), run.warnings(), run.toString());
    }

    @Test
    void withTheDirectivesTurnedOffItComputesRightAndWarnsOnceNamingTheOptions() throws Exception {
        Run run = embedded("-Dfusec.jit.directives=false");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("ok " + EmbeddedMain.RUNS + " runs"), run.toString());
        assertTrue(run.out().contains("kernel directive: false"), run.toString());
        List<String> missing = JvmOptions.kernelOptions().stream().filter(o -> !o.startsWith("--add-modules")).toList();
        assertEquals(List.of("fusec: warning: generated kernels may run much slower (compiler directives turned off by"
                + " -Dfusec.jit.directives=false); add these JVM options: " + String.join(" ", missing)), run.warnings(), run.toString());
    }

    @Test
    void aJvmStartedWithTheOptionsGetsNoDirectiveAndNoWarning() throws Exception {
        Run run = embedded(JvmOptions.kernelOptions().toArray(String[]::new));
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("kernel directive: false"), run.toString());
        assertEquals(List.of(), run.warnings(), run.toString());
    }
}
