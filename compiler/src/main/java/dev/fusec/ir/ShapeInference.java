package dev.fusec.ir;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Verifies a graph and infers the type of every value.
 *
 * <ol>
 *   <li>Inputs: names unique, every dim positive, and every value (inputs, results, outputs) able to
 *       fit one array: no static dim, and no product of the static dims, above {@link Shape#MAX_ELEMENTS}.</li>
 *   <li>Nodes in order: every operand defined earlier, every result new, dtypes agree, and the op's
 *       shape rule holds (symbolic dims unify by name: {@code T} matches only {@code T}).</li>
 *   <li>Outputs: defined, and the declared type equals the inferred one.</li>
 * </ol>
 * Errors point at the offending node, attribute or declaration. Passes run this after every step in tests.
 */
public final class ShapeInference {
    private final Map<String, TensorType> types = new LinkedHashMap<>();

    private ShapeInference() {}

    /** Types of all values (inputs first, then nodes' results, in definition order). */
    public static Map<String, TensorType> infer(Graph g) {
        ShapeInference si = new ShapeInference();
        si.run(g);
        return si.types;
    }

    private void run(Graph g) {
        for (Param p : g.inputs()) {
            checkDeclared(p, "input");
            if (types.put(p.name(), p.type()) != null) {
                throw new CompileError(p.pos(), "input '" + p.name() + "' is declared twice");
            }
        }
        for (Node n : g.nodes()) {
            List<TensorType> out = resultTypes(n, types);
            for (int i = 0; i < out.size(); i++) {
                fitsAnArray(out.get(i).shape(), n.pos(), "'" + n.results().get(i) + "'");
                if (types.put(n.results().get(i), out.get(i)) != null) {
                    throw new CompileError(n.pos(), "redefinition of '" + n.results().get(i) + "'");
                }
            }
        }
        Set<String> seen = new HashSet<>();
        for (Param p : g.outputs()) {
            checkDeclared(p, "output");
            if (!seen.add(p.name())) {
                throw new CompileError(p.pos(), "output '" + p.name() + "' is declared twice");
            }
            checkOutput(p, types.get(p.name()));
        }
    }

    /**
     * The types of one node's results, its operands typed by {@code types}: step 2 for a single node,
     * for callers that re-check only the nodes a rewrite made.
     */
    public static List<TensorType> resultTypes(Node n, Map<String, TensorType> types) {
        List<TensorType> in = new ArrayList<>();
        for (String o : n.op().operands()) {
            TensorType t = types.get(o);
            if (t == null) {
                throw new CompileError(n.pos(), "use of undefined value '" + o + "'");
            }
            in.add(t);
        }
        return inferNode(n, in);
    }

    /** Step 3 for one output: the declared type must be the computed one. */
    public static void checkOutput(Param p, TensorType computed) {
        if (computed == null) {
            throw new CompileError(p.pos(), "output '" + p.name() + "' is never defined");
        }
        if (!computed.equals(p.type())) {
            throw new CompileError(p.pos(), "output '" + p.name() + "' is declared " + p.type()
                    + " but the graph computes " + computed);
        }
    }

    private static void checkDeclared(Param p, String what) {
        for (Dim d : p.type().shape().dims()) {
            if (d.coeff() <= 0) {
                throw new CompileError(p.pos(), what + " '" + p.name() + "': dims must be positive, got " + p.type().shape());
            }
        }
        fitsAnArray(p.type().shape(), p.pos(), what + " '" + p.name() + "'");
    }

    /**
     * Every value is one array at run time: a static dim, or the product of the static dims, above
     * {@link Shape#MAX_ELEMENTS} can never be allocated or indexed with an int, at any binding.
     */
    private static void fitsAnArray(Shape s, SourcePos pos, String what) {
        for (Dim d : s.dims()) {
            if (d.coeff() > Shape.MAX_ELEMENTS) {
                throw new CompileError(pos, what + ": dim " + d + " of " + s + " is larger than one array holds ("
                        + Shape.MAX_ELEMENTS + " elements)");
            }
        }
        long staticPart = s.elementCount().map(Dim::coeff).orElse(Long.MAX_VALUE);
        if (staticPart > Shape.MAX_ELEMENTS) {
            throw new CompileError(pos, what + ": " + s + " has " + (staticPart == Long.MAX_VALUE ? "more than 2^63" : staticPart)
                    + " elements at the least, more than one array holds (" + Shape.MAX_ELEMENTS + ")");
        }
    }

    private static List<TensorType> inferNode(Node n, List<TensorType> in) {
        Op op = n.op();
        Check c = new Check(n);
        if (op instanceof Op.Const k) {
            return List.of(new TensorType(k.dtype(), Shape.of()));
        }
        c.sameDType(in);
        TensorType first = in.get(0);
        return switch (op) {
            case Op.MatMul mm -> List.of(first.withShape(c.matmul(in.get(0).shape(), in.get(1).shape(), mm.transposeB())));
            case Op.Linear l -> {
                Shape s = c.matmul(in.get(0).shape(), in.get(1).shape(), true);
                if (l.bias().isPresent()) {
                    c.require(in.get(2).shape().equals(Shape.of(s.last())),
                            () -> "linear bias must be " + Shape.of(s.last()) + ", got " + in.get(2).shape());
                }
                yield List.of(first.withShape(s));
            }
            case Op.Binary b -> List.of(first.withShape(c.broadcast(in.get(0).shape(), in.get(1).shape())));
            case Op.Unary u -> List.of(first);
            case Op.Swish w -> List.of(first);
            case Op.Const k -> throw new IllegalStateException("const is typed above");
            case Op.Clamp cl -> List.of(first);
            case Op.Split s -> {
                Shape x = first.shape();
                int axis = c.axis(x, s.axis());
                Dim d = x.dim(axis);
                List<TensorType> outs = new ArrayList<>();
                if (s.sizes().isEmpty()) {
                    Dim part = d.dividedBy(s.parts()).orElseThrow(() -> c.fail(
                            "split into " + s.parts() + " parts does not divide dim " + d + " of " + x));
                    for (int i = 0; i < s.parts(); i++) {
                        outs.add(first.withShape(x.withDim(axis, part)));
                    }
                } else {
                    c.require(d.isStatic(), () -> "split sizes need a static dim, but axis " + s.axis() + " of " + x + " is " + d);
                    // Summed exactly: a long sum can wrap around to the dim (sizes=[2^63-1, 2^63-1, 2, 8] on 8).
                    BigInteger sum = BigInteger.ZERO;
                    for (long size : s.sizes()) {
                        sum = sum.add(BigInteger.valueOf(size));
                        outs.add(first.withShape(x.withDim(axis, Dim.of(size))));
                    }
                    BigInteger total = sum;
                    c.require(total.equals(BigInteger.valueOf(d.value())),
                            () -> "split sizes " + s.sizes() + " sum to " + total + ", not dim " + d + " of " + x);
                }
                yield outs;
            }
            case Op.Concat cc -> {
                Shape x = first.shape();
                int axis = c.axis(x, cc.axis());
                Dim total = x.dim(axis);
                for (int i = 1; i < in.size(); i++) {
                    Shape y = in.get(i).shape();
                    c.require(y.rank() == x.rank(), () -> "concat operands differ in rank: " + x + " and " + y);
                    for (int k = 0; k < x.rank(); k++) {
                        if (k != axis) {
                            c.require(x.dim(k).equals(y.dim(k)), () -> "concat operands differ off the axis: " + x + " and " + y);
                        }
                    }
                    Dim before = total;
                    total = total.plus(y.dim(axis)).orElseThrow(() -> c.fail(
                            "concat cannot add dims " + before + " and " + y.dim(axis) + " along axis " + cc.axis()));
                }
                yield List.of(first.withShape(x.withDim(axis, total)));
            }
            case Op.Reshape r -> List.of(first.withShape(c.reshape(first.shape(), r.shape())));
            case Op.Transpose t -> {
                Shape x = first.shape();
                c.require(t.perm().size() == x.rank(), () -> "transpose perm " + t.perm() + " does not match rank " + x.rank() + " of " + x);
                List<Dim> dims = new ArrayList<>();
                for (int p : t.perm()) {
                    dims.add(x.dim(p));
                }
                yield List.of(first.withShape(new Shape(dims)));
            }
            case Op.SwiGlu s -> List.of(first.withShape(c.halve(first.shape())));
            // halve first: it rejects a 0-D input, which bias and tokenWeights cannot take the last dim of.
            case Op.BiasSwiGlu s -> {
                Shape out = c.halve(first.shape());
                c.bias(first.shape(), in.get(1).shape());
                yield List.of(first.withShape(out));
            }
            case Op.WeightedSwiGlu s -> {
                Shape out = c.halve(first.shape());
                c.tokenWeights(first.shape(), in.get(1).shape());
                yield List.of(first.withShape(out));
            }
            case Op.WeightedBiasSwiGlu s -> {
                Shape out = c.halve(first.shape());
                c.bias(first.shape(), in.get(1).shape());
                c.tokenWeights(first.shape(), in.get(2).shape());
                yield List.of(first.withShape(out));
            }
            case Op.GateUp g -> List.of(first.withShape(c.gateUp(in, g.transposeB(), 2)));
            case Op.GateUpSwiGlu g -> List.of(first.withShape(c.gateUp(in, g.transposeB(), 1)));
            case Op.SwiGluBack s -> {
                c.gradient(in.get(0).shape(), in.get(1).shape());
                yield List.of(in.get(1));
            }
            case Op.BiasSwiGluBack s -> {
                c.gradient(in.get(0).shape(), in.get(1).shape());
                c.bias(in.get(1).shape(), in.get(2).shape());
                yield List.of(in.get(1), in.get(2));
            }
            case Op.WeightedSwiGluBack s -> {
                c.gradient(in.get(0).shape(), in.get(1).shape());
                c.tokenWeights(in.get(1).shape(), in.get(2).shape());
                yield List.of(in.get(1), in.get(2));
            }
        };
    }

    /** Shape rules with errors placed at the node. */
    private record Check(Node node) {
        CompileError fail(String message) {
            return new CompileError(node.pos(), node.op().opName() + ": " + message);
        }

        /** The message is built only on failure: these checks run for every node of every verification. */
        void require(boolean ok, Supplier<String> message) {
            if (!ok) {
                throw fail(message.get());
            }
        }

        void sameDType(List<TensorType> in) {
            for (TensorType t : in) {
                require(t.dtype() == in.get(0).dtype(), () -> "operands mix dtypes " + in.get(0).dtype() + " and " + t.dtype());
            }
        }

        int axis(Shape x, int axis) {
            return x.axis(axis).orElseThrow(() -> fail("axis " + axis + " is out of range for " + x));
        }

        Shape matmul(Shape a, Shape b, boolean transposeB) {
            require(a.rank() >= 2 || (a.rank() == 1 && node.op() instanceof Op.Linear),
                    () -> "first operand must be at least 2-D, got " + a);
            require(b.rank() == 2, () -> "second operand must be 2-D, got " + b);
            Dim k = a.last();
            Dim bk = transposeB ? b.dim(1) : b.dim(0);
            Dim n = transposeB ? b.dim(0) : b.dim(1);
            require(k.equals(bk), () -> "inner dims differ: " + a + " @ " + b + (transposeB ? "^T" : "")
                    + " (" + k + " vs " + bk + ")");
            return a.withDim(a.rank() - 1, n);
        }

        Shape broadcast(Shape a, Shape b) {
            int rank = Math.max(a.rank(), b.rank());
            List<Dim> out = new ArrayList<>();
            for (int i = 0; i < rank; i++) {
                int ia = i - (rank - a.rank());
                int ib = i - (rank - b.rank());
                Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
                Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
                if (da.equals(db) || db.equals(Dim.of(1))) {
                    out.add(da);
                } else if (da.equals(Dim.of(1))) {
                    out.add(db);
                } else {
                    throw fail("cannot broadcast " + a + " with " + b + " (" + da + " vs " + db + ")");
                }
            }
            return new Shape(out);
        }

        Shape reshape(Shape x, List<Dim> target) {
            Dim total = x.elementCount().orElseThrow(() -> fail("dims overflow"));
            Dim known = Dim.of(1);
            for (Dim d : target) {
                if (!d.isInfer()) {
                    require(d.coeff() > 0, () -> "reshape dims must be positive, got " + d);
                    known = known.times(d).orElseThrow(() -> fail("dims overflow"));
                }
            }
            List<Dim> out = new ArrayList<>(target);
            int infer = target.indexOf(Dim.INFER);
            if (infer >= 0) {
                Dim k = known;
                Dim rest = total.dividedBy(known).orElseThrow(() -> fail(
                        "cannot reshape " + x + " to " + new Shape(target) + ": " + total + " is not a multiple of " + k));
                out.set(infer, rest);
            } else {
                Dim k = known;
                require(k.equals(total), () -> "cannot reshape " + x + " (" + total + " elements) to "
                        + new Shape(target) + " (" + k + " elements)");
            }
            return new Shape(out);
        }

        /** [..., 2I] -> [..., I]. */
        Shape halve(Shape y) {
            require(y.rank() >= 1, () -> "input must be at least 1-D");
            Dim half = y.last().dividedBy(2).orElseThrow(() -> fail(
                    "last dim of " + y + " must be even (gate and up halves), got " + y.last()));
            return y.withDim(y.rank() - 1, half);
        }

        void bias(Shape y, Shape b) {
            require(b.equals(Shape.of(y.last())), () -> "bias must be " + Shape.of(y.last()) + " for input " + y + ", got " + b);
        }

        void tokenWeights(Shape y, Shape w) {
            Shape want = y.withDim(y.rank() - 1, Dim.of(1));
            require(w.equals(want), () -> "weights must be one per token, " + want + " for input " + y + ", got " + w);
        }

        void gradient(Shape g, Shape y) {
            Shape want = halve(y);
            require(g.equals(want), () -> "gradient must be " + want + " for input " + y + ", got " + g);
        }

        /** x [..., H], weights [H, I] (or [I, H]) -> [..., factor * I]. */
        Shape gateUp(List<TensorType> in, boolean transposeB, int factor) {
            Shape gate = matmul(in.get(0).shape(), in.get(1).shape(), transposeB);
            Shape up = matmul(in.get(0).shape(), in.get(2).shape(), transposeB);
            require(gate.equals(up), () -> "gate and up weights differ: " + in.get(1).shape() + " and " + in.get(2).shape());
            Dim width = gate.last().times(Dim.of(factor)).orElseThrow(() -> fail("dims overflow"));
            return gate.withDim(gate.rank() - 1, width);
        }
    }
}
