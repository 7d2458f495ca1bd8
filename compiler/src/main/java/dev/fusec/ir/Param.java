package dev.fusec.ir;

import java.util.Optional;

/**
 * A graph input or declared output: {@code name: f32[T, 4096]}; an input may be bound to a checkpoint
 * tensor, {@code w: f32[176, 64] = weight("model.layers.{layer}.mlp.up_proj.weight")}.
 */
public record Param(String name, TensorType type, SourcePos pos, Optional<WeightRef> weight) {
    public Param(String name, TensorType type, SourcePos pos) {
        this(name, type, pos, Optional.empty());
    }

    public Param withoutPosition() {
        return new Param(name, type, SourcePos.NONE, weight);
    }
}
