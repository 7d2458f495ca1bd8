package dev.fusec.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Protocol Buffers wire format, write side: one message as a sequence of {@code (tag, value)} fields,
 * tag = field number << 3 | wire type. Varints carry 7 bits per byte, low group first, high bit set on
 * every byte but the last; negative int64 values take ten bytes (two's complement). Fixed32/64 are
 * little-endian. Length-delimited fields (strings, bytes, nested messages) are a varint length and the
 * payload.
 *
 * <p>Not a protobuf library: no schema, no reflection, only what an ONNX model needs. Large payloads
 * (weights) and nested messages are kept by reference, not copied, so a model is copied once, when
 * it is finally written out.
 */
final class ProtoWriter {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    /** Finished pieces, in order; {@code current} collects small writes until a large piece arrives. */
    private final List<byte[]> pieces = new ArrayList<>();
    private ByteArrayOutputStream current = new ByteArrayOutputStream();
    private long size;

    /** Bytes written so far. */
    long size() {
        return size;
    }

    ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    ProtoWriter fixed32(int field, int bits) {
        tag(field, FIXED32);
        for (int i = 0; i < 4; i++) {
            raw(bits >>> (8 * i));
        }
        return this;
    }

    ProtoWriter fixed64(int field, long bits) {
        tag(field, FIXED64);
        for (int i = 0; i < 8; i++) {
            raw((int) (bits >>> (8 * i)));
        }
        return this;
    }

    /** A float field: fixed32 holding the IEEE 754 bits. */
    ProtoWriter float32(int field, float value) {
        return fixed32(field, Float.floatToRawIntBits(value));
    }

    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A length-delimited field; {@code payload} is kept by reference and must not change afterwards. */
    ProtoWriter bytes(int field, byte[] payload) {
        tag(field, LEN);
        rawVarint(payload.length);
        if (payload.length < 4096) {
            current.writeBytes(payload);
            size += payload.length;
        } else {
            piece(payload, payload.length);
        }
        return this;
    }

    /** A nested message; {@code child} is taken over by reference and must not be written to again. */
    ProtoWriter message(int field, ProtoWriter child) {
        tag(field, LEN);
        rawVarint(child.size);
        child.flush();
        for (byte[] p : child.pieces) {
            piece(p, p.length);
        }
        return this;
    }

    /** The message's bytes; fails if they would not fit one Java array (2 GiB, also protobuf's limit). */
    byte[] toByteArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("message of " + size + " bytes exceeds protobuf's 2 GiB limit");
        }
        flush();
        byte[] out = new byte[(int) size];
        int at = 0;
        for (byte[] p : pieces) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    void writeTo(OutputStream out) throws IOException {
        flush();
        for (byte[] p : pieces) {
            out.write(p);
        }
    }

    private void tag(int field, int wireType) {
        if (field < 1 || field > (1 << 29) - 1) {
            throw new IllegalArgumentException("field number out of range: " + field);
        }
        rawVarint((long) field << 3 | wireType);
    }

    private void rawVarint(long value) {
        while ((value & ~0x7FL) != 0) {
            raw((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        raw((int) value);
    }

    private void raw(int b) {
        current.write(b);
        size++;
    }

    private void piece(byte[] p, long length) {
        flush();
        pieces.add(p);
        size += length;
    }

    private void flush() {
        if (current.size() > 0) {
            pieces.add(current.toByteArray());
            current = new ByteArrayOutputStream();
        }
    }
}
