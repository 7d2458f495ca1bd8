package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .npy reader and writer against the NumPy format specification
 * (numpy.lib.format: magic, version, little-endian header length, a Python dict literal padded with
 * spaces and a newline so the data is aligned, then the raw data). The files read here are built
 * byte by byte in the test, not by the writer under test.
 */
class NpyTest {
    @TempDir
    Path dir;

    // ---- building files by hand ----

    /**
     * A .npy file of format {@code major}.0: the header dict padded with spaces to a multiple of 64
     * (counting magic, version and length), ending in a newline, then {@code data}.
     */
    static byte[] npy(int major, String dict, byte[] data) {
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] dictBytes = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int unpadded = 6 + 2 + lengthBytes + dictBytes.length + 1;
        int pad = (64 - unpadded % 64) % 64;
        int headerLen = dictBytes.length + pad + 1;
        ByteBuffer b = ByteBuffer.allocate(6 + 2 + lengthBytes + headerLen + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) headerLen);
        } else {
            b.putInt(headerLen);
        }
        b.put(dictBytes);
        for (int i = 0; i < pad; i++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n').put(data);
        return b.array();
    }

    static String dict(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] f64(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    Tensor read(byte[] file) throws Exception {
        Path p = Files.write(dir.resolve("in.npy"), file);
        return Npy.read(p);
    }

    String readError(byte[] file) {
        Path p = dir.resolve("bad.npy");
        try {
            Files.write(p, file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return assertThrows(Npy.NpyException.class, () -> Npy.read(p)).getMessage();
    }

    static void assertSameBits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
        }
    }

    // ---- round trip ----

    @Test
    void writeThenReadEveryRank() throws Exception {
        SplittableRandom rng = new SplittableRandom(42);
        List<int[]> shapes = List.of(new int[] {}, new int[] {5}, new int[] {3, 4}, new int[] {2, 3, 4},
                new int[] {2, 1, 3, 2}, new int[] {0}, new int[] {4, 0, 2}, new int[] {300_000});
        for (int[] shape : shapes) {
            float[] data = new float[(int) Tensor.elementCount(shape)];
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (rng.nextGaussian() * 100);
            }
            if (data.length >= 4) {
                data[0] = Float.NaN;
                data[1] = -0.0f;
                data[2] = Float.NEGATIVE_INFINITY;
                data[3] = Float.MIN_VALUE;
            }
            Path p = dir.resolve("t" + shape.length + "_" + data.length + ".npy");
            Npy.write(p, new Tensor(shape, data));
            Tensor back = Npy.read(p);
            assertArrayEquals(shape, back.shape(), Arrays.toString(shape));
            assertSameBits(data, back.data());
        }
    }

    @Test
    void writerProducesAnAlignedVersion1Header() throws Exception {
        for (int[] shape : List.of(new int[] {}, new int[] {7}, new int[] {2, 3}, new int[] {123456, 1, 2, 3})) {
            Path p = dir.resolve("h.npy");
            Npy.write(p, Tensor.zeros(shape));
            byte[] bytes = Files.readAllBytes(p);
            assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, Arrays.copyOf(bytes, 8));
            int headerLen = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
            assertEquals(0, (10 + headerLen) % 64, "data starts at a multiple of 64");
            String header = new String(bytes, 10, headerLen, StandardCharsets.ISO_8859_1);
            assertTrue(header.endsWith("\n"), header);
            assertTrue(header.chars().allMatch(c -> c >= 0x20 && c < 0x7f || c == '\n'), header);
            String shapeText = switch (shape.length) {
                case 0 -> "()";
                case 1 -> "(" + shape[0] + ",)";
                default -> Arrays.toString(shape).replace('[', '(').replace(']', ')');
            };
            assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }", header.strip());
            assertEquals(10 + headerLen + 4 * Tensor.elementCount(shape), bytes.length);
        }
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaries() throws Exception {
        Path p = dir.resolve("out.npy");
        Npy.write(p, new Tensor(new int[] {1000}, new float[1000]));
        Npy.write(p, new Tensor(new int[] {2}, new float[] {1.5f, -2f}));
        // The old, longer file is gone entirely, not overwritten in place.
        assertEquals(128 + 8, Files.size(p)); // the dict and padding take 128 bytes, as NumPy's would
        assertSameBits(new float[] {1.5f, -2f}, Npy.read(p).data());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList());
        }
    }

    @Test
    void failedWritesLeaveNothingBehind() throws Exception {
        Path missing = dir.resolve("no/such/dir/out.npy");
        assertThrows(IOException.class, () -> Npy.write(missing, Tensor.zeros(2)));
        assertFalse(Files.exists(dir.resolve("no")));
        // A directory where the file should go: the move fails, the temporary is removed.
        Path sub = Files.createDirectory(dir.resolve("taken.npy"));
        Files.writeString(sub.resolve("keep"), "x");
        assertThrows(IOException.class, () -> Npy.write(sub, Tensor.zeros(2)));
        assertTrue(Files.isDirectory(sub));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(sub), files.toList());
        }
    }

    // ---- reading what NumPy writes ----

    @Test
    void readsVersions1To3() throws Exception {
        float[] values = {1, -2.5f, 3e-8f, Float.MAX_VALUE, 0, 7};
        for (int major = 1; major <= 3; major++) {
            Tensor t = read(npy(major, dict("<f4", "(2, 3)"), f32(values)));
            assertArrayEquals(new int[] {2, 3}, t.shape(), "version " + major);
            assertSameBits(values, t.data());
        }
        // Version 3 headers are UTF-8: a non-Latin-1 character is read as such (and then refused as a dtype).
        String utf8 = "{'descr': '\u00b5\u2211', 'fortran_order': False, 'shape': (2,), }";
        assertEquals("dtype '\u00b5\u2211' is not supported; use float32 or float64 (little-endian)", readError(npy(3, utf8, f32(4, 5))));
    }

    @Test
    void readsScalarsVectorsAndUnpaddedHeaders() throws Exception {
        Tensor scalar = read(npy(1, dict("<f4", "()"), f32(42)));
        assertArrayEquals(new int[] {}, scalar.shape());
        assertSameBits(new float[] {42}, scalar.data());
        Tensor vec = read(npy(1, dict("<f4", "(3,)"), f32(1, 2, 3)));
        assertArrayEquals(new int[] {3}, vec.shape());
        // Key order, spacing and padding are NumPy's choice; a minimal header is still valid.
        String bare = "{'shape':(2,1),'fortran_order':False,'descr':'<f4'}\n";
        ByteBuffer b = ByteBuffer.allocate(10 + bare.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) bare.length());
        b.put(bare.getBytes(StandardCharsets.US_ASCII)).put(f32(8, 9));
        Tensor t = read(b.array());
        assertArrayEquals(new int[] {2, 1}, t.shape());
        assertSameBits(new float[] {8, 9}, t.data());
    }

    @Test
    void readsFloat64AsNearestFloat32() throws Exception {
        double[] values = {0.1, -1e300, 1e-50, Math.PI, -0.0, Double.NaN};
        Tensor t = read(npy(1, dict("<f8", "(3, 2)"), f64(values)));
        assertArrayEquals(new int[] {3, 2}, t.shape());
        float[] want = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            want[i] = (float) values[i];
        }
        assertSameBits(want, t.data());
        assertEquals(Float.NEGATIVE_INFINITY, t.data()[1]);
        // More than one read chunk (1 MiB) of doubles.
        int n = 300_000;
        double[] many = new double[n];
        for (int i = 0; i < n; i++) {
            many[i] = i * 0.5;
        }
        Tensor big = read(npy(2, dict("<f8", "(" + n + ",)"), f64(many)));
        assertEquals(n, big.size());
        assertEquals(0.5f * (n - 1), big.data()[n - 1]);
        assertEquals(0.5f * 131072, big.data()[131072]);
    }

    // ---- rejected files ----

    @Test
    void rejectsFortranOrder() {
        String fortran = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }";
        assertEquals("Fortran-order arrays are not supported; save with C order", readError(npy(1, fortran, f32(1, 2, 3, 4))));
    }

    @Test
    void rejectsUnsupportedDtypes() {
        for (String descr : List.of("<i4", ">f4", ">f8", "<f2", "|u1", "<c8", "|b1", "<i8")) {
            assertEquals("dtype '" + descr + "' is not supported; use float32 or float64 (little-endian)",
                    readError(npy(1, dict(descr, "(2,)"), new byte[16])));
        }
    }

    @Test
    void rejectsTruncatedData() {
        byte[] whole = npy(1, dict("<f4", "(2, 3)"), f32(1, 2, 3, 4, 5, 6));
        assertEquals("truncated data: expected 24 bytes, file has 20", readError(Arrays.copyOf(whole, whole.length - 4)));
        assertEquals("truncated data: expected 24 bytes, file has 0", readError(Arrays.copyOf(whole, whole.length - 24)));
        byte[] doubles = npy(1, dict("<f8", "(3,)"), f64(1, 2, 3));
        assertEquals("truncated data: expected 24 bytes, file has 23", readError(Arrays.copyOf(doubles, doubles.length - 1)));
    }

    @Test
    void rejectsTruncatedHeaders() {
        byte[] whole = npy(1, dict("<f4", "(2,)"), f32(1, 2));
        assertEquals("truncated .npy header", readError(Arrays.copyOf(whole, 40)));
        byte[] v2 = npy(2, dict("<f4", "(2,)"), f32(1, 2));
        assertEquals("truncated .npy header", readError(Arrays.copyOf(v2, 11)));
        assertEquals("truncated .npy header", readError(Arrays.copyOf(v2, 30)));
    }

    @Test
    void rejectsBadMagicAndVersions() {
        byte[] good = npy(1, dict("<f4", "(1,)"), f32(1));
        byte[] bad = good.clone();
        bad[1] = 'n';
        assertEquals("not a NumPy .npy file (bad magic)", readError(bad));
        assertEquals("not a NumPy .npy file (bad magic)", readError(new byte[0]));
        assertEquals("truncated .npy header", readError(Arrays.copyOf(good, 9)));
        assertEquals("not a NumPy .npy file (bad magic)", readError("graph g(x: f32[4]) -> (x: f32[4]) {}".getBytes(StandardCharsets.US_ASCII)));
        byte[] v4 = good.clone();
        v4[6] = 4;
        assertEquals("unsupported .npy format version 4.0", readError(v4));
        byte[] v0 = good.clone();
        v0[6] = 0;
        assertEquals("unsupported .npy format version 0.0", readError(v0));
        byte[] v11 = good.clone();
        v11[7] = 1;
        assertEquals("unsupported .npy format version 1.1", readError(v11));
    }

    @Test
    void rejectsMalformedDictionaries() {
        assertEquals("header has no 'descr'", readError(npy(1, "{'fortran_order': False, 'shape': (1,), }", f32(1))));
        assertEquals("header has no 'fortran_order'", readError(npy(1, "{'descr': '<f4', 'shape': (1,), }", f32(1))));
        assertEquals("header has no 'shape'", readError(npy(1, "{'descr': '<f4', 'fortran_order': False, }", f32(1))));
        assertEquals("header key 'note' is not one of descr, fortran_order, shape",
                readError(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'note': 'x', }", f32(1))));
        assertEquals("header gives 'shape' twice",
                readError(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (1,), }", f32(1))));
        assertEquals("bad 'fortran_order': expected True or False at byte 34",
                readError(npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", f32(1))));
        assertEquals("bad header: expected a quoted string for 'descr' at byte 10",
                readError(npy(1, "{'descr': f4, 'fortran_order': False, 'shape': (1,), }", f32(1))));
        assertEquals("bad header: expected '{' at byte 0", readError(npy(1, "['descr', '<f4']", f32(1))));
        assertEquals("bad header: unexpected text after the dictionary at byte 58",
                readError(npy(1, dict("<f4", "(1,)") + " x", f32(1))));
        assertEquals("bad 'shape': a one-element tuple is written (n,)", readError(npy(1, dict("<f4", "(1)"), f32(1))));
        assertEquals("bad 'shape': extent 'x' is not an integer from 0 to 2147483647", readError(npy(1, dict("<f4", "(x, 2)"), f32(1, 2))));
        assertEquals("bad 'shape': extent '-1' is not an integer from 0 to 2147483647", readError(npy(1, dict("<f4", "(-1, 2)"), f32(1, 2))));
        assertEquals("bad 'shape': extent '4294967296' is not an integer from 0 to 2147483647",
                readError(npy(1, dict("<f4", "(4294967296,)"), f32(1))));
        assertEquals("'shape' (2147483647, 2147483647) has more than 2147483639 elements, more than one array holds",
                readError(npy(1, dict("<f4", "(2147483647, 2147483647)"), f32(1))));
        assertEquals("bad 'shape': extent '\u0661' is not an integer from 0 to 2147483647",
                readError(npy(3, dict("<f4", "(\u0661,)"), f32(1))));
    }

    /** Version 1.0 with {@code header} exactly as given: no padding, no newline. */
    static byte[] unpadded(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        return b.putShort((short) h.length).put(h).put(data).array();
    }

    @Test
    void errorsQuoteHeaderTextOnOneLine() {
        // Found by NpyFuzzer: a key holding a newline made the error (and so the CLI's one line) two lines.
        assertEquals("header key 'a\\x0ab\\x00' is not one of descr, fortran_order, shape",
                readError(npy(1, "{'a\nb\0': 1}", f32())));
        assertEquals("dtype '<f4\\x0d\\u2028' is not supported; use float32 or float64 (little-endian)",
                readError(npy(3, dict("<f4\r\u2028", "(1,)"), f32(1))));
        assertEquals("bad 'shape': extent 'x\\x0a2' is not an integer from 0 to 2147483647",
                readError(npy(1, dict("<f4", "(x\n2,)"), f32(1))));
        String longKey = "k".repeat(1000);
        assertEquals("header key '" + "k".repeat(40) + "'... is not one of descr, fortran_order, shape",
                readError(npy(1, "{'" + longKey + "': 1}", f32())));
        // Found by the same review: a header that ends just inside the shape tuple read past its end.
        assertEquals("bad 'shape': extent '' is not an integer from 0 to 2147483647",
                readError(unpadded("{'descr': '<f4', 'fortran_order': False, 'shape': (", f32())));
    }

    /** A stream that will not say how much it holds and hands out a few bytes at a time, as a pipe does. */
    static java.io.InputStream trickle(byte[] bytes) {
        return new java.io.FilterInputStream(new java.io.ByteArrayInputStream(bytes)) {
            @Override
            public int available() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 4093));
            }
        };
    }

    @Test
    void aHeaderClaimingGigabytesAllocatesOnlyWhatArrives() throws Exception {
        // Found by NpyFuzzer: the reader allocated the announced 8 GiB before reading a byte of data,
        // so a 132-byte file ran the JVM out of memory.
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        byte[] file = npy(1, dict("<f4", "(536870909, 4)"), f32(1));
        for (java.io.InputStream in : List.of(new java.io.ByteArrayInputStream(file), trickle(file), trickle(file))) {
            long before = threads.getCurrentThreadAllocatedBytes();
            Npy.NpyException e = assertThrows(Npy.NpyException.class, () -> Npy.read(in));
            assertEquals("truncated data: expected 8589934544 bytes, file has 4", e.getMessage());
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 16 << 20, "allocated " + allocated + " bytes");
        }
    }

    @Test
    void readsDataThatArrivesInPiecesOfUnknownSize() throws Exception {
        // Past the first capacity and past several chunks, so the array grows more than once.
        float[] values = new float[3_000_001];
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian();
        }
        byte[] file = npy(1, dict("<f4", "(" + values.length + ",)"), f32(values));
        assertSameBits(values, Npy.read(trickle(file)).data());
        double[] wide = {1.5, -2, 3e-5};
        assertSameBits(new float[] {1.5f, -2, 3e-5f}, Npy.read(trickle(npy(2, dict("<f8", "(3,)"), f64(wide)))).data());
    }

    @Test
    void readsFromAStreamExactlyWhatTheHeaderAnnounces() throws Exception {
        // Two arrays back to back, as np.save to one open file writes them: each read stops at its data.
        byte[] a = npy(1, dict("<f4", "(2,)"), f32(1, 2));
        byte[] b = npy(2, dict("<f8", "(1,)"), f64(3));
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        java.io.InputStream in = new java.io.ByteArrayInputStream(both);
        assertSameBits(new float[] {1, 2}, Npy.read(in).data());
        assertSameBits(new float[] {3}, Npy.read(in).data());
        assertEquals(-1, in.read());
    }

    @Test
    void readerAndWriterAgreeWithHandBuiltBytes() throws Exception {
        // The writer's bytes for a known tensor equal the bytes built here from the specification.
        Path p = dir.resolve("w.npy");
        Npy.write(p, new Tensor(new int[] {2, 2}, new float[] {1, 2, 3, 4}));
        assertArrayEquals(npy(1, dict("<f4", "(2, 2)"), f32(1, 2, 3, 4)), Files.readAllBytes(p));
        Npy.write(p, new Tensor(new int[] {}, new float[] {-1}));
        assertArrayEquals(npy(1, dict("<f4", "()"), f32(-1)), Files.readAllBytes(p));
        Npy.write(p, new Tensor(new int[] {3}, new float[] {1, 2, 3}));
        assertArrayEquals(npy(1, dict("<f4", "(3,)"), f32(1, 2, 3)), Files.readAllBytes(p));
    }
}
