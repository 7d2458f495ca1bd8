package dev.fusec.api;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The results of one {@link CompiledModel#run}: each output by name (the caller's to keep), and how
 * the run went: wall time, each kernel's time with the bytes and FLOPs it moved, planned memory.
 */
public final class Outputs {
    private final Map<String, Tensor> values;
    private final double millis;
    private final List<Step> steps;
    private final Memory memory;
    private final Map<String, Long> dims;

    /** One kernel call: its label ({@code op results @line:col}), time, and the bytes and FLOPs its shapes imply. */
    public record Step(String label, long nanos, long bytes, long flops) {}

    /**
     * The run's memory: intermediates in {@code buffers} pooled buffers of {@code pooledBytes} in all
     * (liveness-planned), and the bytes of inputs and outputs.
     */
    public record Memory(long pooledBytes, int buffers, long inputBytes, long outputBytes) {}

    Outputs(Map<String, Tensor> values, Map<String, Long> dims, double millis, List<Step> steps, Memory memory) {
        this.dims = Map.copyOf(dims);
        this.values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        this.millis = millis;
        this.steps = List.copyOf(steps);
        this.memory = memory;
    }

    /** The output {@code name}. */
    public Tensor get(String name) {
        Tensor t = values.get(name);
        if (t == null) {
            throw new NoSuchElementException("no output '" + name + "'; outputs: " + String.join(", ", values.keySet()));
        }
        return t;
    }

    /** Every output, in the graph's order. */
    public Map<String, Tensor> asMap() {
        return values;
    }

    /** The binding of the symbolic dims this run used. */
    public Map<String, Long> dims() {
        return dims;
    }

    /** Wall time of the run, milliseconds (the first run of a binding includes packing weights). */
    public double millis() {
        return millis;
    }

    /** Each kernel of the run in order; empty for {@link Mode#INTERP}. */
    public List<Step> steps() {
        return steps;
    }

    /** Planned memory; empty for {@link Mode#INTERP}. */
    public java.util.Optional<Memory> memory() {
        return java.util.Optional.ofNullable(memory);
    }
}
