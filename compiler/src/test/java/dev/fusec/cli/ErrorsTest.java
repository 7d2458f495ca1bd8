package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fusec.runtime.Npy;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's error contract, on bad files and bad flags: exit status 1, exactly one line on stderr
 * {@code FILE:LINE:COL: error: MESSAGE} at the right place, nothing on stdout, no stack trace;
 * usage errors exit 2. Each bad file is tried with both {@code check} and {@code run}.
 */
class ErrorsTest {
    private static final Pattern ONE_ERROR_LINE = Pattern.compile("^[^\\s].*:\\d+:\\d+: error: .+$");

    @TempDir
    Path dir;

    static final String TINY = """
            graph g(x: f32[T, 8]) -> (y: f32[T, 8]) {
              y = silu(x)
              return y
            }
            """;

    static final String FFN = """
            # FFN block: T tokens, hidden 8, intermediate 16
            graph ffn(x: f32[T, 8], w_gate: f32[8, 16], w_up: f32[8, 16], w_down: f32[16, 8])
                -> (y: f32[T, 8]) {
              gate = matmul(x, w_gate)
              up   = matmul(x, w_up)
              h    = mul(silu(gate), up)
              y    = matmul(h, w_down)
              return y
            }
            """;

    // ---- helpers ----

    Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /**
     * Asserts the whole error contract for one run: exit 1, nothing on stdout, one stderr line at
     * {@code where:line:col} whose message contains {@code message}.
     */
    static void assertError(CliRun r, Object where, int line, int col, String message) {
        String err = assertErrorLine(r, where);
        assertTrue(err.startsWith(where + ":" + line + ":" + col + ": error: "), "position: " + r);
        assertTrue(err.contains(message), "message: " + r);
    }

