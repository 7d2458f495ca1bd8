package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the .npy reader on arbitrary bytes (docs/fuzzing.md). Every input must either read as a
 * tensor that writes and reads back the same, or fail with an {@link Npy.NpyException}; and the
 * reader may allocate only in proportion to the bytes it was given, whatever sizes the header claims.
 */
@Tag("NpyFuzzer")
class NpyFuzzer {
    /** What the reader may allocate beyond the input's own size, times a small factor: its buffers. */
    private static final long ALLOWANCE = 4L << 20;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @FuzzTest(maxDuration = "25s")
    @DictionaryEntries({"NUMPY", "{'descr': '<f4', 'fortran_order': False, 'shape': (", "), }",
            "'descr'", "'fortran_order'", "'shape'", "'<f4'", "'<f8'", "'=f4'", "'>f4'", "'<i4'", "True", "False",
            "(1,)", "(2, 3)", "()", "(0,)", ",)", "2147483647", "2147483648", "99999999999", "L"})
    void readArbitraryBytes(byte[] input) throws Exception {
        Tensor t;
        try {
            t = Npy.read(new ByteArrayInputStream(input));
        } catch (Npy.NpyException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().contains("\n"),
                    "one-line message: " + expected.getMessage());
            t = null;
        }
        assertAllocationBounded(input);
        if (t == null) {
            return;
        }
        assertEquals(Tensor.elementCount(t.shape()), t.data().length);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        Npy.content(t).writeTo(again);
        Tensor back = Npy.read(new ByteArrayInputStream(again.toByteArray()));
        assertArrayEquals(t.shape(), back.shape());
        assertArrayEquals(t.data(), back.data());
    }

    /**
     * Reads {@code input} again, counting what this thread allocates; the first read of a path loads
     * and instruments classes on this thread, so only a second read is measured.
     */
    private static void assertAllocationBounded(byte[] input) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            Npy.read(new ByteArrayInputStream(input));
        } catch (Npy.NpyException | java.io.IOException expected) {
            // Judged above; here only the allocation counts.
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated <= 8L * input.length + ALLOWANCE,
                "read of " + input.length + " bytes allocated " + allocated + " bytes");
    }
}
