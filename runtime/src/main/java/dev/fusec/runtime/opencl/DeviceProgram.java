package dev.fusec.runtime.opencl;

import dev.fusec.runtime.Program;
import java.util.List;

/**
 * What a {@link DeviceExecutor} runs: a {@link Program} (values, steps, which value each step reads
 * and writes, all sizes concrete) and, per step, the kernel launches that compute it, in order.
 * Built by the compiler for one binding of the symbolic dims; like {@link Program}, it needs no IR.
 *
 * @param launches per step of the program, its launches
 * @param scratch  floats of each scratch buffer a launch may name (per-chunk partial sums)
 */
public record DeviceProgram(Program program, List<List<Launch>> launches, long[] scratch) {
    public DeviceProgram {
        launches = List.copyOf(launches.stream().map(List::copyOf).toList());
        scratch = scratch.clone();
        if (launches.size() != program.steps().size()) {
            throw new IllegalArgumentException(launches.size() + " launch lists for " + program.steps().size() + " steps");
        }
    }

    /**
     * One kernel launch: the kernel function's name, its arguments in order, the global size and
     * the work-group size (null: the driver's choice) per dimension. A launch whose global size is
     * zero in some dimension is skipped (OpenCL 1.2 refuses it).
     */
    public record Launch(String kernel, List<Arg> args, long[] global, long[] local) {
        public Launch {
            args = List.copyOf(args);
            global = global.clone();
            local = local == null ? null : local.clone();
            if (global.length < 1 || global.length > 3 || local != null && local.length != global.length) {
                throw new IllegalArgumentException("a launch has 1 to 3 dimensions, its local size as many");
            }
        }
    }

    /** A kernel argument: a value's buffer, a scratch buffer, or an int. */
    public sealed interface Arg {
        record Value(int id) implements Arg {}

        record Scratch(int index) implements Arg {}

        record Int(int value) implements Arg {}
    }
}
