package dev.fusec.ir;

/** A graph input or declared output: {@code name: f32[T, 4096]}. */
public record Param(String name, TensorType type, SourcePos pos) {
    public Param withoutPosition() {
        return new Param(name, type, SourcePos.NONE);
    }
}
