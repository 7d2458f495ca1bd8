package dev.fusec.codegen.opencl;

import java.util.List;
import java.util.Map;

/**
 * How one node runs on the device at a binding of the symbolic dims: its launches in order, and
 * the scratch buffers (floats) they share. A generator returns one per kernel it writes; matmul
 * plans pick the kernel variant for the number of rows they are given.
 */
interface NodePlan {
    List<Launch> launches(Map<String, Long> binding);

    /** Floats of each scratch buffer, at this binding; most nodes need none. */
    default List<Long> scratch(Map<String, Long> binding) {
        return List.of();
    }

    /** A kernel function over {@code global} work-items in groups of {@code local}; every symbol follows the args. */
    record Launch(String kernel, List<Arg> args, long[] global, long[] local) {}

    /** An argument: the node's i-th operand or result buffer, or its i-th scratch buffer. */
    sealed interface Arg {
        record Operand(int index) implements Arg {}

        record Result(int index) implements Arg {}

        record Scratch(int index) implements Arg {}
    }

    /** {@code n} rounded up to a multiple of {@code m}. */
    static long roundUp(long n, long m) {
        return (n + m - 1) / m * m;
    }
}
