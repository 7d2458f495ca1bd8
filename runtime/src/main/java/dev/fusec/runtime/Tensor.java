package dev.fusec.runtime;

import java.util.Arrays;

/**
 * A dense float32 tensor in C order. The data array is shared, not copied: tensors are values
 * handed between kernels, and a kernel that writes one owns it.
 */
public final class Tensor {
    private final int[] shape;
    private final float[] data;

    public Tensor(int[] shape, float[] data) {
        this.shape = shape.clone();
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, got " + data.length);
        }
        this.data = data;
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

    public float[] data() {
        return data;
    }

    public int size() {
        return data.length;
    }

    /** The same data viewed with another shape of equal element count. */
    public Tensor reshaped(int... newShape) {
        return new Tensor(newShape, data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
