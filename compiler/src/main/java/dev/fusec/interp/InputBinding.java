package dev.fusec.interp;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.runtime.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Binds a graph's symbolic dims to numbers, from {@code --dim} flags or from the shapes of given
 * inputs, and checks every input tensor against its declaration before anything runs.
 */
public final class InputBinding {
    private InputBinding() {}

    /** Largest tensor the executors allocate: one Java array. */
    public static final long MAX_ELEMENTS = dev.fusec.ir.Shape.MAX_ELEMENTS;

    /**
     * Binds dims: explicit values first, then single-symbol dims read off the given tensors.
     * Every symbol of every input must end up bound and consistent.
     */
    public static Map<String, Long> bind(Graph g, Map<String, Long> explicit, Map<String, Tensor> given) {
        TreeSet<String> known = new TreeSet<>();
        g.inputs().forEach(p -> p.type().shape().dims().forEach(d -> known.addAll(d.symbols())));
        for (String name : explicit.keySet()) {
            if (!known.contains(name)) {
                throw new CompileError(g.pos(), "--dim " + name + " names no dim of graph " + g.name() + " ("
                        + (known.isEmpty() ? "it has no symbolic dims" : "its dims: " + String.join(", ", known)) + ")");
            }
        }
        Map<String, Long> binding = new HashMap<>(explicit);
        for (Param p : g.inputs()) {
            Tensor t = given.get(p.name());
            if (t == null) {
                continue;
            }
            if (t.rank() != p.type().shape().rank()) {
                throw new CompileError(p.pos(), "input '" + p.name() + "' expects " + p.type()
                        + " but was given shape " + Arrays.toString(t.shape()));
            }
            for (int i = 0; i < t.rank(); i++) {
                Dim d = p.type().shape().dim(i);
                if (d.coeff() == 1 && d.symbols().size() == 1) {
                    // As for --dim, a symbol is at least 1: an empty array must not bind T=0.
                    if (t.dim(i) < 1 && !binding.containsKey(d.symbols().get(0))) {
                        throw new CompileError(p.pos(), "input '" + p.name() + "' expects " + p.type()
                                + " but was given shape " + Arrays.toString(t.shape()) + "; dim " + d + " must be at least 1");
                    }
                    binding.putIfAbsent(d.symbols().get(0), (long) t.dim(i));
                }
            }
        }
        TreeSet<String> unbound = new TreeSet<>();
        for (Param p : g.inputs()) {
            for (Dim d : p.type().shape().dims()) {
                d.symbols().stream().filter(s -> !binding.containsKey(s)).forEach(unbound::add);
            }
        }
        if (!unbound.isEmpty()) {
            String first = unbound.first();
            throw new CompileError(g.pos(), "dim " + first + " is not bound; pass --dim " + first + "=N");
        }
        for (Param p : g.inputs()) {
            int[] want = shapeOf(p, binding);
            Tensor t = given.get(p.name());
            if (t != null && !Arrays.equals(t.shape(), want)) {
                throw new CompileError(p.pos(), "input '" + p.name() + "' expects " + p.type() + " = "
                        + Arrays.toString(want) + " but was given shape " + Arrays.toString(t.shape()));
            }
        }
        return binding;
    }

    /** The concrete shape of a declared value; an error at its declaration if it does not fit an array. */
    public static int[] shapeOf(Param p, Map<String, Long> binding) {
        Optional<int[]> s = p.type().shape().evaluate(binding);
        long n = 1;
        boolean overflow = s.isEmpty();
        if (!overflow) {
            for (int d : s.get()) {
                n *= d;
                overflow |= n > MAX_ELEMENTS;
            }
        }
        if (overflow) {
            throw new CompileError(p.pos(), "'" + p.name() + "' of type " + p.type() + " is too large at "
                    + new java.util.TreeMap<>(binding) + " (more than " + MAX_ELEMENTS + " elements)");
        }
        return s.get();
    }

    /**
     * Parses {@code NAME=VALUE} dim flags. A malformed flag is a usage error, not bad input: it throws
     * IllegalArgumentException with a message that names the flag, and the CLI exits 2.
     */
    public static Map<String, Long> parseDims(Iterable<String> flags) {
        Map<String, Long> dims = new LinkedHashMap<>();
        for (String f : flags) {
            int eq = f.indexOf('=');
            String name = eq < 0 ? f : f.substring(0, eq);
            if (eq < 0 || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("--dim expects NAME=N, got '" + f + "'");
            }
            String value = f.substring(eq + 1);
            // ASCII digits only: Long.parseLong would also take other scripts' digits and a sign.
            if (!value.matches("[0-9]{1,19}")) {
                throw new IllegalArgumentException("--dim " + name + ": '" + value + "' is not a whole number (digits 0-9)");
            }
            long v;
            try {
                v = Long.parseLong(value);
            } catch (NumberFormatException e) {
                v = Long.MAX_VALUE;
            }
            if (v < 1 || v > MAX_ELEMENTS) {
                throw new IllegalArgumentException("--dim " + name + "=" + value + " is out of range (1.." + MAX_ELEMENTS + ")");
            }
            Long before = dims.put(name, v);
            if (before != null && before != v) {
                throw new IllegalArgumentException("--dim " + name + " is given twice, as " + before + " and " + v);
            }
        }
        return dims;
    }
}
