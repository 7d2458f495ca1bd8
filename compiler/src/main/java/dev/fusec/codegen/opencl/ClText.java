package dev.fusec.codegen.opencl;

import dev.fusec.ir.Dim;
import dev.fusec.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenCL C spellings of the generators' numbers: float literals, and extents, where a static dim is
 * a literal and a symbolic one a product of the kernel arguments {@code sym0}, {@code sym1}, ...
 * (the graph's symbols in sorted order). Only digits, these names and operators reach the source.
 */
record ClText(List<String> symbols) {
    /** A float literal: {@code 0.5f}, {@code 1.0E-4f}, {@code INFINITY}, {@code -INFINITY}. */
    static String floatLit(double v) {
        float f = (float) v;
        if (Float.isInfinite(f)) {
            return f > 0 ? "INFINITY" : "(-INFINITY)";
        }
        String s = Float.toString(f) + "f";
        return f < 0 ? "(" + s + ")" : s;
    }

    String of(Dim d) {
        if (d.isStatic()) {
            return Long.toString(d.value());
        }
        List<String> parts = new ArrayList<>();
        if (d.coeff() != 1) {
            parts.add(Long.toString(d.coeff()));
        }
        for (String s : d.symbols()) {
            parts.add("sym" + symbols.indexOf(s));
        }
        return parts.size() == 1 ? parts.getFirst() : "(" + String.join(" * ", parts) + ")";
    }

    /** The product of dims {@code [from, to)} of a shape, as an expression. */
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

    /** The kernel parameters every kernel ends with: one int per symbol of the graph. */
    String symbolParams() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < symbols.size(); i++) {
            sb.append(", const int sym").append(i);
        }
        return sb.toString();
    }
}
