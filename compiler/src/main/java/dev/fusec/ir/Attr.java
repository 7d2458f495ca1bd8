package dev.fusec.ir;

import java.util.List;
import java.util.stream.Collectors;

/** An attribute value as written in the IR text: {@code 2}, {@code -7.0}, {@code true}, {@code S*B}, {@code [T, 2]}. */
public sealed interface Attr {
    record Int(long value) implements Attr {
        public String toString() { return Long.toString(value); }
    }

    record Real(double value) implements Attr {
        public String toString() { return Double.toString(value); }
    }

    /** A bare word: {@code true}, {@code false}, {@code halves}... also a single symbolic dim. */
    record Word(String value) implements Attr {
        public String toString() { return value; }
    }

    /** A symbolic product such as {@code S*B} or {@code 2*T}. */
    record DimValue(Dim value) implements Attr {
        public String toString() { return value.toString(); }
    }

    record ListOf(List<Attr> items) implements Attr {
        public ListOf {
            items = List.copyOf(items);
        }
        public String toString() {
            return items.stream().map(Attr::toString).collect(Collectors.joining(", ", "[", "]"));
        }
    }

    /** {@code name=value} at a place in the source. */
    record Named(String name, Attr value, SourcePos pos) {}
}
