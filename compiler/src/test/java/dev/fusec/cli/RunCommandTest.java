package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.runtime.Npy;
import dev.fusec.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fusec run --mode interp}: one summary line per output, seeded random inputs that are
 * deterministic per seed, given inputs from .npy (float32 or float64) and outputs written as .npy,
 * checked against values computed here.
 */
class RunCommandTest {
    private static final Pattern HEADER = Pattern.compile("^graph (\\w+)  mode=interp  (dims \\{.*\\}|no dims)  seed=(-?\\d+)  \\(\\d+\\.\\d ms\\)$");
    private static final Pattern SUMMARY = Pattern.compile("^(\\w+): (\\w+)\\[([0-9, ]*)\\]  min=(\\S+)  max=(\\S+)  mean=(\\S+)$");

    @TempDir
    Path dir;

    static final String FFN = """
            graph ffn(x: f32[T, 8], w: f32[8, 16]) -> (y: f32[T, 8], h: f32[T, 16]) {
              h = matmul(x, w)
              y = swiglu(h)
              return y, h
            }
            """;

    static final String SILU = """
            graph act(x: f32[T, 5]) -> (y: f32[T, 5]) {
              y = silu(x)
              return y
            }
            """;

    Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    static CliRun ok(String... args) {
        CliRun r = CliRun.of(args);
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err(), r.toString());
        return r;
    }

    static List<String> lines(CliRun r) {
        return r.out().lines().toList();
    }

    /** What the summary line of {@code name} must say for these values. */
    static String summaryOf(String name, String type, float[] data) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (float v : data) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        return String.format(Locale.ROOT, "%s: %s  min=%.6g  max=%.6g  mean=%.6g", name, type, min, max, sum / data.length);
    }

    static float silu(float x) {
        return (float) (x / (1 + Math.exp(-(double) x)));
    }

    // ---- random inputs ----

    @Test
    void printsOneSummaryLinePerOutput() throws Exception {
        Path f = write("ffn.fir", FFN);
        List<String> out = lines(ok("run", f.toString(), "--mode", "interp", "--dim", "T=4", "--seed", "7"));
        assertEquals(3, out.size(), out.toString());
        Matcher h = HEADER.matcher(out.get(0));
        assertTrue(h.matches(), out.get(0));
        assertEquals("ffn", h.group(1));
        assertEquals("dims {T=4}", h.group(2));
        assertEquals("7", h.group(3));
        String[][] want = {{"y", "4, 8"}, {"h", "4, 16"}};
        for (int i = 0; i < want.length; i++) {
            Matcher m = SUMMARY.matcher(out.get(i + 1));
            assertTrue(m.matches(), out.get(i + 1));
            assertEquals(want[i][0], m.group(1));
            assertEquals("f32", m.group(2));
            assertEquals(want[i][1], m.group(3));
            double min = Double.parseDouble(m.group(4));
            double max = Double.parseDouble(m.group(5));
            double mean = Double.parseDouble(m.group(6));
            assertTrue(min < max && min <= mean && mean <= max, out.get(i + 1));
        }
    }

    @Test
    void sameSeedSameNumbersOtherSeedOtherNumbers() throws Exception {
        Path f = write("ffn.fir", FFN);
        List<String> a = lines(ok("run", f.toString(), "--dim", "T=4", "--seed", "7"));
        List<String> b = lines(ok("run", f.toString(), "--dim", "T=4", "--seed", "7"));
        List<String> c = lines(ok("run", f.toString(), "--dim", "T=4", "--seed", "8"));
        // Line 0 carries the time taken; the summaries must be identical for one seed.
        assertEquals(a.subList(1, 3), b.subList(1, 3));
        assertNotEquals(a.get(1), c.get(1));
        assertNotEquals(a.get(2), c.get(2));
        List<String> d = lines(ok("run", f.toString(), "--dim", "T=4"));
        assertTrue(d.get(0).contains("seed=0"), d.get(0));
        assertNotEquals(a.get(1), d.get(1));
        // Written outputs are deterministic too, bit for bit.
        Path y1 = dir.resolve("y1.npy");
        Path y2 = dir.resolve("y2.npy");
        ok("run", f.toString(), "--dim", "T=4", "--seed", "7", "--output", "y=" + y1);
        ok("run", f.toString(), "--dim", "T=4", "--seed", "7", "--output", "y=" + y2);
        assertArrayEquals(Files.readAllBytes(y1), Files.readAllBytes(y2));
    }

    @Test
    void writtenOutputsAreWhatTheSummarySays() throws Exception {
        Path f = write("ffn.fir", FFN);
        Path y = dir.resolve("y.npy");
        Path h = dir.resolve("h.npy");
        List<String> out = lines(ok("run", f.toString(), "--dim", "T=3", "--seed", "11", "--output", "y=" + y, "--output", "h=" + h));
        Tensor yt = Npy.read(y);
        Tensor ht = Npy.read(h);
        assertArrayEquals(new int[] {3, 8}, yt.shape());
        assertArrayEquals(new int[] {3, 16}, ht.shape());
        assertEquals(summaryOf("y", "f32[3, 8]", yt.data()), out.get(1));
        assertEquals(summaryOf("h", "f32[3, 16]", ht.data()), out.get(2));
        // y = swiglu(h): silu of the first half times the second half, row by row.
        for (int r = 0; r < 3; r++) {
            for (int j = 0; j < 8; j++) {
                float gate = ht.data()[r * 16 + j];
                float up = ht.data()[r * 16 + 8 + j];
                float want = (float) ((double) silu(gate) * up);
                assertEquals(want, yt.data()[r * 8 + j], 1e-6f * Math.max(1, Math.abs(want)), "row " + r + " col " + j);
            }
        }
    }

    // ---- given inputs ----

    static final float[] X = {-20f, -3.5f, -1f, -0.25f, 0f, 1e-8f, 0.5f, 1f, 2.75f, 30f, -0.0f, 88f, -88f, 4.2f, -7.7f};

    void assertSiluOf(float[] x, Path outFile) throws Exception {
        Tensor y = Npy.read(outFile);
        assertArrayEquals(new int[] {3, 5}, y.shape());
        for (int i = 0; i < x.length; i++) {
            float want = silu(x[i]);
            assertEquals(want, y.data()[i], Math.ulp(want), "silu(" + x[i] + ")");
        }
    }

    @Test
    void givenFloat32InputIsUsed() throws Exception {
        Path f = write("act.fir", SILU);
        Path x = dir.resolve("x.npy");
        Npy.write(x, new Tensor(new int[] {3, 5}, X.clone()));
        Path y = dir.resolve("y.npy");
        // T comes from the file: no --dim needed, and the seed does not matter.
        List<String> out = lines(ok("run", f.toString(), "--mode", "interp", "--input", "x=" + x, "--output", "y=" + y, "--seed", "5"));
        assertTrue(out.get(0).contains("dims {T=3}"), out.get(0));
        assertSiluOf(X, y);
        float[] want = new float[X.length];
        for (int i = 0; i < X.length; i++) {
            want[i] = silu(X[i]);
        }
        assertEquals(summaryOf("y", "f32[3, 5]", want), out.get(1));
        List<String> other = lines(ok("run", f.toString(), "--input", "x=" + x, "--seed", "6"));
        assertEquals(out.get(1), other.get(1));
    }

    @Test
    void givenFloat64InputIsConverted() throws Exception {
        Path f = write("act.fir", SILU);
        double[] values = new double[X.length];
        for (int i = 0; i < X.length; i++) {
            values[i] = X[i] + 1e-12; // not a float: the reader rounds it
        }
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (double v : values) {
            b.putDouble(v);
        }
        Path x = Files.write(dir.resolve("x64.npy"), b.array());
        Path y = dir.resolve("y.npy");
        ok("run", f.toString(), "--dim", "T=3", "--input", "x=" + x, "--output", "y=" + y);
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = (float) values[i];
        }
        assertSiluOf(rounded, y);
    }

    @Test
    void givenAndRandomInputsTogether() throws Exception {
        String mixed = """
                graph mix(x: f32[T, 4], w: f32[4, 4]) -> (y: f32[T, 4]) {
                  y = matmul(x, w)
                  return y
                }
                """;
        Path f = write("mix.fir", mixed);
        Path zeros = dir.resolve("zeros.npy");
        Npy.write(zeros, Tensor.zeros(2, 4));
        Path y = dir.resolve("y.npy");
        // x given as zeros, w random: the product is zero whatever the seed.
        List<String> out = lines(ok("run", f.toString(), "--input", "x=" + zeros, "--output", "y=" + y, "--seed", "3"));
        assertEquals("y: f32[2, 4]  min=0.00000  max=0.00000  mean=0.00000", out.get(1));
        assertArrayEquals(new float[8], Npy.read(y).data());
    }

    @Test
    void narrowDtypesAreRoundedOnStore() throws Exception {
        Path f = write("bf16.fir", SILU.replace("f32", "bf16"));
        Path y = dir.resolve("y.npy");
        List<String> out = lines(ok("run", f.toString(), "--dim", "T=3", "--seed", "1", "--output", "y=" + y));
        assertTrue(out.get(1).startsWith("y: bf16[3, 5]  min="), out.get(1));
        for (float v : Npy.read(y).data()) {
            assertEquals(0, Float.floatToRawIntBits(v) & 0xFFFF, "not a bf16 value: " + v);
        }
    }

    @Test
    void graphWithoutSymbolicDims() throws Exception {
        Path f = write("static.fir", SILU.replace("T, 5", "3, 5"));
        List<String> out = lines(ok("run", f.toString(), "--seed", "2"));
        Matcher h = HEADER.matcher(out.get(0));
        assertTrue(h.matches(), out.get(0));
        assertEquals("no dims", h.group(2));
        assertTrue(SUMMARY.matcher(out.get(1)).matches(), out.get(1));
    }
}
