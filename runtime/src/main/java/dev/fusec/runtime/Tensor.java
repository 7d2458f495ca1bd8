package dev.fusec.runtime;

import java.util.Arrays;

/**
 * A dense float32 tensor in C order. The data array is shared, not copied: tensors are values
 * handed between kernels, and a kernel that writes one owns it.
 *
 * <p>A tensor may instead be a checkpoint's weight as stored ({@link #stored(StoredTensor)}: mapped,
 * f32, bf16 or f16): kernels that pack weights read it in place at its own width, and {@link #data}
 * makes (once) the float32 copy that other readers need.
 */
public final class Tensor {
    private final int[] shape;
    private volatile float[] data;
    private final StoredTensor stored;

    public Tensor(int[] shape, float[] data) {
        this.shape = shape.clone();
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, got " + data.length);
        }
        this.data = data;
        this.stored = null;
    }

    private Tensor(StoredTensor s) {
        this.shape = s.shape();
        if (s.elementCount() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + s.name() + " has " + s.elementCount() + " elements, more than one array holds");
        }
        this.stored = s;
    }

    /** A checkpoint's tensor, read in place (see the class comment). */
    public static Tensor stored(StoredTensor s) {
        return new Tensor(s);
    }

    /** The checkpoint tensor this one reads in place, if it is one. */
    public java.util.Optional<StoredTensor> stored() {
        return java.util.Optional.ofNullable(stored);
    }

    public static Tensor zeros(int... shape) {
        long n = elementCount(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than one array holds");
        }
        return new Tensor(shape, new float[(int) n]);
    }

    /** Product of extents; throws on negative extents or overflow. */
    public static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative extent in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** The elements; for a stored tensor, a float32 copy made on the first call and kept. */
    public float[] data() {
        float[] d = data;
        if (d == null) {
            synchronized (this) {
                if (data == null) {
                    data = stored.widen();
                }
                d = data;
            }
        }
        return d;
    }

    public int size() {
        return stored != null ? (int) stored.elementCount() : data.length;
    }

    /** The same data viewed with another shape of equal element count. */
    public Tensor reshaped(int... newShape) {
        return new Tensor(newShape, data());
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
