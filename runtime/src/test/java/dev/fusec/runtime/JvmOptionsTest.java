package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** jvm-options.txt: how it is read, and that the surefire argLine (its one copy) says the same. */
class JvmOptionsTest {

    @Test
    void oneOptionALineWithCommentAndBlankLinesSkippedAndBlanksTrimmed() {
        String text = "# a comment\n\n  --add-modules=jdk.incubator.vector  \n\t# indented comment\n-XX:A=1,b c\r\n-XX:+B";
        assertEquals(List.of("--add-modules=jdk.incubator.vector", "-XX:A=1,b c", "-XX:+B"), JvmOptions.parse(text));
    }

    @Test
    void anEmptyFileHasNoOptions() {
        assertEquals(List.of(), JvmOptions.parse(""));
        assertEquals(List.of(), JvmOptions.parse("# only\n   \n"));
    }

    @Test
    void theResourceHoldsTheModuleTheCompileCommandsAndTier3DelayOn() {
        List<String> options = JvmOptions.kernelOptions();
        assertEquals("--add-modules=jdk.incubator.vector", options.get(0));
        assertTrue(options.contains("-XX:CompileCommand=inline,dev.fusec.runtime.VectorMath::*"), options.toString());
        assertTrue(options.contains("-XX:CompileCommand=dontinline,dev.fusec.runtime.kernels.*::*Alone"), options.toString());
        assertTrue(options.contains("-XX:Tier3DelayOn=100000"), options.toString());
        for (String o : options) {
            assertFalse(o.contains(" "), "one option a line, no spaces: '" + o + "'");
        }
    }

    /** Surefire runs a module's tests in its own folder, so the parent pom is one level up. */
    @Test
    void theSurefireArgLineEndsWithTheFilesOptionsInOrderAndHasNoOtherJitOptions() throws IOException {
        String pom = Files.readString(Path.of("..", "pom.xml"));
        Matcher m = Pattern.compile("<argLine>(.*?)</argLine>", Pattern.DOTALL).matcher(pom);
        assertTrue(m.find(), "no <argLine> in the parent pom");
        List<String> argLine = Arrays.asList(m.group(1).strip().split("\\s+"));
        assertFalse(m.find(), "one <argLine> in the parent pom");
        List<String> file = JvmOptions.kernelOptions();
        String fix = "the parent pom's surefire <argLine> must end with runtime/src/main/resources/dev/fusec/runtime/"
                + "jvm-options.txt's options, in order, separated by spaces; argLine: " + argLine;
        assertTrue(argLine.size() >= file.size(), fix);
        assertEquals(file, argLine.subList(argLine.size() - file.size(), argLine.size()), fix);
        for (String o : argLine.subList(0, argLine.size() - file.size())) {
            assertFalse(o.startsWith("-XX:CompileCommand") || o.startsWith("--add-modules") || o.startsWith("-XX:Tier"),
                    "a kernel option outside the file's: " + o + "; " + fix);
        }
    }

    /** The same, seen from inside: this test JVM was started with every option, so no directive and no warning. */
    @Test
    void thisTestJvmHasEveryOption() {
        List<String> given = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assertEquals(List.of(), JitDirectives.missing(JvmOptions.kernelOptions(), given), "input arguments: " + given);
        assertEquals(JitDirectives.Outcome.OPTIONS_GIVEN, JitDirectives.ensureApplied());
    }
}
