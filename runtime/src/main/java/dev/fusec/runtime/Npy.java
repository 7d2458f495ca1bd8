package dev.fusec.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format versions 1 to 3): reads little-endian float32 or float64 in C
 * order, writes float32 version 1.0. Anything else is a {@link NpyException} naming the problem.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** A malformed or unsupported .npy file. */
    public static final class NpyException extends Exception {
        public NpyException(String message) {
            super(message);
        }
    }

    public static Tensor read(Path path) throws IOException, NpyException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, head);
            head.flip();
            if (head.remaining() < 10 || !startsWithMagic(head)) {
                throw new NpyException("not a NumPy .npy file (bad magic)");
            }
            int major = head.get(6) & 0xff;
            long headerLen;
            int prefix;
            if (major == 1) {
                headerLen = head.getShort(8) & 0xffff;
                prefix = 10;
            } else if (major == 2 || major == 3) {
                if (head.limit() < 12) {
                    throw new NpyException("truncated .npy header");
                }
                headerLen = head.getInt(8) & 0xffffffffL;
                prefix = 12;
            } else {
                throw new NpyException("unsupported .npy format version " + major);
            }
            if (prefix + headerLen > size || headerLen > 1 << 20) {
                throw new NpyException("truncated .npy header");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.position(prefix);
            readFully(ch, hb);
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            String descr = group(DESCR, header, "descr");
            if (!group(FORTRAN, header, "fortran_order").equals("False")) {
                throw new NpyException("Fortran-order arrays are not supported; save with C order");
            }
            int[] shape = parseShape(group(SHAPE, header, "shape"));
            int width = switch (descr) {
                case "<f4", "=f4", "float32" -> 4;
                case "<f8", "=f8", "float64" -> 8;
                default -> throw new NpyException("dtype '" + descr + "' is not supported; use float32 or float64 (little-endian)");
            };
            long n = Tensor.elementCount(shape);
            if (n > Integer.MAX_VALUE - 8) {
                throw new NpyException("array of " + n + " elements is too large");
            }
            long dataBytes = n * width;
            if (size - prefix - headerLen < dataBytes) {
                throw new NpyException("truncated data: expected " + dataBytes + " bytes, file has "
                        + (size - prefix - headerLen));
            }
            float[] data = new float[(int) n];
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            int filled = 0;
            while (filled < n) {
                chunk.clear();
                long want = Math.min(chunk.capacity(), (n - filled) * width);
                chunk.limit((int) want);
                readFully(ch, chunk);
                chunk.flip();
                if (width == 4) {
                    int k = chunk.remaining() / 4;
                    chunk.asFloatBuffer().get(data, filled, k);
                    filled += k;
                } else {
                    while (chunk.remaining() >= 8) {
                        data[filled++] = (float) chunk.getDouble();
                    }
                }
            }
            return new Tensor(shape, data);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new NpyException("bad shape: " + e.getMessage());
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

    private static boolean startsWithMagic(ByteBuffer b) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static void readFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                break;
            }
        }
    }

    private static String group(Pattern p, String header, String key) throws NpyException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new NpyException("header has no valid '" + key + "'");
        }
        return m.group(1);
    }

    private static int[] parseShape(String text) throws NpyException {
        List<Integer> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String s = part.trim();
            if (s.isEmpty()) {
                continue;
            }
            try {
                long v = Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw new NpyException("shape extent " + s + " is out of range");
                }
                dims.add((int) v);
            } catch (NumberFormatException e) {
                throw new NpyException("bad shape entry '" + s + "'");
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }
}
