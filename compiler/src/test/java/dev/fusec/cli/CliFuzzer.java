package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/**
 * The whole CLI in-process on a fuzzed file (docs/fuzzing.md): {@code check}, {@code fuse} (plain,
 * {@code --explain}, {@code --print-after-all}), {@code dot --fused} and {@code emit} (fused and
 * unfused). Whatever the file holds, the exit status is 0, 1 or 2, standard error is empty or one line
 * ({@code FILE:LINE:COL: error: MESSAGE} on exit 1; a usage error, exit 2, adds the usage text after
 * its line), nothing prints an exception or a stack trace, and
 * what {@code check} and {@code fuse} print on success is IR that parses and type-checks again. The
 * last byte of an input picks the command (Jazzer's FuzzedDataProvider reads numbers from the end).
 */
@Tag("CliFuzzer")
class CliFuzzer {
    private static final Path DIR = temporaryDirectory();
    private static final Path FILE = DIR.resolve("fuzz.fir");
    private static final Path OUT = DIR.resolve("emitted");

    /** The commands, each as the arguments for a file. */
    private static final List<Function<String, String[]>> COMMANDS = List.of(
            f -> new String[] {"check", f},
            f -> new String[] {"fuse", f},
            f -> new String[] {"fuse", "--explain", f},
            f -> new String[] {"fuse", "--print-after-all", f},
            f -> new String[] {"dot", "--fused", f},
            f -> new String[] {"emit", "-o", OUT.toString(), f},
            f -> new String[] {"emit", "--unfused", "-o", OUT.toString(), f});

    /** Text that only an exception's or a stack trace's printing puts in the output. */
    private static final List<String> SIGNS_OF_AN_EXCEPTION = List.of("Exception", "Error:", "\tat ", "java.lang.", "java.util.",
            "internal error");

    @FuzzTest(maxDuration = "25s")
    void runOnArbitraryFile(FuzzedDataProvider data) throws IOException {
        int command = data.consumeInt(0, COMMANDS.size() - 1);
        Files.write(FILE, data.consumeRemainingAsBytes());
        String[] args = COMMANDS.get(command).apply(FILE.toString());
        CliRun run = CliRun.of(args);
        String context = String.join(" ", args) + "\n" + run;

        assertTrue(run.code() == 0 || run.code() == 1 || run.code() == 2, "exit status: " + context);
        String input = new String(Files.readAllBytes(FILE), java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String sign : SIGNS_OF_AN_EXCEPTION) {
            // An error may quote the input, so only what the input does not hold itself counts.
            assertFalse((run.out().contains(sign) || run.err().contains(sign)) && !input.contains(sign),
                    "an exception reached the user ('" + sign + "'): " + context);
        }
        String err = run.err();
        String firstLine = err.indexOf('\n') < 0 ? err : err.substring(0, err.indexOf('\n') + 1);
        assertTrue(run.code() == 2 ? err.contains("\nUsage: fusec") : err.equals(firstLine), "stderr is not one line: " + context);
        if (run.code() == 1) {
            assertTrue(err.matches("\\Q" + FILE + "\\E:\\d+:\\d+: error: .+\n"), "error line: " + context);
        }
        if (run.code() == 0 && (args[0].equals("check") || args[0].equals("fuse") && args.length == 2)) {
            // The printed graph is valid IR (check adds the types as comments).
            ShapeInference.infer(IrParser.parse("printed.fir", run.out()));
        }
        if (run.code() == 0 && args[0].equals("emit")) {
            assertTrue(Files.isDirectory(OUT), context);
        }
        deleteTree(OUT);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        deleteTree(DIR);
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("fusec-cli-fuzz-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
