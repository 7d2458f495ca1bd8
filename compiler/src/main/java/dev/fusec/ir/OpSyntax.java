package dev.fusec.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * How ops are spelled: builds an {@link Op} from a name, operands and attributes (checking every
 * attribute), and prints an op back so the parser reads it as the same op. Defaults are not printed.
 */
public final class OpSyntax {
    private OpSyntax() {}

    /** Every op name the IR knows, for error messages and `fusec passes`: the spellings of {@link OpCode}. */
    public static final Set<String> OP_NAMES = opNames();

    private static Set<String> opNames() {
        Set<String> names = new TreeSet<>();
        for (OpCode c : OpCode.values()) {
            names.add(c.spelling());
        }
        return java.util.Collections.unmodifiableSet(names);
    }

    private static final Set<String> GLU_ATTRS = Set.of("act", "layout", "limit", "alpha", "beta", "fp8_input_store", "cpu_offload_input");

    /**
     * Builds the op {@code name(operands..., attrs...)} bound to {@code boundNames} results.
     *
     * @throws CompileError at {@code pos} (or the attribute's position) when anything is off
     */
    public static Op build(String name, List<String> operands, List<Attr.Named> attrs, int boundNames, SourcePos pos) {
        Attrs a = new Attrs(name, attrs, pos);
        OpCode code = OpCode.parse(name)
                .orElseThrow(() -> new CompileError(pos, "unknown op '" + name + "'" + suggestion(name)));
        Op op;
        try {
            op = switch (code) {
                case MATMUL -> {
                    a.allow("transpose_b");
                    a.operands(operands, 2, 2);
                    yield new Op.MatMul(operands.get(0), operands.get(1), a.bool("transpose_b", false));
                }
                case LINEAR -> {
                    a.allow();
                    a.operands(operands, 2, 3);
                    yield new Op.Linear(operands.get(0), operands.get(1),
                            operands.size() == 3 ? Optional.of(operands.get(2)) : Optional.empty());
                }
                case ADD -> binary(a, Op.BinaryKind.ADD, operands);
                case SUB -> binary(a, Op.BinaryKind.SUB, operands);
                case MUL -> binary(a, Op.BinaryKind.MUL, operands);
                case SILU -> unary(a, Op.UnaryKind.SILU, operands);
                case SIGMOID -> unary(a, Op.UnaryKind.SIGMOID, operands);
                case GELU -> {
                    a.allow("approximate");
                    a.operands(operands, 1, 1);
                    yield new Op.Unary(a.approximate(), operands.get(0));
                }
                case SWISH -> {
                    a.allow("alpha");
                    a.operands(operands, 1, 1);
                    yield new Op.Swish(operands.get(0), a.number("alpha").orElseThrow(() -> a.missing("alpha")));
                }
                case CONST -> {
                    a.allow("value", "dtype");
                    a.operands(operands, 0, 0);
                    yield new Op.Const(a.number("value").orElseThrow(() -> a.missing("value")), a.dtype());
                }
                case CLAMP -> {
                    a.allow("min", "max");
                    a.operands(operands, 1, 1);
                    yield new Op.Clamp(operands.get(0), a.number("min"), a.number("max"));
                }
                case SPLIT -> {
                    a.allow("parts", "sizes", "axis");
                    a.operands(operands, 1, 1);
                    int axis = a.integer("axis", -1);
                    List<Long> sizes = a.intList("sizes").orElse(List.of());
                    int parts = a.has("parts") ? a.integer("parts", 0) : sizes.isEmpty() ? boundNames : 0;
                    if (a.has("parts") && a.has("sizes")) {
                        throw a.error("sizes", "split takes parts= or sizes=, not both");
                    }
                    if (a.has("parts") && parts < 1) {
                        throw a.error("parts", "split parts must be at least 1, got " + parts);
                    }
                    yield new Op.Split(operands.get(0), axis, parts, sizes);
                }
                case CONCAT -> {
                    a.allow("axis");
                    a.operands(operands, 1, Integer.MAX_VALUE);
                    yield new Op.Concat(operands, a.integer("axis", -1));
                }
                case RESHAPE -> {
                    a.allow("shape");
                    a.operands(operands, 1, 1);
                    yield new Op.Reshape(operands.get(0), a.dimList("shape"));
                }
                case TRANSPOSE -> {
                    a.allow("perm");
                    a.operands(operands, 1, 1);
                    List<Long> perm = a.intList("perm").orElseThrow(() -> a.missing("perm"));
                    List<Integer> ints = new ArrayList<>();
                    for (long p : perm) {
                        if (p < 0 || p > 64) {
                            throw a.error("perm", "perm entries must be axes 0..rank-1, got " + p);
                        }
                        ints.add((int) p);
                    }
                    yield new Op.Transpose(operands.get(0), ints);
                }
                case SWIGLU -> {
                    a.allowGlu();
                    a.operands(operands, 1, 1);
                    yield new Op.SwiGlu(operands.get(0), a.glu());
                }
                case BIAS_SWIGLU -> {
                    a.allowGlu();
                    a.operands(operands, 2, 2);
                    yield new Op.BiasSwiGlu(operands.get(0), operands.get(1), a.glu());
                }
                case WEIGHTED_SWIGLU -> {
                    a.allowGlu();
                    a.operands(operands, 2, 2);
                    yield new Op.WeightedSwiGlu(operands.get(0), operands.get(1), a.glu());
                }
                case WEIGHTED_BIAS_SWIGLU -> {
                    a.allowGlu();
                    a.operands(operands, 3, 3);
                    yield new Op.WeightedBiasSwiGlu(operands.get(0), operands.get(1), operands.get(2), a.glu());
                }
                case GATE_UP -> {
                    a.allow("transpose_b", "layout");
                    a.operands(operands, 3, 3);
                    yield new Op.GateUp(operands.get(0), operands.get(1), operands.get(2),
                            a.bool("transpose_b", false), a.layout());
                }
                case GATE_UP_SWIGLU -> {
                    a.allowGlu("transpose_b");
                    a.operands(operands, 3, 3);
                    yield new Op.GateUpSwiGlu(operands.get(0), operands.get(1), operands.get(2),
                            a.bool("transpose_b", false), a.glu());
                }
                case SWIGLU_BACK -> {
                    a.allowGlu();
                    a.operands(operands, 2, 2);
                    yield new Op.SwiGluBack(operands.get(0), operands.get(1), a.glu());
                }
                case BIAS_SWIGLU_BACK -> {
                    a.allowGlu();
                    a.operands(operands, 3, 3);
                    yield new Op.BiasSwiGluBack(operands.get(0), operands.get(1), operands.get(2), a.glu());
                }
                case WEIGHTED_SWIGLU_BACK -> {
                    a.allowGlu();
                    a.operands(operands, 3, 3);
                    yield new Op.WeightedSwiGluBack(operands.get(0), operands.get(1), operands.get(2), a.glu());
                }
            };
        } catch (IllegalArgumentException invalid) {
            throw new CompileError(pos, name + ": " + invalid.getMessage());
        }
        if (op.resultCount() != boundNames) {
            throw new CompileError(pos, name + " defines " + op.resultCount() + " value(s) but "
                    + boundNames + " name(s) are bound");
        }
        return op;
    }

