package dev.fusec.api;

import java.util.List;

/**
 * A graph input or output as declared: its name, dtype ({@code f32}, {@code bf16}, {@code f16},
 * {@code f8e4m3}) and dims as written ({@code "T"}, {@code "4096"}, {@code "S*B"}).
 */
public record TensorSpec(String name, String dtype, List<String> dims) {
    public TensorSpec {
        dims = List.copyOf(dims);
    }

    @Override
    public String toString() {
        return name + ": " + dtype + "[" + String.join(", ", dims) + "]";
    }
}
