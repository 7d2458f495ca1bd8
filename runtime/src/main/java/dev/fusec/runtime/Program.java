package dev.fusec.runtime;

import java.util.List;

/**
 * What the executor runs, with every size concrete: values (graph inputs, intermediates, outputs,
 * and views of other values) and steps (one kernel call each). Built by the compiler from a graph and
 * a binding of its symbolic dims; the runtime needs no IR to run it.
 */
public record Program(List<Value> values, List<Step> steps, int[] inputs, int[] outputs, int[] sym) {
    public enum Kind { INPUT, INTERMEDIATE, OUTPUT, VIEW }

    /**
     * One tensor. {@code viewOf} names the value a VIEW shares its array with (reshape), else -1;
     * {@code rounding} is null for f32, or the narrower type results are rounded to after each write.
     */
    public record Value(String label, int size, Kind kind, int viewOf, String rounding) {}

    /**
     * One kernel call: {@code args} are value ids, the first {@code operandCount} read, the rest written.
     * {@code flops} and {@code bytes} are counted from the shapes, for statistics.
     */
    public record Step(String label, int kernel, int[] args, int operandCount, long flops, long bytes) {}

    public Program {
        values = List.copyOf(values);
        steps = List.copyOf(steps);
    }
}