    private static Op binary(Attrs a, Op.BinaryKind kind, List<String> operands) {
        a.allow();
        a.operands(operands, 2, 2);
        return new Op.Binary(kind, operands.get(0), operands.get(1));
    }

    private static Op unary(Attrs a, Op.UnaryKind kind, List<String> operands) {
        a.allow();
        a.operands(operands, 1, 1);
        return new Op.Unary(kind, operands.get(0));
    }

    /** The op as IR text, operands printed by {@code operand} (a name, or a nested expression). */
    public static String print(Op op, Function<String, String> operand) {
        List<String> parts = new ArrayList<>();
        for (String o : op.operands()) {
            parts.add(operand.apply(o));
        }
        attributes(op).forEach((k, v) -> parts.add(k + "=" + v));
        return op.opName() + "(" + String.join(", ", parts) + ")";
    }

    public static String print(Op op) {
        return print(op, Function.identity());
    }

    /** The non-default attributes of an op, in a fixed order, as text. */
    public static Map<String, String> attributes(Op op) {
        Map<String, String> m = new LinkedHashMap<>();
        switch (op) {
            case Op.MatMul mm -> putIf(m, mm.transposeB(), "transpose_b", "true");
            case Op.Linear l -> { }
            case Op.Binary b -> { }
            case Op.Unary u -> {
                switch (u.kind()) {
                    case SILU, SIGMOID, GELU -> { }
                    case GELU_TANH -> m.put("approximate", "tanh");
                }
            }
            case Op.Swish w -> m.put("alpha", Double.toString(w.alpha()));
            case Op.Const c -> {
                m.put("value", Double.toString(c.value()));
                putIf(m, c.dtype() != DType.F32, "dtype", c.dtype().toString());
            }
            case Op.Clamp c -> {
                c.min().ifPresent(v -> m.put("min", Double.toString(v)));
                c.max().ifPresent(v -> m.put("max", Double.toString(v)));
            }
            case Op.Split s -> {
                if (s.sizes().isEmpty()) {
                    m.put("parts", Integer.toString(s.parts()));
                } else {
                    m.put("sizes", new Attr.ListOf(s.sizes().stream().<Attr>map(Attr.Int::new).toList()).toString());
                }
                m.put("axis", Integer.toString(s.axis()));
            }
            case Op.Concat c -> m.put("axis", Integer.toString(c.axis()));
            case Op.Reshape r -> m.put("shape", r.shape().stream()
                    .map(Dim::toString).collect(java.util.stream.Collectors.joining(", ", "[", "]")));
            case Op.Transpose t -> m.put("perm", t.perm().toString());
            case Op.SwiGlu s -> glu(m, s.glu());
            case Op.BiasSwiGlu s -> glu(m, s.glu());
            case Op.WeightedSwiGlu s -> glu(m, s.glu());
            case Op.WeightedBiasSwiGlu s -> glu(m, s.glu());
            case Op.GateUp g -> {
                putIf(m, g.transposeB(), "transpose_b", "true");
                putIf(m, g.layout() != Layout.HALVES, "layout", g.layout().toString());
            }
            case Op.GateUpSwiGlu g -> {
                putIf(m, g.transposeB(), "transpose_b", "true");
                glu(m, g.glu());
            }
            case Op.SwiGluBack s -> glu(m, s.glu());
            case Op.BiasSwiGluBack s -> glu(m, s.glu());
            case Op.WeightedSwiGluBack s -> glu(m, s.glu());
        }
        return m;
    }

