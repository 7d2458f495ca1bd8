package dev.fusec.acceptance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile but ordinary use, typed as a user types it: outputs onto links, FIFOs, devices and paths
 * that cannot be written; standard output full or closed; a signal mid-run; inputs that never end;
 * sizes and names past what the compiler can hold; command-line values that mean nothing.
 */
class HostileInputTest {
    static final String TINY = """
            graph tiny(x: f32[T, 8]) -> (y: f32[T, 8]) {
              y = silu(x)
              return y
            }
            """;
    static final String TWO = """
            graph two(x: f32[T, 8]) -> (a: f32[T, 8], b: f32[T, 8]) {
              a = silu(x)
              b = sigmoid(x)
              return a, b
            }
            """;
    static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    @TempDir
    Path dir;
    @TempDir
    Path cache;

    @BeforeEach
    void graphs() throws IOException {
        Files.writeString(dir.resolve("tiny.fir"), TINY);
        Files.writeString(dir.resolve("two.fir"), TWO);
    }

    Launcher.Result sh(String script) throws Exception {
        return Launcher.shell(dir, cache, script);
    }

    static void assertOneErrorLine(Launcher.Result r, String start, String contains) {
        assertEquals(1, r.exit(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.stderr().startsWith(start), r.toString());
        assertTrue(r.stderr().contains(contains), r.toString());
        assertFalse(r.stderr().contains("Exception"), r.toString());
    }

    static boolean isNpy(byte[] bytes) {
        return bytes.length > 6 && Arrays.equals(bytes, 0, 6, NPY_MAGIC, 0, 6);
    }

    // ---- outputs ----

    @Test
    void aSymlinkIsWrittenThroughAndStaysALink() throws Exception {
        Path target = Files.writeString(dir.resolve("target.npy"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), Path.of("target.npy"));
        Launcher.Result r = sh("$FUSEC run tiny.fir --dim T=2 --output y=link.npy");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(Files.isSymbolicLink(link), "the link was replaced by a file");
        assertTrue(isNpy(Files.readAllBytes(target)), "the link's target holds the result");
        // A dangling link: its target is created.
        Files.delete(target);
        assertEquals(0, sh("$FUSEC export-onnx tiny.fir -o link.npy").exit());
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.size(target) > 0);
        assertEquals(List.of(), Launcher.temporaries(dir));
    }

    @Test
    void aFifoAndDevicesAreWrittenInPlace() throws Exception {
        Path fifo = dir.resolve("pipe.npy");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Launcher.Result r = sh("$FUSEC run tiny.fir --dim T=3 --output y=pipe.npy");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(isNpy(read.get(30, TimeUnit.SECONDS)), "the reader got the .npy through the FIFO");
        assertTrue(Files.readAttributes(fifo, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther(),
                "the FIFO is still a FIFO");

        assertEquals(0, sh("$FUSEC run tiny.fir --dim T=3 --output y=/dev/null").exit());
        assertFalse(Files.isRegularFile(Path.of("/dev/null")), "/dev/null is still a device");

        // '-' is standard output: the .npy goes there, the summary to standard error.
        Launcher.Result out = sh("$FUSEC run tiny.fir --dim T=3 --output y=-");
        assertEquals(0, out.exit(), out.toString());
        assertTrue(isNpy(out.stdout()), out.toString());
        assertTrue(out.stderr().contains("graph tiny  mode=interp"), out.toString());
        assertEquals(List.of(), Launcher.temporaries(dir));
    }

    @Test
    void pathsThatCannotBeWrittenAreRefusedBeforeAnyWork() throws Exception {
        Files.createDirectory(dir.resolve("adir"));
        assertOneErrorLine(sh("$FUSEC run tiny.fir --dim T=2 --output y=adir"), "adir:1:1: error: ", "it is a directory");
        assertOneErrorLine(sh("$FUSEC run tiny.fir --dim T=2 --output y=no/such/y.npy"), "no/such/y.npy:1:1: error: ",
                "does not exist");
        assertOneErrorLine(sh("$FUSEC run tiny.fir --dim T=2 --output y=/proc/fusec.npy"), "/proc/fusec.npy:1:1: error: ",
                "cannot write into directory /proc");
        assertOneErrorLine(sh("$FUSEC export-onnx tiny.fir -o adir"), "adir:1:1: error: ", "it is a directory");
        // The benchmark never starts: no table, no limits measured, an answer within seconds.
        long t0 = System.nanoTime();
        Launcher.Result report = sh("$FUSEC bench tiny.fir --dim T=2 --report adir");
        assertOneErrorLine(report, "adir:1:1: error: ", "it is a directory");
        Launcher.Result ort = sh("$FUSEC bench tiny.fir --dim T=2 --save-ort-model adir");
        assertOneErrorLine(ort, "adir:1:1: error: ", "it is a directory");
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "refused only after working");
        assertTrue(report.out().isEmpty() && ort.out().isEmpty());
        assertEquals(List.of(), Launcher.temporaries(dir));
    }

