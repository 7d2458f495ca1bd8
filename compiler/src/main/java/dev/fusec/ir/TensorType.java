package dev.fusec.ir;

/** Element type and shape of a value, printed {@code f32[T, 4096]}. */
public record TensorType(DType dtype, Shape shape) {
    public TensorType withShape(Shape s) {
        return new TensorType(dtype, s);
    }

    @Override
    public String toString() {
        return dtype + shape.toString();
    }
}
