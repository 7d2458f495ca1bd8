package dev.fusec.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor as a checkpoint stores it: little-endian elements of {@code dtype} in C order, in a
 * segment that is usually a slice of a memory-mapped file. Nothing is copied to make one; kernels
 * read it (packing it into their panels at its own width, 16-bit kept 16-bit), and {@link #widen}
 * makes a float32 copy only for the few consumers that need one (the interpreter, biases).
 *
 * @param name  the checkpoint's name for it (for messages)
 * @param dtype F32, BF16 or F16: the element types fusec computes with
 * @param shape extents, outermost first
 * @param data  exactly {@code elementCount * dtype.bytes()} bytes
 */
public record StoredTensor(String name, SafeTensors.DType dtype, int[] shape, MemorySegment data) {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public StoredTensor {
        shape = shape.clone();
        if (dtype != SafeTensors.DType.F32 && dtype != SafeTensors.DType.BF16 && dtype != SafeTensors.DType.F16) {
            throw new IllegalArgumentException("tensor " + Json.quote(name) + " is " + dtype + "; fusec reads F32, BF16 and F16");
        }
        long n = Tensor.elementCount(shape);
        if (n * dtype.bytes() != data.byteSize()) {
            throw new IllegalArgumentException("tensor " + Json.quote(name) + " of shape " + Arrays.toString(shape) + " needs "
                    + n * dtype.bytes() + " bytes, its segment has " + data.byteSize());
        }
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return data.byteSize() / dtype.bytes();
    }

    /** Element {@code i} (C order) as a float: exact for all three types. */
    public float get(long i) {
        return switch (dtype) {
            case F32 -> data.get(F32, i * 4);
            case BF16 -> Float.intBitsToFloat((data.get(U16, i * 2) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(data.get(U16, i * 2));
            default -> throw new IllegalStateException(dtype.toString());
        };
    }

    /** The raw 16 bits of element {@code i} of a BF16 or F16 tensor. */
    public short bits(long i) {
        return data.get(U16, i * 2);
    }

    /** Elements [from, from + n) into {@code dst} at {@code at}, as floats. */
    public void copyTo(long from, float[] dst, int at, int n) {
        if (dtype == SafeTensors.DType.F32) {
            MemorySegment.copy(data, F32, from * 4, dst, at, n);
            return;
        }
        for (int j = 0; j < n; j++) {
            dst[at + j] = get(from + j);
        }
    }

    /** A float32 copy of every element (on the heap: for small tensors and the reference interpreter). */
    public float[] widen() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + Json.quote(name) + " has " + n + " elements, more than one array holds");
        }
        float[] out = new float[(int) n];
        copyTo(0, out, 0, (int) n);
        return out;
    }

    /** Entry {@code index} of the leading axis: shape without its first extent, the same bytes (no copy). */
    public StoredTensor slice(int index) {
        if (shape.length == 0 || index < 0 || index >= shape[0]) {
            throw new IllegalArgumentException("tensor " + Json.quote(name) + " of shape " + Arrays.toString(shape)
                    + " has no entry " + index + " on its first axis");
        }
        int[] rest = Arrays.copyOfRange(shape, 1, shape.length);
        long bytes = Tensor.elementCount(rest) * dtype.bytes();
        return new StoredTensor(name + "[" + index + "]", dtype, rest, data.asSlice(index * bytes, bytes));
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return name + ": " + dtype + Arrays.toString(shape);
    }
}
