package dev.fusec.api;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.SourcePos;
import dev.fusec.runtime.Npy;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A dense float32 tensor in C order: a shape and a {@code float[]}. {@link #of} wraps the caller's
 * array without copying; fusec never writes into an input's array, and takes an array passed again
 * as unchanged (its packed form, for a weight, is reused), so refill an activation's array freely but
 * give a changed weight a new array. Tensors that fusec returns are the caller's to keep.
 */
public final class Tensor {
    private final dev.fusec.runtime.Tensor t;

    private Tensor(dev.fusec.runtime.Tensor t) {
        this.t = t;
    }

    /** Wraps {@code data} (not copied) as a tensor of {@code shape}; the element counts must agree. */
    public static Tensor of(float[] data, int... shape) {
        try {
            return new Tensor(new dev.fusec.runtime.Tensor(shape, data));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Tensor.of: " + e.getMessage(), e);
        }
    }

    /** A tensor of zeros. */
    public static Tensor zeros(int... shape) {
        return new Tensor(dev.fusec.runtime.Tensor.zeros(shape));
    }

    /**
     * Copies {@code shape}'s element count of floats, in the platform's byte order, from the start of
     * {@code segment} (off-heap memory, a mapped file, another library's buffer).
     */
    public static Tensor copyOf(MemorySegment segment, int... shape) {
        long n = dev.fusec.runtime.Tensor.elementCount(shape);
        if (n * Float.BYTES > segment.byteSize()) {
            throw new IllegalArgumentException("Tensor.copyOf: shape " + Arrays.toString(shape) + " needs " + n * Float.BYTES
                    + " bytes, the segment has " + segment.byteSize());
        }
        Tensor out = zeros(shape);
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, out.t.data(), 0, (int) n);
        return out;
    }

    /** Reads a {@code .npy} file (float32 or float64, C order). */
    public static Tensor readNpy(Path file) {
        SourcePos where = SourcePos.startOf(file.toString());
        try {
            return new Tensor(Npy.read(file));
        } catch (NoSuchFileException e) {
            throw new FusecException(new CompileError(where, "no such file"));
        } catch (IOException e) {
            throw new FusecException(new CompileError(where, "cannot read: " + e.getMessage()));
        } catch (Npy.NpyException e) {
            throw new FusecException(new CompileError(where, e.getMessage()));
        }
    }

    /**
     * Writes this tensor as a float32 {@code .npy} file: a regular file is replaced only once the new
     * one is whole, a symbolic link is written through, a FIFO or device written in place.
     */
    public void writeNpy(Path file) {
        try {
            Npy.write(file, t);
        } catch (IOException e) {
            throw new FusecException(new CompileError(SourcePos.startOf(file.toString()), "cannot write: " + e.getMessage()));
        }
    }

    /** Writes this tensor as a float32 {@code .npy} stream. */
    public void writeNpy(java.io.OutputStream out) throws IOException {
        Npy.content(t).writeTo(out);
    }

    /** Copies the elements into {@code segment} in the platform's byte order. */
    public void copyTo(MemorySegment segment) {
        if ((long) t.size() * Float.BYTES > segment.byteSize()) {
            throw new IllegalArgumentException("Tensor.copyTo: needs " + (long) t.size() * Float.BYTES
                    + " bytes, the segment has " + segment.byteSize());
        }
        MemorySegment.copy(t.data(), 0, segment, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, t.size());
    }

    public int[] shape() {
        return t.shape();
    }

    public int rank() {
        return t.rank();
    }

    /** Number of elements. */
    public int size() {
        return t.size();
    }

    /** The elements in C order: the array itself, not a copy. */
    public float[] data() {
        return t.data();
    }

    /** The element at {@code index} (one coordinate per dim). */
    public float get(int... index) {
        int[] shape = t.shape();
        if (index.length != shape.length) {
            throw new IllegalArgumentException("get: " + index.length + " coordinate(s) for a rank-" + shape.length + " tensor");
        }
        int flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("get: coordinate " + i + " is " + index[i] + ", dim is " + shape[i]);
            }
            flat = flat * shape[i] + index[i];
        }
        return t.data()[flat];
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(t.shape());
    }

    dev.fusec.runtime.Tensor internal() {
        return t;
    }

    static Tensor wrap(dev.fusec.runtime.Tensor t) {
        return new Tensor(t);
    }
}