    @Test
    void theOutputsOfOneRunAppearTogetherOrNotAtAll() throws Exception {
        // The second output cannot be written (a full device): the first must not appear either.
        Launcher.Result r = sh("$FUSEC run two.fir --dim T=2 --output a=a.npy --output b=/dev/full");
        assertOneErrorLine(r, "/dev/full:1:1: error: ", "No space left on device");
        assertFalse(Files.exists(dir.resolve("a.npy")), "a.npy was written although b failed");
        assertEquals(List.of(), Launcher.temporaries(dir));
        assertEquals(0, sh("$FUSEC run two.fir --dim T=2 --output a=a.npy --output b=b.npy").exit());
        assertTrue(isNpy(Files.readAllBytes(dir.resolve("a.npy"))) && isNpy(Files.readAllBytes(dir.resolve("b.npy"))));
    }

    @Test
    void sigtermMidRunRemovesEveryTemporaryFile() throws Exception {
        Path llama = Launcher.ROOT.resolve("ir-examples/llama2_7b_ffn.fir");
        // The reference interpreter on 256 tokens of a Llama-2-7B block runs for a minute: time to be stopped.
        Process p = Launcher.start(dir, cache, "exec \"$FUSEC\" run " + llama + " --mode interp --dim T=256 --output y=y.npy");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Launcher.temporaries(dir).isEmpty() && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(20);
        }
        assertFalse(Launcher.temporaries(dir).isEmpty(), "the output's temporary file never appeared");
        Thread.sleep(300);
        p.destroy(); // SIGTERM to the launcher, as `kill PID` sends it
        Launcher.Result r = Launcher.finish(p, 60);
        assertNotEquals(0, r.exit(), r.toString());
        assertEquals(List.of(), Launcher.temporaries(dir), "temporary files left behind");
        assertFalse(Files.exists(dir.resolve("y.npy")));
        assertTrue(ProcessHandle.allProcesses().noneMatch(h -> h.info().arguments().map(a -> Arrays.asList(a).contains(llama.toString()))
                .orElse(false)), "the JVM outlived its launcher");
    }

    // ---- standard streams ----

    @Test
    void aFullOrClosedStandardOutputIsAnError() throws Exception {
        assertOneErrorLine(sh("$FUSEC check tiny.fir > /dev/full"), "<stdout>: error: ", "No space left on device");
        assertOneErrorLine(sh("$FUSEC check tiny.fir >&-"), "fusec: error: ", "standard output: it is closed");
        assertEquals(0, sh("$FUSEC check tiny.fir > /dev/null").exit());
    }

    // ---- inputs ----

    @Test
    void endlessInputsEndAtOnceWithOneLine() throws Exception {
        long t0 = System.nanoTime();
        assertOneErrorLine(sh("$FUSEC check /dev/zero"), "/dev/zero:1:1: error: ", "larger than 16 MiB; not an IR file");
        assertOneErrorLine(sh("$FUSEC check - < /dev/zero"), "-:1:1: error: ", "larger than 16 MiB");
        assertOneErrorLine(sh("$FUSEC run tiny.fir --input x=/dev/zero"), "/dev/zero:1:1: error: ", "input 'x': not a NumPy .npy file");
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "endless inputs were read for too long");
        // Standard input is an input like any other.
        Launcher.Result fromStdin = sh("$FUSEC check - < tiny.fir");
        assertEquals(0, fromStdin.exit(), fromStdin.toString());
        assertTrue(fromStdin.out().contains("y = silu(x)"));
    }

    @Test
    void aNpyHeaderWithAnUnknownKeyNamesIt() throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), 'x': 1, }";
        byte[] head = ("\u0093NUMPY\u0001\u0000").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.write(head);
        b.write(dict.length() + 1);
        b.write(0);
        b.write((dict + "\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        b.write(new byte[64]);
        Files.write(dir.resolve("x.npy"), b.toByteArray());
        assertOneErrorLine(sh("$FUSEC run tiny.fir --input x=x.npy"), "x.npy:1:1: error: ",
                "input 'x': header key 'x' is not one of descr, fortran_order, shape");
    }

    // ---- sizes and names ----

    @Test
    void dimsPastAnArrayAreRefusedByCheck() throws Exception {
        for (String dim : List.of("2147483647", "2147483648", "4294967296", "9223372036854775807")) {
            Files.writeString(dir.resolve("big.fir"), TINY.replace("T, 8", "2, " + dim));
            assertOneErrorLine(sh("$FUSEC check big.fir"), "big.fir:1:12: error: ", "dim " + dim + " of [2, " + dim + "]");
            assertOneErrorLine(sh("$FUSEC emit big.fir -o out"), "big.fir:1:12: error: ", "larger than one array holds");
        }
        assertFalse(Files.exists(dir.resolve("out")), "emit made a folder for a graph it refused");
    }

    @Test
    void aLongGraphNameGivesABoundedFileName() throws Exception {
        String name = "g" + "x".repeat(249);
        Files.writeString(dir.resolve("long.fir"), TINY.replace("graph tiny", "graph " + name));
        Launcher.Result r = sh("$FUSEC emit long.fir -o out");
        assertEquals(0, r.exit(), r.toString());
        try (var files = Files.list(dir.resolve("out"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertTrue(names.stream().allMatch(n -> n.length() <= 120), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.startsWith("gxxx") && n.endsWith(".fused.fir")), names.toString());
        }
    }

    // ---- command-line values ----

    @Test
    void dimValuesMustMeanSomething() throws Exception {
        assertOneErrorLine(sh("$FUSEC run tiny.fir --dim T=2 --dim Q=4"), "tiny.fir:1:1: error: ",
                "--dim Q names no dim of graph tiny (its dims: T)");
        Launcher.Result twice = sh("$FUSEC run tiny.fir --dim T=2 --dim T=3");
        assertEquals(2, twice.exit(), twice.toString());
        assertTrue(twice.stderr().startsWith("--dim T is given twice, as 2 and 3"), twice.toString());
        assertEquals(2, sh("$FUSEC run tiny.fir --dim T=\u0663").exit());
        assertEquals(2, sh("$FUSEC fuse tiny.fir --passes ,,,").exit());
    }

    // ---- activations' edges ----

    /** A little-endian f32 .npy of shape [1, n] (version 1, header padded to 64 bytes). */
    static byte[] npy(float[] values) {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, " + values.length + "), }";
        int padded = (10 + header.length() + 1 + 63) / 64 * 64;
        header = header + " ".repeat(padded - 10 - header.length() - 1) + "\n";
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(padded + 4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(NPY_MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** The floats of a little-endian f32 .npy, version 1. */
    static float[] floats(Path file) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(file)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int start = 10 + (b.getShort(8) & 0xFFFF);
        float[] out = new float[(b.capacity() - start) / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat(start + 4 * i);
        }
        return out;
    }

    @Test
    void activationsAtTheEdgesOfTheFloatRangeAgreeWithTheInterpreter() throws Exception {
        Files.writeString(dir.resolve("acts.fir"), """
                graph acts(x: f32[1, 40]) -> (a: f32[1, 40], b: f32[1, 40], c: f32[1, 40], d: f32[1, 40]) {
                  a = silu(x)
                  b = sigmoid(x)
                  c = gelu(x)
                  d = gelu(x, approximate=tanh)
                  return a, b, c, d
                }
                """);
        float[] x = new float[40];
        float[] edges = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -0f, -1e38f, -1000f, -100f, -14f, -10.3f, Float.MIN_VALUE};
        for (int i = 0; i < x.length; i++) {
            x[i] = edges[i % edges.length];
        }
        Files.write(dir.resolve("x.npy"), npy(x));
        for (String mode : List.of("interp", "fused")) {
            Launcher.Result r = sh("$FUSEC run acts.fir --mode " + mode + " --input x=x.npy"
                    + " --output a=" + mode + "_a.npy --output b=" + mode + "_b.npy --output c=" + mode + "_c.npy --output d=" + mode + "_d.npy");
            assertEquals(0, r.exit(), r.toString());
        }
        for (String o : List.of("a", "b", "c", "d")) {
            float[] want = floats(dir.resolve("interp_" + o + ".npy"));
            float[] got = floats(dir.resolve("fused_" + o + ".npy"));
            for (int i = 0; i < x.length; i++) {
                boolean same = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                        : Float.floatToRawIntBits(want[i]) >>> 31 == Float.floatToRawIntBits(got[i]) >>> 31
                        && (got[i] == want[i] || Math.abs(got[i] - want[i]) <= 8 * Math.ulp(want[i]));
                assertTrue(same, o + "(" + x[i] + "): fused " + got[i] + ", interpreter " + want[i]);
            }
        }
        float[] silu = floats(dir.resolve("fused_a.npy"));
        assertTrue(Float.isNaN(silu[0]), "silu(-inf) is NaN, as PyTorch's");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(silu[4]), "silu(-1e38) is -0");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(silu[5]), "silu(-1000) is -0");
        assertEquals((float) (-100 / (1 + Math.exp(100))), silu[6], "silu(-100) is a subnormal");
        float[] gelu = floats(dir.resolve("fused_c.npy"));
        assertTrue(Float.floatToRawIntBits(gelu[7]) < 0 && gelu[7] > -Float.MIN_NORMAL, "gelu(-14) is -0 or a negative subnormal: " + gelu[7]);
        assertTrue(Float.isNaN(gelu[0]), "gelu(-inf) is NaN, as PyTorch's");
    }
}
