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
     * The executor passes {@link #prepare}'s result in each such operand's place, and prepares it
     * again only when one of the arrays it is made from ({@link #preparedFrom}) changes.
     */
    default int[] preparedOperands() {
        return new int[0];
    }

    /**
     * The operands whose arrays the prepared form of {@code operand} is made from: the operand itself,
     * or more (the gate and the up weight of a dual matmul are packed into one array).
     */
    default int[] preparedFrom(int operand) {
        return new int[] {operand};
    }

    /** The prepared form of {@code operand}, from the operand arrays as the caller gave them. */
    default float[] prepare(int operand, float[][] operands, Parallel par) {
        return operands[operand];
    }

    /**
     * As {@link #prepare(int, float[][], Parallel)}, where an operand may come as a checkpoint's tensor
     * ({@code stored[i]} not null, and then {@code operands[i]} may be null): kernels that pack
     * weights read it in place. Only operands in {@link #preparedFrom} are ever passed this way.
     */
    default float[] prepare(int operand, float[][] operands, StoredTensor[] stored, Parallel par) {
        return prepare(operand, operands, par);
    }
}