    private static void glu(Map<String, String> m, Glu g) {
        putIf(m, g.act() != Activation.SILU, "act", g.act().toString());
        putIf(m, g.layout() != Layout.HALVES, "layout", g.layout().toString());
        g.limit().ifPresent(v -> m.put("limit", Double.toString(v)));
        putIf(m, g.alpha() != 1.0, "alpha", Double.toString(g.alpha()));
        putIf(m, g.beta() != 0.0, "beta", Double.toString(g.beta()));
        putIf(m, g.fp8InputStore(), "fp8_input_store", "true");
        putIf(m, g.cpuOffloadInput(), "cpu_offload_input", "true");
    }

    private static void putIf(Map<String, String> m, boolean cond, String k, String v) {
        if (cond) {
            m.put(k, v);
        }
    }

    private static String suggestion(String name) {
        String best = null;
        int bestDistance = 3;
        for (String known : OP_NAMES) {
            if (Math.abs(name.length() - known.length()) >= bestDistance) {
                continue; // too far apart whatever the letters; skipping keeps a megabyte-long name cheap
            }
            int d = editDistance(name, known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return best == null ? "" : "; did you mean '" + best + "'?";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The attributes of one call, checked as they are read. */
    private static final class Attrs {
        private final String op;
        private final Map<String, Attr.Named> byName = new HashMap<>();
        private final SourcePos pos;

        Attrs(String op, List<Attr.Named> attrs, SourcePos pos) {
            this.op = op;
            this.pos = pos;
            for (Attr.Named n : attrs) {
                if (byName.put(n.name(), n) != null) {
                    throw new CompileError(n.pos(), op + ": attribute '" + n.name() + "' given twice");
                }
            }
        }

        void allow(String... names) {
            Set<String> ok = Set.of(names);
            for (Attr.Named n : byName.values()) {
                if (!ok.contains(n.name())) {
                    String known = ok.isEmpty() ? "it takes none" : "it takes " + String.join(", ", new TreeSet<>(ok));
                    throw new CompileError(n.pos(), op + " has no attribute '" + n.name() + "'; " + known);
                }
            }
        }

        void allowGlu(String... extra) {
            List<String> names = new ArrayList<>(GLU_ATTRS);
            names.addAll(List.of(extra));
            allow(names.toArray(String[]::new));
        }

        void operands(List<String> operands, int min, int max) {
            if (operands.size() < min || operands.size() > max) {
                String want = min == max ? Integer.toString(min)
                        : max == Integer.MAX_VALUE ? "at least " + min : min + " or " + max;
                throw new CompileError(pos, op + " takes " + want + " operand(s), got " + operands.size());
            }
        }

        boolean has(String name) {
            return byName.containsKey(name);
        }

        CompileError error(String name, String message) {
            return new CompileError(byName.get(name).pos(), message);
        }

        CompileError missing(String name) {
            return new CompileError(pos, op + " needs attribute " + name + "=");
        }

        boolean bool(String name, boolean dflt) {
            Attr.Named n = byName.get(name);
            if (n == null) {
                return dflt;
            }
            if (n.value() instanceof Attr.Word(String w) && (w.equals("true") || w.equals("false"))) {
                return w.equals("true");
            }
            throw new CompileError(n.pos(), op + ": " + name + " must be true or false, got " + n.value());
        }

        OptionalDouble number(String name) {
            Attr.Named n = byName.get(name);
            if (n == null) {
                return OptionalDouble.empty();
            }
            return switch (n.value()) {
                case Attr.Int(long v) -> OptionalDouble.of(v);
                case Attr.Real(double v) when Double.isFinite(v) -> OptionalDouble.of(v);
                default -> throw new CompileError(n.pos(), op + ": " + name + " must be a finite number, got " + n.value());
            };
        }

        int integer(String name, int dflt) {
            Attr.Named n = byName.get(name);
            if (n == null) {
                return dflt;
            }
            if (n.value() instanceof Attr.Int(long v) && v >= Integer.MIN_VALUE / 2 && v <= Integer.MAX_VALUE / 2) {
                return (int) v;
            }
            throw new CompileError(n.pos(), op + ": " + name + " must be an integer, got " + n.value());
        }

        Optional<List<Long>> intList(String name) {
            Attr.Named n = byName.get(name);
            if (n == null) {
                return Optional.empty();
            }
            List<Long> out = new ArrayList<>();
            if (n.value() instanceof Attr.ListOf(List<Attr> items)) {
                for (Attr item : items) {
                    if (!(item instanceof Attr.Int(long v))) {
                        throw new CompileError(n.pos(), op + ": " + name + " must be a list of integers, got " + n.value());
                    }
                    out.add(v);
                }
                if (out.isEmpty()) {
                    throw new CompileError(n.pos(), op + ": " + name + " must not be empty");
                }
                return Optional.of(out);
            }
            throw new CompileError(n.pos(), op + ": " + name + " must be a list of integers, got " + n.value());
        }

        List<Dim> dimList(String name) {
            Attr.Named n = byName.get(name);
            if (n == null) {
                throw missing(name);
            }
            if (!(n.value() instanceof Attr.ListOf(List<Attr> items))) {
                throw new CompileError(n.pos(), op + ": " + name + " must be a list of dims, got " + n.value());
            }
            if (items.size() > Shape.MAX_RANK) {
                throw new CompileError(n.pos(), op + ": " + name + " has " + items.size() + " dims; at most "
                        + Shape.MAX_RANK + " are supported");
            }
            List<Dim> dims = new ArrayList<>();
            for (Attr item : items) {
                dims.add(switch (item) {
                    case Attr.Int(long v) when v == -1 -> Dim.INFER;
                    case Attr.Int(long v) when v >= 0 -> Dim.of(v);
                    case Attr.Word(String w) when w.matches("[A-Za-z_][A-Za-z0-9_]*") -> Dim.sym(w);
                    case Attr.DimValue(Dim d) -> d;
                    default -> throw new CompileError(n.pos(), op + ": " + name
                            + " entries must be dims (4096, T, S*B) or -1, got " + item);
                });
            }
            try {
                return List.copyOf(new Op.Reshape("_", dims).shape());
            } catch (IllegalArgumentException e) {
                throw new CompileError(n.pos(), op + ": " + e.getMessage());
            }
        }

        Layout layout() {
            Attr.Named n = byName.get("layout");
            if (n == null) {
                return Layout.HALVES;
            }
            if (n.value() instanceof Attr.Word(String w)) {
                Optional<Layout> l = Layout.parse(w);
                if (l.isPresent()) {
                    return l.get();
                }
            }
            throw new CompileError(n.pos(), op + ": layout must be halves, swapped or interleaved, got " + n.value());
        }

        /** const's {@code dtype=}, f32 by default. */
        DType dtype() {
            Attr.Named n = byName.get("dtype");
            if (n == null) {
                return DType.F32;
            }
            if (n.value() instanceof Attr.Word(String w) && DType.parse(w).isPresent()) {
                return DType.parse(w).get();
            }
            throw new CompileError(n.pos(), op + ": dtype must be f32, bf16, f16 or f8e4m3, got " + n.value());
        }

        /** gelu's {@code approximate=none|tanh} (PyTorch's spelling), none by default. */
        Op.UnaryKind approximate() {
            Attr.Named n = byName.get("approximate");
            if (n == null) {
                return Op.UnaryKind.GELU;
            }
            if (n.value() instanceof Attr.Word(String w)) {
                if (w.equals("none")) {
                    return Op.UnaryKind.GELU;
                }
                if (w.equals("tanh")) {
                    return Op.UnaryKind.GELU_TANH;
                }
            }
            throw new CompileError(n.pos(), op + ": approximate must be none or tanh, got " + n.value());
        }

        Activation act() {
            Attr.Named n = byName.get("act");
            if (n == null) {
                return Activation.SILU;
            }
            if (n.value() instanceof Attr.Word(String w)) {
                Optional<Activation> act = Activation.parse(w);
                if (act.isPresent()) {
                    return act.get();
                }
            }
            List<String> known = java.util.Arrays.stream(Activation.values()).map(Activation::toString).toList();
            throw new CompileError(n.pos(), op + ": act must be " + String.join(", ", known.subList(0, known.size() - 1))
                    + " or " + known.getLast() + ", got " + n.value());
        }

        Glu glu() {
            OptionalDouble limit = number("limit");
            if (limit.isPresent() && !(limit.getAsDouble() > 0)) {
                throw error("limit", op + ": limit must be positive, got " + limit.getAsDouble());
            }
            return new Glu(act(), layout(), limit, bool("fp8_input_store", false), bool("cpu_offload_input", false),
                    number("alpha").orElse(1.0), number("beta").orElse(0.0));
        }
    }
}
