package dev.fusec.onnx;

import java.nio.charset.StandardCharsets;

/**
 * Protocol Buffers wire format, read side: walks the fields of one message in a byte range. Enough to
 * pick fields out of an ONNX model (node op types, initializer names); knows no schema, and skips
 * what it is not asked for by wire type. Groups (wire types 3 and 4, long deprecated) are refused.
 */
final class ProtoReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    private int field;
    private int wireType;
    private long varint;
    private int valueStart;
    private int valueEnd;

    ProtoReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private ProtoReader(byte[] buf, int start, int end) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) {
            return false;
        }
        long tag = readVarint();
        field = (int) (tag >>> 3);
        wireType = (int) (tag & 7);
        switch (wireType) {
            case ProtoWriter.VARINT -> varint = readVarint();
            case ProtoWriter.FIXED64 -> skip(8);
            case ProtoWriter.FIXED32 -> skip(4);
            case ProtoWriter.LEN -> {
                long len = readVarint();
                if (len < 0 || len > end - pos) {
                    throw new IllegalArgumentException("length " + len + " at byte " + pos + " runs past the message");
                }
                skip((int) len);
                return true;
            }
            default -> throw new IllegalArgumentException("unsupported wire type " + wireType + " at byte " + pos);
        }
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    /** The current varint field's value. */
    long varint() {
        expect(ProtoWriter.VARINT);
        return varint;
    }

    /** The current length-delimited field as a nested message. */
    ProtoReader message() {
        expect(ProtoWriter.LEN);
        return new ProtoReader(buf, valueStart, valueEnd);
    }

    /** The current length-delimited field as UTF-8 text. */
    String string() {
        expect(ProtoWriter.LEN);
        return new String(buf, valueStart, valueEnd - valueStart, StandardCharsets.UTF_8);
    }

    private void expect(int type) {
        if (wireType != type) {
            throw new IllegalStateException("field " + field + " has wire type " + wireType + ", not " + type);
        }
    }

    private void skip(int n) {
        if (n > end - pos) {
            throw new IllegalArgumentException("field " + field + " runs past the message at byte " + pos);
        }
        valueStart = pos;
        pos += n;
        valueEnd = pos;
    }

    private long readVarint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new IllegalArgumentException("truncated varint at byte " + pos);
            }
            int b = buf[pos++] & 0xFF;
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
    }
}