    /** The contract without the place: exit 1, empty stdout, one well-formed line about {@code where}. */
    static String assertErrorLine(CliRun r, Object where) {
        assertEquals(1, r.code(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertTrue(r.err().endsWith("\n"), r.toString());
        String err = r.err().substring(0, r.err().length() - 1);
        assertFalse(err.contains("\n") || err.contains("\r"), "more than one line: " + r);
        assertTrue(ONE_ERROR_LINE.matcher(err).matches(), r.toString());
        assertFalse(err.contains("Exception") || err.contains("at dev.fusec") || err.contains("internal error"), r.toString());
        assertTrue(err.startsWith(where + ":"), r.toString());
        return err;
    }

    /** The same error from {@code check FILE} and {@code run FILE --dim T=4}. */
    static void assertErrorFromBoth(Path file, int line, int col, String message) {
        assertError(CliRun.of("check", file.toString()), file, line, col, message);
        assertError(CliRun.of("run", file.toString(), "--dim", "T=4"), file, line, col, message);
    }

    static void assertUsageError(CliRun r) {
        assertEquals(2, r.code(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertFalse(r.err().isBlank(), r.toString());
        assertFalse(r.err().contains("Exception") || r.err().contains("at dev.fusec"), r.toString());
    }

    // ---- bad IR files ----

    @Test
    void syntaxError() throws IOException {
        Path f = write("syntax.fir", TINY.replace("silu(x)", "silu(x x)"));
        assertErrorFromBoth(f, 2, 14, "extraneous input 'x' expecting {')', ','}");
        f = write("brace.fir", TINY.replace("{", "{{"));
        assertErrorFromBoth(f, 1, 42, "extraneous input '{'");
    }

    @Test
    void truncatedFileAtEveryCut() throws IOException {
        String text = FFN.strip();
        Path f = dir.resolve("cut.fir");
        for (int cut = 0; cut < text.length(); cut++) {
            String prefix = text.substring(0, cut);
            Files.writeString(f, prefix);
            // The error is where the file ends.
            int line = (int) prefix.chars().filter(c -> c == '\n').count() + 1;
            int col = prefix.length() - (prefix.lastIndexOf('\n') + 1) + 1;
            CliRun r = CliRun.of("check", f.toString());
            if (Character.isWhitespace(text.charAt(cut))) {
                // Cut between tokens: what is there is a valid beginning, so the error is where the file ends.
                assertError(r, f, line, col, "unexpected end of file");
                if (cut % 7 == 0) {
                    assertError(CliRun.of("run", f.toString(), "--dim", "T=2"), f, line, col, "unexpected end of file");
                }
            } else {
                // Cut inside a token ("gra", "-" of "->"): the error may be at that token, never past the end.
                String err = assertErrorLine(r, f);
                String[] place = err.substring(f.toString().length() + 1).split(":", 3);
                int l = Integer.parseInt(place[0]);
                int c = Integer.parseInt(place[1]);
                assertTrue(l < line || l == line && c <= col, "past the end: " + r);
            }
        }
    }

    @Test
    void binaryFiles() throws IOException {
        byte[] elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0};
        Path f = write("a.out", elf);
        assertErrorFromBoth(f, 1, 8, "binary data (a NUL byte); not an IR text file");
        SplittableRandom rng = new SplittableRandom(99);
        for (int i = 0; i < 20; i++) {
            byte[] noise = new byte[1 + rng.nextInt(4096)];
            for (int k = 0; k < noise.length; k++) {
                noise[k] = (byte) rng.nextInt(256);
            }
            Path n = write("noise" + i + ".bin", noise);
            CliRun r = CliRun.of("check", n.toString());
            assertEquals(1, r.code(), r.toString());
            assertTrue(ONE_ERROR_LINE.matcher(r.err().strip()).matches() && !r.err().strip().contains("\n"), r.toString());
            assertTrue(r.err().startsWith(n + ":"), r.toString());
            assertEquals("", r.out());
        }
        byte[] latin1 = TINY.replace("y = silu(x)", "y = silu(x)  # r\u00e9sum\u00e9").getBytes(StandardCharsets.ISO_8859_1);
        f = write("latin1.fir", latin1);
        assertErrorFromBoth(f, 2, 19, "invalid UTF-8; not an IR text file");
    }

    @Test
    void unknownOpSuggestsTheRightOne() throws IOException {
        Path f = write("unknown.fir", TINY.replace("silu(x)", "sliu(x)"));
        assertErrorFromBoth(f, 2, 7, "unknown op 'sliu'; did you mean 'silu'?");
        f = write("softmax.fir", TINY.replace("silu(x)", "softmax(x)"));
        assertErrorFromBoth(f, 2, 7, "unknown op 'softmax'");
    }

    @Test
    void undefinedAndRedefinedNames() throws IOException {
        assertErrorFromBoth(write("undef.fir", TINY.replace("silu(x)", "silu(z)")), 2, 12, "use of undefined value 'z'");
        assertErrorFromBoth(write("redef.fir", TINY.replace("  y = silu(x)\n", "  y = silu(x)\n  y = sigmoid(x)\n")),
                3, 3, "redefinition of 'y'");
        assertErrorFromBoth(write("ret.fir", TINY.replace("return y", "return q")), 3, 10, "return of undefined value 'q'");
    }

    @Test
    void shapeMismatches() throws IOException {
        assertErrorFromBoth(write("mm.fir", FFN.replace("w_up: f32[8, 16]", "w_up: f32[7, 16]")),
                5, 10, "matmul: inner dims differ: [T, 8] @ [7, 16] (8 vs 7)");
        assertErrorFromBoth(write("out.fir", FFN.replace("-> (y: f32[T, 8])", "-> (y: f32[T, 16])")),
                3, 9, "output 'y' is declared f32[T, 16] but the graph computes f32[T, 8]");
        String split = """
                graph g(x: f32[T, 9]) -> (a: f32[T, 4]) {
                  a, b = split(x, parts=2, axis=-1)
                  return a
                }
                """;
        assertErrorFromBoth(write("split.fir", split), 2, 10, "split into 2 parts does not divide dim 9 of [T, 9]");
    }

    @Test
    void dimsThatOverflow() throws IOException {
        String huge = TINY.replace("T, 8", "99999999999, 99999999999");
        assertErrorFromBoth(write("huge.fir", huge), 1, 9, "dim 99999999999 of [99999999999, 99999999999] is larger than one array holds");
        assertErrorFromBoth(write("bigint.fir", TINY.replace("T, 8]) ->", "T, 99999999999999999999]) ->")), 1, 19,
                "integer 99999999999999999999 is too large");
    }

    @Test
    void absurdNesting() throws IOException {
        int n = 100_000;
        String deep = TINY.replace("silu(x)", "silu(".repeat(n) + "x" + ")".repeat(n));
        // "  y = " is 6 columns, each "silu(" 5: the 257th '(' is the first refused.
        assertErrorFromBoth(write("deep.fir", deep), 2, 7 + 5 * 256 + 4, "nesting deeper than 256 levels");
    }

    @Test
    void filesThatAreNotThere() throws IOException {
        Path missing = dir.resolve("missing.fir");
        assertErrorFromBoth(missing, 1, 1, "no such file");
        assertErrorFromBoth(dir, 1, 1, "is a directory");
        // A newline in the file name must not split the error line.
        Path odd = dir.resolve("two\nlines.fir");
        assertError(CliRun.of("check", odd.toString()), odd.toString().replace('\n', ' '), 1, 1, "no such file");
    }

    // ---- bad flags of run ----

    @Test
    void malformedOrOutOfRangeDimsAreUsageErrors() throws IOException {
        Path f = write("tiny.fir", TINY);
        String[][] cases = {
            {"T", "--dim expects NAME=N, got 'T'"}, {"=4", "--dim expects NAME=N"}, {"4T=4", "--dim expects NAME=N"},
            {"T=abc", "--dim T: 'abc' is not a whole number (digits 0-9)"}, {"T=1.5", "is not a whole number"},
            {"T=0", "--dim T=0 is out of range"}, {"T=-3", "--dim T: '-3' is not a whole number"}, {"T=+3", "is not a whole number"},
            {"T= 3", "is not a whole number"}, {"T=\u0663", "--dim T: '\u0663' is not a whole number"},
            {"T=3000000000", "--dim T=3000000000 is out of range"}, {"T=9223372036854775807", "is out of range"},
            {"T=99999999999999999999", "is not a whole number"}};
        for (String[] c : cases) {
            for (String command : new String[] {"run", "bench"}) {
                CliRun r = CliRun.of(command, f.toString(), "--dim", c[0]);
                assertUsageError(r);
                assertTrue(r.err().startsWith(c[1]) || r.err().lines().findFirst().orElse("").contains(c[1]), r.toString());
            }
        }
    }

    @Test
    void dimsMustNameTheGraphsDimsOnceEach() throws IOException {
        Path f = write("tiny.fir", TINY);
        for (String command : new String[] {"run", "bench"}) {
            CliRun twice = CliRun.of(command, f.toString(), "--dim", "T=2", "--dim", "T=3");
            assertUsageError(twice);
            assertTrue(twice.err().startsWith("--dim T is given twice, as 2 and 3"), twice.toString());
            assertError(CliRun.of(command, f.toString(), "--dim", "T=2", "--dim", "Q=4"), f, 1, 1,
                    "--dim Q names no dim of graph g (its dims: T)");
        }
        assertEquals(0, CliRun.of("run", f.toString(), "--dim", "T=2", "--dim", "T=2").code(), "the same value twice is fine");
    }

    @Test
    void emptyListItemsAreUsageErrors() throws IOException {
        Path f = write("tiny.fir", TINY);
        for (String[] flags : new String[][] {{"--passes", ",,,"}, {"--passes", "canonicalize,,dce"}, {"--disable-pass", ""},
                {"--disable-rule", ""}}) {
            CliRun r = CliRun.of("fuse", f.toString(), flags[0], flags[1]);
            assertUsageError(r);
            assertTrue(r.err().contains("empty"), r.toString());
        }
    }

    @Test
    void benchCountsOutOfRangeAreUsageErrors() throws IOException {
        Path f = write("tiny.fir", TINY);
        for (String[] flag : new String[][] {{"--runs", "0"}, {"--warmup", "-1"}, {"--warmup-ms", "-5"}, {"--threads", "0"}}) {
            CliRun r = CliRun.of("bench", f.toString(), "--dim", "T=2", flag[0], flag[1]);
            assertUsageError(r);
            assertTrue(r.err().contains("--runs 1..100000, --warmup 0..100000 and --warmup-ms 0..3600000"), r.toString());
        }
    }

    @Test
    void unboundDimPointsAtTheGraph() throws IOException {
        Path f = write("ffn.fir", FFN);
        assertError(CliRun.of("run", f.toString()), f, 2, 1, "dim T is not bound; pass --dim T=N");
        assertError(CliRun.of("run", f.toString(), "--dim", "S=4"), f, 2, 1, "--dim S names no dim of graph ffn (its dims: T)");
    }

    @Test
    void dimsTooLargeForTheMemoryOfOneArray() throws IOException {
        Path f = write("tiny.fir", TINY);
        // 2^31 elements do not fit a Java array: refused at the input's declaration, before allocating.
        assertError(CliRun.of("run", f.toString(), "--dim", "T=268435456"), f, 1, 9,
                "'x' of type f32[T, 8] is too large at {T=268435456}");
        // Small inputs, huge product: [65536, 1] @ [1, 65536] is 2^32 elements.
        String outer = """
                graph g(x: f32[T, 1], w: f32[1, 65536]) -> (y: f32[T, 65536]) {
                  y = matmul(x, w)
                  return y
                }
                """;
        Path o = write("outer.fir", outer);
        assertError(CliRun.of("run", o.toString(), "--dim", "T=65536"), o, 2, 7, "'y' of type f32[T, 65536] is too large");
        String broadcast = """
                graph g(a: f32[T, 1], b: f32[1, N]) -> (a: f32[T, 1]) {
                  p = mul(a, b)
                  return a
                }
                """;
        Path b = write("broadcast.fir", broadcast);
        assertError(CliRun.of("run", b.toString(), "--dim", "T=65536", "--dim", "N=65536"), b, 2, 7,
                "'p' of type f32[T, N] is too large");
    }

    @Test
    void runningOutOfMemoryIsOneLine() throws IOException {
        // One input of 2^31 - 4096 floats (8 GiB) is within the array limit but not within this heap.
        assumeTrue(Runtime.getRuntime().maxMemory() < 7L << 30, "the heap could hold 8 GiB");
        Path f = write("big.fir", TINY.replace("T, 8", "T, 4096"));
        CliRun r;
        try {
            r = CliRun.of("run", f.toString(), "--dim", "T=524287");
        } catch (OutOfMemoryError escaped) {
            // Caught here, or JUnit would rethrow it and take the whole test JVM down.
            throw new AssertionError("OutOfMemoryError escaped the CLI: " + escaped);
        }
        assertError(r, f, 1, 1, "out of memory");
    }

    @Test
    void inputsOfTheWrongShape() throws IOException {
        Path f = write("tiny.fir", TINY);
        Path wrong = dir.resolve("wrong.npy");
        Npy.write(wrong, Tensor.zeros(3, 7));
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + wrong), f, 1, 9,
                "input 'x' expects f32[T, 8] = [3, 8] but was given shape [3, 7]");
        assertError(CliRun.of("run", f.toString(), "--dim", "T=4", "--input", "x=" + wrong),
                f, 1, 9, "input 'x' expects f32[T, 8] = [4, 8] but was given shape [3, 7]");
        Path rank = dir.resolve("rank.npy");
        Npy.write(rank, Tensor.zeros(16));
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + rank), f, 1, 9,
                "input 'x' expects f32[T, 8] but was given shape [16]");
        Path empty = dir.resolve("empty.npy");
        Npy.write(empty, Tensor.zeros(0, 8));
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + empty), f, 1, 9, "dim T must be at least 1");
        // Two inputs that disagree on T.
        String two = "graph g(x: f32[T, 8], z: f32[T, 8]) -> (y: f32[T, 8]) {\n  y = add(x, z)\n  return y\n}\n";
        Path g2 = write("two.fir", two);
        Path three = dir.resolve("three.npy");
        Npy.write(three, Tensor.zeros(3, 8));
        Path five = dir.resolve("five.npy");
        Npy.write(five, Tensor.zeros(5, 8));
        assertError(CliRun.of("run", g2.toString(), "--input", "x=" + three, "--input", "z=" + five), g2, 1, 23,
                "input 'z' expects f32[T, 8] = [3, 8] but was given shape [5, 8]");
    }

    /** A .npy file with the given descr and raw data, built from the format specification. */
    static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        return b.put(header.getBytes(StandardCharsets.US_ASCII)).put(data).array();
    }

    @Test
    void inputsOfTheWrongDtypeOrCorrupt() throws IOException {
        Path f = write("tiny.fir", TINY);
        Path i32 = write("i32.npy", npy("<i4", "(2, 8)", new byte[64]));
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + i32), i32, 1, 1, "input 'x': dtype '<i4' is not supported");
        Path be = write("be.npy", npy(">f4", "(2, 8)", new byte[64]));
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + be), be, 1, 1, "input 'x': dtype '>f4' is not supported");
        Path corrupt = write("corrupt.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xff, (byte) 0xff, '{'});
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + corrupt), corrupt, 1, 1, "truncated .npy header");
        Path text = write("text.npy", "x,y\n1,2\n");
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + text), text, 1, 1, "not a NumPy .npy file");
        byte[] whole = npy("<f4", "(2, 8)", new byte[64]);
        Path cut = write("cut.npy", java.util.Arrays.copyOf(whole, whole.length - 5));
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + cut), cut, 1, 1, "truncated data: expected 64 bytes, file has 59");
        Path missing = dir.resolve("missing.npy");
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + missing), missing, 1, 1, "input 'x': no such file");
        assertError(CliRun.of("run", f.toString(), "--input", "x=" + dir), dir, 1, 1, "cannot read");
    }

    @Test
    void unknownInputOrOutputNames() throws IOException {
        Path f = write("ffn.fir", FFN);
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.zeros(2, 8));
        assertError(CliRun.of("run", f.toString(), "--input", "q=" + x), f, 2, 1,
                "--input names 'q', which is not an input of graph ffn (x, w_gate, w_up, w_down)");
        assertError(CliRun.of("run", f.toString(), "--dim", "T=2", "--output", "h=" + dir.resolve("h.npy")), f, 2, 1,
                "--output names 'h', which is not an output of graph ffn (y)");
    }

    @Test
    void outputsThatCannotBeWrittenLeaveNothing() throws IOException {
        Path f = write("tiny.fir", TINY);
        Path out = dir.resolve("no/such/dir/y.npy");
        assertError(CliRun.of("run", f.toString(), "--dim", "T=2", "--output", "y=" + out), out, 1, 1,
                "cannot write: directory " + dir.resolve("no/such/dir") + " does not exist");
        assertFalse(Files.exists(dir.resolve("no")));
        // Onto a directory: refused before running, stdout stays empty, the directory is untouched.
        Path taken = Files.createDirectory(dir.resolve("taken.npy"));
        assertError(CliRun.of("run", f.toString(), "--dim", "T=2", "--output", "y=" + taken), taken, 1, 1, "cannot write");
        assertTrue(Files.isDirectory(taken));
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = new ArrayList<>(files.map(p -> p.getFileName().toString()).sorted().toList());
            assertEquals(List.of("taken.npy", "tiny.fir"), names);
        }
    }

    // ---- usage errors exit 2 ----

    @Test
    void usageErrorsExit2() throws IOException {
        Path f = write("tiny.fir", TINY);
        String file = f.toString();
        assertUsageError(CliRun.of());
        assertUsageError(CliRun.of("frobnicate", file));
        assertUsageError(CliRun.of("check"));
        assertUsageError(CliRun.of("run"));
        assertUsageError(CliRun.of("check", file, "--nope"));
        assertUsageError(CliRun.of("check", file, "extra"));
        assertUsageError(CliRun.of("run", file, "--dim"));
        assertUsageError(CliRun.of("run", file, "--seed", "abc"));
        assertUsageError(CliRun.of("run", file, "--mode", "bogus"));
        assertUsageError(CliRun.of("run", file, "--dim", "T=2", "--output", "y"));
        assertUsageError(CliRun.of("run", file, "--dim", "T=2", "--input", "=x.npy"));
        assertUsageError(CliRun.of("run", file, "--dim", "T=2", "--output", "y=a.npy", "--output", "y=b.npy"));
        assertUsageError(CliRun.of("run", file, "--dim", "T=2", "--mode", "fused", "--threads", "0"));
        CliRun help = CliRun.of("--help");
        assertEquals(0, help.code(), help.toString());
        assertTrue(help.out().contains("check") && help.out().contains("run"), help.toString());
    }
}
