package dev.fusec.codegen;

import dev.fusec.ir.Dim;
import dev.fusec.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Java expressions for extents: a static dim is a literal, a symbolic one reads {@code sym[i]},
 * the run-time value of the graph's i-th symbol. Only digits and {@code sym[...]} reach the source.
 */
record Extents(List<String> symbols) {
    String of(Dim d) {
        if (d.isStatic()) {
            return Long.toString(d.value());
        }
        List<String> parts = new ArrayList<>();
        if (d.coeff() != 1) {
            parts.add(Long.toString(d.coeff()));
        }
        for (String s : d.symbols()) {
            parts.add("sym[" + symbols.indexOf(s) + "]");
        }
        return "(" + String.join(" * ", parts) + ")";
    }

    /** Product of dims {@code [from, to)} of a shape, as an expression. */
    String product(Shape s, int from, int to) {
        Dim p = Dim.of(1);
        for (int i = from; i < to; i++) {
            p = p.times(s.dim(i)).orElseThrow();
        }
        return of(p);
    }

    String count(Shape s) {
        return product(s, 0, s.rank());
    }
}
