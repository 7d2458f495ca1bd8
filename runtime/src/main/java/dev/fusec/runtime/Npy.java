package dev.fusec.runtime;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * NumPy {@code .npy} files (format versions 1 to 3): reads little-endian float32 or float64 in C
 * order, writes float32 version 1.0. Anything else is a {@link NpyException} naming the problem and,
 * for a bad header, the field.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {}

    /** A malformed or unsupported .npy file. */
    public static final class NpyException extends Exception {
        public NpyException(String message) {
            super(message);
        }
    }

    /** Most bytes a header may have: NumPy's own limit for reading untrusted files is 10,000. */
    static final int MAX_HEADER = 1 << 16;
    /** Bytes read at a time, and the elements the data array starts with when the size is unknown. */
    private static final int CHUNK = 1 << 20;
    private static final int MIN_CAPACITY = 1 << 16;

    /**
     * Reads {@code path} ({@code -}: standard input), a FIFO or device as well as a regular file,
     * through {@link BoundedInput}: the header is read and checked first, then exactly the data it
     * announces, so no input can make the reader read more.
     */
    public static Tensor read(Path path) throws IOException, NpyException {
        try (InputStream in = new BufferedInputStream(BoundedInput.open(path), 1 << 16)) {
            return read(in);
        }
    }

    /** Reads one array from {@code in}, which is left just past its data. */
    public static Tensor read(InputStream in) throws IOException, NpyException {
        byte[] pre = in.readNBytes(8);
        if (pre.length < MAGIC.length + 2 || !Arrays.equals(pre, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new NpyException("not a NumPy .npy file (bad magic)");
        }
        int major = pre[6] & 0xff;
        int minor = pre[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpyException("unsupported .npy format version " + major + "." + minor);
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] len = in.readNBytes(lengthBytes);
        if (len.length < lengthBytes) {
            throw new NpyException("truncated .npy header");
        }
        ByteBuffer lb = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = major == 1 ? lb.getShort() & 0xffff : lb.getInt() & 0xffffffffL;
        if (headerLen > MAX_HEADER) {
            throw new NpyException("header length " + headerLen + " is over " + MAX_HEADER + " bytes");
        }
        byte[] hb = in.readNBytes((int) headerLen);
        if (hb.length < headerLen) {
            throw new NpyException("truncated .npy header");
        }
        Header h = Header.parse(new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1));
        if (h.fortranOrder()) {
            throw new NpyException("Fortran-order arrays are not supported; save with C order");
        }
        int width = switch (h.descr()) {
            case "<f4", "=f4" -> 4;
            case "<f8", "=f8" -> 8;
            default -> throw new NpyException("dtype " + quoted(h.descr()) + " is not supported; use float32 or float64 (little-endian)");
        };
        long n = 1;
        for (long d : h.shape()) {
            n = Math.multiplyExact(n, d);
            if (n > Integer.MAX_VALUE - 8) {
                throw new NpyException("'shape' " + h.shapeText() + " has more than " + (Integer.MAX_VALUE - 8)
                        + " elements, more than one array holds");
            }
        }
        int[] shape = new int[h.shape().size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = (int) (long) h.shape().get(i);
        }
        long dataBytes = n * width;
        // The header's count is a claim: the array grows as the data arrives, so a short file that
        // announces gigabytes fails as truncated having allocated about what it holds. What the stream
        // says is available is there to be read, so a regular file gets its array in one allocation.
        long present = Math.max(in.available() / width, MIN_CAPACITY);
        float[] data = new float[(int) Math.min(n, present)];
        byte[] chunk = new byte[(int) Math.min(CHUNK, dataBytes)];
        ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
        long got = 0;
        int filled = 0;
        while (got < dataBytes) {
            int want = (int) Math.min(chunk.length, dataBytes - got);
            int k = in.readNBytes(chunk, 0, want);
            got += k;
            if (k < want) {
                throw new NpyException("truncated data: expected " + dataBytes + " bytes, file has " + got);
            }
            if (filled + k / width > data.length) {
                data = Arrays.copyOf(data, (int) Math.min(n, Math.max(2L * data.length, filled + k / width)));
            }
            view.clear().limit(k);
            if (width == 4) {
                view.asFloatBuffer().get(data, filled, k / 4);
                filled += k / 4;
            } else {
                while (view.remaining() >= 8) {
                    data[filled++] = (float) view.getDouble();
                }
            }
        }
        return new Tensor(shape, data);
    }

    /**
     * The header dictionary, read to the letter of the format: a Python dict literal with exactly the
     * keys {@code descr} (a string), {@code fortran_order} ({@code True} or {@code False}) and
     * {@code shape} (a tuple of non-negative integers), padded with spaces and ended by a newline.
     */
    record Header(String descr, boolean fortranOrder, List<Long> shape, String shapeText) {
        private static final java.util.Set<String> KEYS = java.util.Set.of("descr", "fortran_order", "shape");

        static Header parse(String text) throws NpyException {
            HeaderReader r = new HeaderReader(text);
            java.util.Map<String, Object> fields = new java.util.HashMap<>();
            String shapeText = null;
            r.expect('{');
            while (!r.peek('}')) {
                String key = r.string("a key");
                if (!KEYS.contains(key)) {
                    throw new NpyException("header key " + quoted(key) + " is not one of descr, fortran_order, shape");
                }
                r.expect(':');
                int start = r.pos;
                Object value = switch (key) {
                    case "descr" -> r.string("'descr'");
                    case "fortran_order" -> r.bool();
                    default -> r.shape();
                };
                if (key.equals("shape")) {
                    shapeText = text.substring(start, r.pos).trim();
                }
                if (fields.put(key, value) != null) {
                    throw new NpyException("header gives '" + key + "' twice");
                }
                if (!r.peek('}')) {
                    r.expect(',');
                }
            }
            r.expect('}');
            r.end();
            for (String k : List.of("descr", "fortran_order", "shape")) {
                if (!fields.containsKey(k)) {
                    throw new NpyException("header has no '" + k + "'");
                }
            }
            @SuppressWarnings("unchecked")
            List<Long> shape = (List<Long>) fields.get("shape");
            return new Header((String) fields.get("descr"), (Boolean) fields.get("fortran_order"), shape, shapeText);
        }
    }

    /**
     * Header text as an error message shows it: quoted, on one line (control and line-separator
     * characters escaped) and at most 40 characters, since a hostile header is up to 64 KiB of anything.
     */
    static String quoted(String text) {
        StringBuilder sb = new StringBuilder("'");
        text.codePoints().limit(40).forEach(cp -> {
            int type = Character.getType(cp);
            if (Character.isISOControl(cp) || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
                sb.append(cp <= 0xff ? String.format("\\x%02x", cp) : String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append(text.codePointCount(0, text.length()) > 40 ? "'..." : "'").toString();
    }

    /** A cursor over the header's text: the few Python literals a header may hold. */
    private static final class HeaderReader {
        private final String s;
        int pos;

        HeaderReader(String s) {
            this.s = s;
        }

        private void space() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
                pos++;
            }
        }

        boolean peek(char c) {
            space();
            return pos < s.length() && s.charAt(pos) == c;
        }

        void expect(char c) throws NpyException {
            if (!peek(c)) {
                throw new NpyException("bad header: expected '" + c + "' at byte " + pos);
            }
            pos++;
        }

        String string(String what) throws NpyException {
            space();
            char q = pos < s.length() ? s.charAt(pos) : 0;
            int close = q == '\'' || q == '"' ? s.indexOf(q, pos + 1) : -1;
            if (close < 0) {
                throw new NpyException("bad header: expected a quoted string for " + what + " at byte " + pos);
            }
            String v = s.substring(pos + 1, close);
            pos = close + 1;
            return v;
        }

        boolean bool() throws NpyException {
            space();
            for (String w : List.of("True", "False")) {
                if (s.startsWith(w, pos)) {
                    pos += w.length();
                    return w.equals("True");
                }
            }
            throw new NpyException("bad 'fortran_order': expected True or False at byte " + pos);
        }

        List<Long> shape() throws NpyException {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (!peek(')')) {
                int start = pos;
                while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
                    pos++;
                }
                String digits = s.substring(start, pos);
                if (pos < s.length() && s.charAt(pos) == 'L') {
                    pos++; // Python 2's long suffix, as old NumPy wrote it
                }
                if (digits.isEmpty() || digits.length() > 10 || Long.parseLong(digits) > Integer.MAX_VALUE) {
                    int end = pos;
                    while (end < s.length() && ",) ".indexOf(s.charAt(end)) < 0) {
                        end++;
                    }
                    throw new NpyException("bad 'shape': extent " + quoted(s.substring(start, Math.min(s.length(), Math.max(end, start + 1))))
                            + " is not an integer from 0 to " + Integer.MAX_VALUE);
                }
                dims.add(Long.parseLong(digits));
                if (!peek(')')) {
                    expect(',');
                }
            }
            expect(')');
            if (dims.size() == 1 && !s.substring(0, pos).replace(" ", "").endsWith(",)")) {
                throw new NpyException("bad 'shape': a one-element tuple is written (n,)");
            }
            return dims;
        }

        void end() throws NpyException {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n')) {
                pos++;
            }
            if (pos != s.length()) {
                throw new NpyException("bad header: unexpected text after the dictionary at byte " + pos);
            }
        }
    }

    /** Writes float32 C-order version 1.0 through {@link OutputFiles} (atomically, links followed). */
    public static void write(Path path, Tensor t) throws IOException {
        OutputFiles.write(path, content(t));
    }

    /** The bytes of {@code t} as a float32 C-order version 1.0 file. */
    public static OutputFiles.Content content(Tensor t) {
        StringBuilder shape = new StringBuilder("(");
        for (int d : t.shape()) {
            shape.append(d).append(", ");
        }
        if (t.rank() > 1) {
            shape.setLength(shape.length() - 2);
        } else if (t.rank() == 1) {
            shape.setLength(shape.length() - 1);
        }
        shape.append(")");
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 4 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        return out -> {
            ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            pre.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
            out.write(pre.array());
            out.write(header.getBytes(StandardCharsets.ISO_8859_1));
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            float[] data = t.data();
            for (int i = 0; i < data.length; ) {
                buf.clear();
                int k = Math.min(buf.capacity() / 4, data.length - i);
                buf.asFloatBuffer().put(data, i, k);
                out.write(buf.array(), 0, k * 4);
                i += k;
            }
        };
    }
}
