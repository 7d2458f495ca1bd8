package dev.fusec.runtime;

/**
 * A generated, shape-specialised kernel. Static extents are constants in its code; symbolic ones
 * arrive in {@code sym} (the graph's symbols in a fixed order). {@code args} holds the operands then
 * the results; arrays may be longer than the extents (buffers are reused), never shorter.
 */
public interface Kernel {
    void run(float[][] args, int[] sym, Parallel par);

    /**
     * Which operands the kernel wants in a prepared layout (packed weight panels), or an empty array.
     * {@link #prepare} is called once per distinct array, and the result is passed in its place.
     */
    default int[] preparedOperands() {
        return new int[0];
    }

    default float[] prepare(int operand, float[] data, Parallel par) {
        return data;
    }
}
