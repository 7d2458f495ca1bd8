package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the safetensors reader (docs/fuzzing.md) on arbitrary bytes, as a mapped file would present
 * them: every input either reads, with every tensor of a type fusec computes in readable element by
 * element and the file written again reading back equal, or fails with one
 * {@link SafeTensors.SafeTensorsException} line. The header's JSON goes through {@link Json}, the
 * reader of config.json and the shard index too.
 */
@Tag("SafeTensorsFuzzer")
class SafeTensorsFuzzer {
    private static final Path WHERE = Path.of("fuzz.safetensors");

    @FuzzTest(maxDuration = "25s")
    @DictionaryEntries({"{\"", "\":{\"dtype\":\"", "F32", "BF16", "F16", "I64", "F8_E4M3", "\",\"shape\":[", "],\"data_offsets\":[",
            "]}", "__metadata__", "\"format\":\"pt\"", "\\u0000", "1e3", "-0", "18446744073709551615", "9223372036854775807"})
    void readArbitraryBytes(byte[] input) throws Exception {
        SafeTensors f;
        try {
            f = SafeTensors.of(WHERE, MemorySegment.ofArray(input));
        } catch (SafeTensors.SafeTensorsException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().contains("\n")
                    && !expected.getMessage().contains("\r"), "one-line message: " + expected.getMessage());
            return;
        }
        List<SafeTensors.Item> items = new ArrayList<>();
        for (SafeTensors.Entry e : f.entries().values()) {
            boolean readable = e.dtype() == SafeTensors.DType.F32 || e.dtype() == SafeTensors.DType.BF16
                    || e.dtype() == SafeTensors.DType.F16;
            boolean fits = true;
            for (long s : e.shape()) {
                fits &= s <= Integer.MAX_VALUE;
            }
            if (!readable || !fits || e.end() - e.begin() > (64 << 20)) {
                continue;
            }
            StoredTensor t = f.tensor(e.name());
            float[] wide = t.widen();
            assertEquals(t.elementCount(), wide.length);
            items.add(new SafeTensors.Item(e.name(), e.dtype(), e.shape(),
                    out -> out.write(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
        }
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        SafeTensors.content(items, f.metadata()).writeTo(again);
        SafeTensors back = SafeTensors.of(WHERE, MemorySegment.ofArray(again.toByteArray()));
        assertEquals(items.size(), back.entries().size());
        for (SafeTensors.Item it : items) {
            StoredTensor a = f.tensor(it.name());
            StoredTensor b = back.tensor(it.name());
            assertEquals(a.dtype(), b.dtype());
            assertArrayEquals(a.shape(), b.shape());
            assertArrayEquals(a.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    b.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        assertEquals(Map.copyOf(f.metadata()), Map.copyOf(back.metadata()));
    }
}
