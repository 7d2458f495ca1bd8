package dev.fusec.ir;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** A tensor shape: dims from outermost to innermost, printed {@code [T, 4096]}. */
public record Shape(List<Dim> dims) {
    /**
     * Most dims a written shape may have. Shapes of FFN blocks have 1 to 4; the bound keeps
     * shape arithmetic linear on hostile input (rank 80000 took a minute to check).
     */
    public static final int MAX_RANK = 64;
    /**
     * Most elements one value may have: one Java array (and so every index into it in generated
     * code fits an int). Checked for the static part of every shape by {@link ShapeInference}, and
     * for the whole count once the dims are bound.
     */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    public Shape {
        dims = List.copyOf(dims);
    }

    public static Shape of(Dim... dims) {
        return new Shape(List.of(dims));
    }

    public static Shape ofStatic(long... dims) {
        return new Shape(java.util.Arrays.stream(dims).mapToObj(Dim::of).toList());
    }

    public int rank() {
        return dims.size();
    }

    public Dim dim(int i) {
        return dims.get(i);
    }

    public Dim last() {
        return dims.get(dims.size() - 1);
    }

    /** Resolves a possibly negative axis (-1 is the last); empty when out of range. */
    public Optional<Integer> axis(long axis) {
        long a = axis < 0 ? axis + rank() : axis;
        return a >= 0 && a < rank() ? Optional.of((int) a) : Optional.empty();
    }

    public Shape withDim(int axis, Dim d) {
        var copy = new java.util.ArrayList<>(dims);
        copy.set(axis, d);
        return new Shape(copy);
    }

    /** Number of elements as a monomial, or empty on overflow. */
    public Optional<Dim> elementCount() {
        Dim n = Dim.of(1);
        for (Dim d : dims) {
            Optional<Dim> p = n.times(d);
            if (p.isEmpty()) {
                return Optional.empty();
            }
            n = p.get();
        }
        return Optional.of(n);
    }

    /** Concrete extents under a binding; empty if a symbol is unbound or a dim overflows an int. */
    public Optional<int[]> evaluate(Map<String, Long> binding) {
        int[] out = new int[rank()];
        for (int i = 0; i < rank(); i++) {
            Optional<Long> v = dims.get(i).evaluate(binding);
            if (v.isEmpty() || v.get() > Integer.MAX_VALUE) {
                return Optional.empty();
            }
            out[i] = (int) (long) v.get();
        }
        return Optional.of(out);
    }

    @Override
    public String toString() {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
