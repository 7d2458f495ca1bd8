package dev.fusec.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code .safetensors} file, memory-mapped: an 8-byte little-endian header length N, N bytes of
 * JSON naming each tensor's dtype, shape and {@code data_offsets} into the data that follows, then the
 * data. The file is mapped, never read onto the heap; only the header is copied out to be parsed.
 *
 * <p>Read strictly, since a checkpoint is input like any other: the header must fit the file and be
 * at most {@link #MAX_HEADER} bytes (the safetensors library's own limit), every entry must have exactly
 * {@code dtype}, {@code shape} and {@code data_offsets}, its byte count must equal its shape's, and the
 * entries must tile the data exactly: no overlap, no gap, nothing after the last one, nothing missing
 * at the end (a truncated file). Each failure is one {@link SafeTensorsException} line.
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header accepted, as the reference implementation's (100 MB). */
    public static final long MAX_HEADER = 100_000_000L;

    /** The element types of the format, with their widths in bytes. */
    public enum DType {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
        F64(8), I64(8), U64(8);

        private final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }

        static Optional<DType> parse(String s) {
            for (DType d : values()) {
                if (d.name().equals(s)) {
                    return Optional.of(d);
                }
            }
            return Optional.empty();
        }
    }

    /** A bad checkpoint: which file, and what is wrong with it, on one line. */
    public static final class SafeTensorsException extends Exception {
        private final Path file;

        public SafeTensorsException(Path file, String message) {
            super(message, null, false, false);
            this.file = file;
        }

        /** The file at fault (a shard, an index, a config), or null. */
        public Path file() {
            return file;
        }
    }

    /** One entry of the header: where its bytes lie within the data (after the header). */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment whole;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, Arena arena, MemorySegment whole, long dataStart, Map<String, Entry> entries,
                        Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.whole = whole;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps {@code file} read-only and checks its header; {@link #close} unmaps it. */
    public static SafeTensors open(Path file) throws IOException, SafeTensorsException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!Files.isRegularFile(file)) {
            throw new SafeTensorsException(file, "not a regular file (a safetensors file is memory-mapped)");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapped = size == 0 ? MemorySegment.ofArray(new byte[0]) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return of(file, mapped, arena);
        } catch (IOException | SafeTensorsException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads a safetensors image held in {@code bytes} (any segment: a mapping, or a heap array in tests). */
    public static SafeTensors of(Path where, MemorySegment bytes) throws SafeTensorsException {
        return of(where, bytes, null);
    }

    private static SafeTensors of(Path where, MemorySegment bytes, Arena arena) throws SafeTensorsException {
        long size = bytes.byteSize();
        if (size < 8) {
            throw new SafeTensorsException(where, "truncated file: " + size + " bytes, not even the 8-byte header length");
        }
        long n = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 0 || n > size - 8) {
            throw new SafeTensorsException(where, "header length " + Long.toUnsignedString(n) + " is longer than the file ("
                    + (size - 8) + " bytes after the length): truncated or not a safetensors file");
        }
        if (n > MAX_HEADER) {
            throw new SafeTensorsException(where, "header length " + n + " is over the limit of " + MAX_HEADER + " bytes");
        }
        if (n < 2) {
            throw new SafeTensorsException(where, "header of " + n + " bytes cannot hold a JSON object");
        }
        byte[] header = bytes.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        if (header[0] != '{') {
            throw new SafeTensorsException(where, "header does not start with '{': not a safetensors file");
        }
        Json.Value json;
        try {
            json = Json.parse(header);
        } catch (Json.JsonException e) {
            throw new SafeTensorsException(where, "header: " + e.getMessage());
        }
        long dataBytes = size - 8 - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> list = new ArrayList<>();
        for (Map.Entry<String, Json.Value> f : ((Json.Obj) json).fields().entrySet()) {
            if (f.getKey().equals("__metadata__")) {
                if (!(f.getValue() instanceof Json.Obj meta)) {
                    throw new SafeTensorsException(where, "header: '__metadata__' is " + f.getValue().kind() + ", not an object");
                }
                for (Map.Entry<String, Json.Value> m : meta.fields().entrySet()) {
                    if (!(m.getValue() instanceof Json.Str s)) {
                        throw new SafeTensorsException(where, "header: '__metadata__' value " + Json.quote(m.getKey())
                                + " is " + m.getValue().kind() + ", not a string");
                    }
                    metadata.put(m.getKey(), s.value());
                }
                continue;
            }
            list.add(entry(where, f.getKey(), f.getValue()));
        }
        checkTiling(where, list, dataBytes);
        Map<String, Entry> entries = new LinkedHashMap<>();
        list.forEach(e -> entries.put(e.name(), e));
        return new SafeTensors(where, arena, bytes, 8 + n, Collections.unmodifiableMap(entries),
                Collections.unmodifiableMap(metadata));
    }

    private static Entry entry(Path where, String name, Json.Value v) throws SafeTensorsException {
        String what = "tensor " + Json.quote(name);
        if (!(v instanceof Json.Obj o)) {
            throw new SafeTensorsException(where, what + " is " + v.kind() + " in the header, not an object");
        }
        for (String k : o.fields().keySet()) {
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                throw new SafeTensorsException(where, what + " has key " + Json.quote(k) + "; only dtype, shape and data_offsets belong there");
            }
        }
        Json.Value d = o.get("dtype").orElseThrow(() -> new SafeTensorsException(where, what + " has no dtype"));
        if (!(d instanceof Json.Str ds)) {
            throw new SafeTensorsException(where, what + ": dtype is " + d.kind() + ", not a string");
        }
        DType dtype = DType.parse(ds.value()).orElseThrow(() -> new SafeTensorsException(where, what + " has unknown dtype "
                + Json.quote(ds.value())));
        long[] shape = longs(where, what, "shape", o.get("shape").orElseThrow(() -> new SafeTensorsException(where, what + " has no shape")), -1);
        long[] offsets = longs(where, what, "data_offsets",
                o.get("data_offsets").orElseThrow(() -> new SafeTensorsException(where, what + " has no data_offsets")), 2);
        if (offsets[1] < offsets[0]) {
            throw new SafeTensorsException(where, what + " has data_offsets [" + offsets[0] + ", " + offsets[1] + "]: the end is before the begin");
        }
        long count = 1;
        for (long s : shape) {
            try {
                count = Math.multiplyExact(count, s);
            } catch (ArithmeticException overflow) {
                throw new SafeTensorsException(where, what + " has shape " + Arrays.toString(shape) + ", too many elements");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new SafeTensorsException(where, what + " has shape " + Arrays.toString(shape) + ", too many bytes");
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw new SafeTensorsException(where, what + " is " + dtype + Arrays.toString(shape) + " (" + bytes + " bytes) but its data_offsets ["
                    + offsets[0] + ", " + offsets[1] + "] hold " + (offsets[1] - offsets[0]));
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** An array of non-negative integers ({@code want} of them, or any number when -1). */
    private static long[] longs(Path where, String what, String key, Json.Value v, int want) throws SafeTensorsException {
        if (!(v instanceof Json.Arr a) || (want >= 0 && a.items().size() != want)) {
            throw new SafeTensorsException(where, what + ": " + key + " must be an array of " + (want >= 0 ? want + " " : "")
                    + "non-negative integers");
        }
        if (a.items().size() > 64) {
            throw new SafeTensorsException(where, what + ": " + key + " has " + a.items().size() + " entries, more than 64");
        }
        long[] out = new long[a.items().size()];
        for (int i = 0; i < out.length; i++) {
            Optional<Long> x = a.items().get(i) instanceof Json.Num num ? num.longValue() : Optional.empty();
            if (x.isEmpty() || x.get() < 0) {
                throw new SafeTensorsException(where, what + ": " + key + " must be an array of non-negative integers");
            }
            out[i] = x.get();
        }
        return out;
    }

    /** The entries, in order of their offsets, must cover [0, dataBytes) exactly once. */
    private static void checkTiling(Path where, List<Entry> list, long dataBytes) throws SafeTensorsException {
        List<Entry> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < at) {
                throw new SafeTensorsException(where, "tensor " + Json.quote(e.name()) + " (bytes " + e.begin() + " to " + e.end()
                        + ") overlaps tensor " + Json.quote(previous.name()) + " (bytes " + previous.begin() + " to " + previous.end() + ")");
            }
            if (e.begin() > at) {
                throw new SafeTensorsException(where, "a gap of " + (e.begin() - at) + " bytes before tensor " + Json.quote(e.name())
                        + " (data_offsets must tile the data)");
            }
            at = e.end();
            previous = e;
        }
        if (at > dataBytes) {
            throw new SafeTensorsException(where, "truncated file: tensor " + Json.quote(previous.name()) + " ends at byte " + at
                    + " of the data, the file holds " + dataBytes);
        }
        if (at < dataBytes) {
            throw new SafeTensorsException(where, (dataBytes - at) + " bytes after the last tensor belong to no tensor");
        }
    }

    public Path path() {
        return path;
    }

    /** Every tensor's entry, in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor {@code name} as a view of the mapping (no copy).
     *
     * @throws IllegalArgumentException for a name not in the file, a dtype fusec does not compute in, or
     *                                  an extent beyond an int
     */
    public StoredTensor tensor(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no tensor " + Json.quote(name) + " in " + path);
        }
        int[] shape = new int[e.shape().length];
        for (int i = 0; i < shape.length; i++) {
            if (e.shape()[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor " + Json.quote(name) + " has extent " + e.shape()[i] + ", more than an int");
            }
            shape[i] = (int) e.shape()[i];
        }
        return new StoredTensor(name, e.dtype(), shape, whole.asSlice(dataStart + e.begin(), e.end() - e.begin()));
    }

    /** Unmaps the file; tensors taken from it must not be read afterwards. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    // ---- writing ----

    /** One tensor to write: its name, dtype, shape, and a writer of exactly its bytes (little-endian). */
    public record Item(String name, DType dtype, long[] shape, OutputFiles.Content bytes) {
        public Item {
            shape = shape.clone();
        }

        long byteCount() {
            long n = dtype.bytes();
            for (long s : shape) {
                n = Math.multiplyExact(n, s);
            }
            return n;
        }

        /** float32 values as F32. */
        public static Item f32(String name, float[] data, long... shape) {
            return new Item(name, DType.F32, shape, out -> {
                ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < data.length; ) {
                    b.clear();
                    int k = Math.min(b.capacity() / 4, data.length - i);
                    b.asFloatBuffer().put(data, i, k);
                    out.write(b.array(), 0, k * 4);
                    i += k;
                }
            });
        }

        /** float32 values rounded to bf16 (nearest, ties to even) or f16. */
        public static Item narrow(String name, DType dtype, float[] data, long... shape) {
            if (dtype != DType.BF16 && dtype != DType.F16) {
                throw new IllegalArgumentException("narrow: " + dtype);
            }
            return new Item(name, dtype, shape, out -> {
                byte[] b = new byte[1 << 16];
                for (int i = 0; i < data.length; ) {
                    int k = Math.min(b.length / 2, data.length - i);
                    for (int j = 0; j < k; j++) {
                        short bits = dtype == DType.BF16 ? Rounding.bf16Bits(data[i + j]) : Float.floatToFloat16(data[i + j]);
                        b[2 * j] = (byte) bits;
                        b[2 * j + 1] = (byte) (bits >> 8);
                    }
                    out.write(b, 0, 2 * k);
                    i += k;
                }
            });
        }
    }

    /**
     * The bytes of a safetensors file holding {@code items} in order: the header (padded with spaces to
     * a multiple of 8 bytes, as the reference writer does, so the data starts aligned), then each
     * tensor's bytes. Write it through {@link OutputFiles}.
     */
    public static OutputFiles.Content content(List<Item> items, Map<String, String> metadata) {
        StringBuilder h = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                h.append(first ? "" : ",").append('"').append(Json.escape(m.getKey())).append("\":\"")
                        .append(Json.escape(m.getValue())).append('"');
                first = false;
            }
            h.append("}");
        }
        long at = 0;
        for (Item it : items) {
            if (h.length() > 1) {
                h.append(',');
            }
            long end = at + it.byteCount();
            h.append('"').append(Json.escape(it.name())).append("\":{\"dtype\":\"").append(it.dtype()).append("\",\"shape\":[");
            for (int i = 0; i < it.shape().length; i++) {
                h.append(i == 0 ? "" : ",").append(it.shape()[i]);
            }
            h.append("],\"data_offsets\":[").append(at).append(',').append(end).append("]}");
            at = end;
        }
        h.append('}');
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(header);
            for (Item it : items) {
                CountingStream c = new CountingStream(out);
                it.bytes().writeTo(c);
                if (c.count != it.byteCount()) {
                    throw new IOException("tensor " + Json.quote(it.name()) + " wrote " + c.count + " bytes, not " + it.byteCount());
                }
            }
        };
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
