package dev.fusec.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The operation vocabulary: one record per op, operands named by value. Records check their own
 * arity and attributes; shapes are checked by {@code ShapeInference}. Spelling in the IR text is
 * {@link OpSyntax}'s business, semantics the interpreter's.
 */
public sealed interface Op {

    /** Which op this is: its name in the IR text, and the parser's case for it. */
    OpCode opCode();

    /** The op's name in the IR text. */
    default String opName() {
        return opCode().spelling();
    }

    /** Values read, in order. */
    List<String> operands();

    /** This op reading other values, attributes unchanged. */
    Op withOperands(List<String> operands);

    /** How many values the op defines. */
    default int resultCount() {
        return 1;
    }

    /** Whether this is one of the fused ops the passes produce. */
    default boolean isFused() {
        return false;
    }

    private static void arity(List<String> ops, int n) {
        if (ops.size() != n) {
            throw new IllegalArgumentException("expected " + n + " operands, got " + ops.size());
        }
    }

    // ---- unfused vocabulary ----

    /** a @ b (or a @ b^T); a is [..., M, K], b is [K, N] ([N, K] with transposeB). */
    record MatMul(String a, String b, boolean transposeB) implements Op {
        public OpCode opCode() { return OpCode.MATMUL; }
        public List<String> operands() { return List.of(a, b); }
        public Op withOperands(List<String> o) { arity(o, 2); return new MatMul(o.get(0), o.get(1), transposeB); }
    }

    /** PyTorch linear: x @ w^T + bias; w is [out, in]. */
    record Linear(String x, String w, Optional<String> bias) implements Op {
        public OpCode opCode() { return OpCode.LINEAR; }
        public List<String> operands() {
            return bias.map(b -> List.of(x, w, b)).orElse(List.of(x, w));
        }
        public Op withOperands(List<String> o) {
            if (o.size() != 2 && o.size() != 3) {
                throw new IllegalArgumentException("expected 2 or 3 operands, got " + o.size());
            }
            return new Linear(o.get(0), o.get(1), o.size() == 3 ? Optional.of(o.get(2)) : Optional.empty());
        }
    }

    enum BinaryKind {
        ADD, SUB, MUL;

        public OpCode opCode() {
            return switch (this) {
                case ADD -> OpCode.ADD;
                case SUB -> OpCode.SUB;
                case MUL -> OpCode.MUL;
            };
        }
    }

    /** Elementwise add, sub, mul with NumPy broadcasting. */
    record Binary(BinaryKind kind, String a, String b) implements Op {
        public OpCode opCode() { return kind.opCode(); }
        public List<String> operands() { return List.of(a, b); }
        public Op withOperands(List<String> o) { arity(o, 2); return new Binary(kind, o.get(0), o.get(1)); }
    }

    /** The elementwise functions of one operand; the two GELU formulas are one op, {@code gelu(x, approximate=)}. */
    enum UnaryKind {
        SILU, SIGMOID, GELU, GELU_TANH;

        public OpCode opCode() {
            return switch (this) {
                case SILU -> OpCode.SILU;
                case SIGMOID -> OpCode.SIGMOID;
                case GELU, GELU_TANH -> OpCode.GELU;
            };
        }

        /** The GLU gating activation this computes; sigmoid gates no GLU op. */
        public Optional<Activation> activation() {
            return switch (this) {
                case SILU -> Optional.of(Activation.SILU);
                case GELU -> Optional.of(Activation.GELU);
                case GELU_TANH -> Optional.of(Activation.GELU_TANH);
                case SIGMOID -> Optional.empty();
            };
        }
    }

    /**
     * Elementwise silu(x) = x * sigmoid(x), sigmoid(x), gelu(x) = x * Phi(x), or gelu's tanh form
     * 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
     */
    record Unary(UnaryKind kind, String x) implements Op {
        public OpCode opCode() { return kind.opCode(); }
        public List<String> operands() { return List.of(x); }
        public Op withOperands(List<String> o) { arity(o, 1); return new Unary(kind, o.get(0)); }
    }

    /**
     * swish(x, alpha) = x * sigmoid(alpha * x): SiLU with its input scaled inside the sigmoid only, as
     * gpt-oss gates with alpha = 1.702 (silu is alpha = 1, and stays its own op).
     */
    record Swish(String x, double alpha) implements Op {
        public Swish {
            if (!Double.isFinite(alpha) || alpha == 0) {
                throw new IllegalArgumentException("swish alpha must be a finite non-zero number, got " + alpha);
            }
        }
        public OpCode opCode() { return OpCode.SWISH; }
        public List<String> operands() { return List.of(x); }
        public Op withOperands(List<String> o) { arity(o, 1); return new Swish(o.get(0), alpha); }
    }

    /** A scalar constant, {@code dtype[]} (rank 0: it broadcasts against anything), e.g. the 1 of gpt-oss's up + 1. */
    record Const(double value, DType dtype) implements Op {
        public Const {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("const value must be a finite number, got " + value);
            }
            java.util.Objects.requireNonNull(dtype, "dtype");
        }
        public OpCode opCode() { return OpCode.CONST; }
        public List<String> operands() { return List.of(); }
        public Op withOperands(List<String> o) { arity(o, 0); return this; }
    }

    /** min(max(x, min), max), either bound optional but not both. */
    record Clamp(String x, OptionalDouble min, OptionalDouble max) implements Op {
        public Clamp {
            if (min.isEmpty() && max.isEmpty()) {
                throw new IllegalArgumentException("clamp needs min=, max= or both");
            }
            if (min.isPresent() && max.isPresent() && min.getAsDouble() > max.getAsDouble()) {
                throw new IllegalArgumentException("clamp min " + min.getAsDouble() + " exceeds max " + max.getAsDouble());
            }
            if (min.isPresent() && Double.isNaN(min.getAsDouble()) || max.isPresent() && Double.isNaN(max.getAsDouble())) {
                throw new IllegalArgumentException("clamp bounds must be numbers");
            }
        }
        public OpCode opCode() { return OpCode.CLAMP; }
        public List<String> operands() { return List.of(x); }
        public Op withOperands(List<String> o) { arity(o, 1); return new Clamp(o.get(0), min, max); }
    }

    /** Splits x along axis into equal parts, or into the given sizes; one result per part. */
    record Split(String x, int axis, int parts, List<Long> sizes) implements Op {
        public Split {
            sizes = List.copyOf(sizes);
            if (sizes.isEmpty() == (parts == 0)) {
                throw new IllegalArgumentException("split takes exactly one of parts= and sizes=");
            }
            if (sizes.isEmpty() && parts < 1) {
                throw new IllegalArgumentException("split parts must be at least 1, got " + parts);
            }
            if (sizes.stream().anyMatch(s -> s <= 0)) {
                throw new IllegalArgumentException("split sizes must be positive, got " + sizes);
            }
        }
        public static Split halves(String x, int axis) { return new Split(x, axis, 2, List.of()); }
        public OpCode opCode() { return OpCode.SPLIT; }
        public List<String> operands() { return List.of(x); }
        public Op withOperands(List<String> o) { arity(o, 1); return new Split(o.get(0), axis, parts, sizes); }
        public int resultCount() { return sizes.isEmpty() ? parts : sizes.size(); }
    }

    /** Joins inputs along axis. */
    record Concat(List<String> inputs, int axis) implements Op {
        public Concat {
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("concat needs at least one operand");
            }
        }
        public OpCode opCode() { return OpCode.CONCAT; }
        public List<String> operands() { return inputs; }
        public Op withOperands(List<String> o) { return new Concat(o, axis); }
    }

    /** Same elements, new shape (C order); one dim may be -1. */
    record Reshape(String x, List<Dim> shape) implements Op {
        public Reshape {
            shape = List.copyOf(shape);
            if (shape.stream().filter(Dim::isInfer).count() > 1) {
                throw new IllegalArgumentException("reshape allows at most one -1");
            }
        }
        public OpCode opCode() { return OpCode.RESHAPE; }
        public List<String> operands() { return List.of(x); }
        public Op withOperands(List<String> o) { arity(o, 1); return new Reshape(o.get(0), shape); }
    }

    /** Permutes axes: result axis i is input axis perm[i]. */
    record Transpose(String x, List<Integer> perm) implements Op {
        public Transpose {
            perm = List.copyOf(perm);
            List<Integer> sorted = new ArrayList<>(perm);
            sorted.sort(null);
            for (int i = 0; i < sorted.size(); i++) {
                if (sorted.get(i) != i) {
                    throw new IllegalArgumentException("perm " + perm + " is not a permutation of 0.." + (perm.size() - 1));
                }
            }
        }
        public OpCode opCode() { return OpCode.TRANSPOSE; }
        public List<String> operands() { return List.of(x); }
        public Op withOperands(List<String> o) { arity(o, 1); return new Transpose(o.get(0), perm); }
    }

    // ---- fused vocabulary ----

    /** act(gate) * up (silu(gate) * up unless act= says otherwise), gate and up taken from y [..., 2I] by layout: out [..., I]. */
    record SwiGlu(String y, Glu glu) implements Op {
        public OpCode opCode() { return OpCode.SWIGLU; }
        public List<String> operands() { return List.of(y); }
        public Op withOperands(List<String> o) { arity(o, 1); return new SwiGlu(o.get(0), glu); }
        public boolean isFused() { return true; }
    }

    /** swiglu(y + bias), bias [2I]. */
    record BiasSwiGlu(String y, String bias, Glu glu) implements Op {
        public OpCode opCode() { return OpCode.BIAS_SWIGLU; }
        public List<String> operands() { return List.of(y, bias); }
        public Op withOperands(List<String> o) { arity(o, 2); return new BiasSwiGlu(o.get(0), o.get(1), glu); }
        public boolean isFused() { return true; }
    }

    /** swiglu(y) * w, one weight per token: w [..., 1]. */
    record WeightedSwiGlu(String y, String weights, Glu glu) implements Op {
        public OpCode opCode() { return OpCode.WEIGHTED_SWIGLU; }
        public List<String> operands() { return List.of(y, weights); }
        public Op withOperands(List<String> o) { arity(o, 2); return new WeightedSwiGlu(o.get(0), o.get(1), glu); }
        public boolean isFused() { return true; }
    }

    /** swiglu(y + bias) * w. */
    record WeightedBiasSwiGlu(String y, String bias, String weights, Glu glu) implements Op {
        public OpCode opCode() { return OpCode.WEIGHTED_BIAS_SWIGLU; }
        public List<String> operands() { return List.of(y, bias, weights); }
        public Op withOperands(List<String> o) { arity(o, 3); return new WeightedBiasSwiGlu(o.get(0), o.get(1), o.get(2), glu); }
        public boolean isFused() { return true; }
    }

    /** x @ [w_gate | w_up] as one matmul, the two products placed by layout: out [..., 2I]. */
    record GateUp(String x, String wGate, String wUp, boolean transposeB, Layout layout) implements Op {
        public OpCode opCode() { return OpCode.GATE_UP; }
        public List<String> operands() { return List.of(x, wGate, wUp); }
        public Op withOperands(List<String> o) { arity(o, 3); return new GateUp(o.get(0), o.get(1), o.get(2), transposeB, layout); }
        public boolean isFused() { return true; }
    }

    /** act(x @ w_gate) * (x @ w_up) in one pass; gate and up are never stored: out [..., I]. */
    record GateUpSwiGlu(String x, String wGate, String wUp, boolean transposeB, Glu glu) implements Op {
        public OpCode opCode() { return OpCode.GATE_UP_SWIGLU; }
        public List<String> operands() { return List.of(x, wGate, wUp); }
        public Op withOperands(List<String> o) { arity(o, 3); return new GateUpSwiGlu(o.get(0), o.get(1), o.get(2), transposeB, glu); }
        public boolean isFused() { return true; }
    }

    /** dy of swiglu given the output gradient g [..., I]: dy [..., 2I]. */
    record SwiGluBack(String grad, String y, Glu glu) implements Op {
        public SwiGluBack {
            glu.requireForwardOnlyDefaults();
        }
        public OpCode opCode() { return OpCode.SWIGLU_BACK; }
        public List<String> operands() { return List.of(grad, y); }
        public Op withOperands(List<String> o) { arity(o, 2); return new SwiGluBack(o.get(0), o.get(1), glu); }
        public boolean isFused() { return true; }
    }

    /** dy = swiglu_back(g, y + b); db = dy summed over all leading dims. */
    record BiasSwiGluBack(String grad, String y, String bias, Glu glu) implements Op {
        public BiasSwiGluBack {
            glu.requireForwardOnlyDefaults();
        }
        public OpCode opCode() { return OpCode.BIAS_SWIGLU_BACK; }
        public List<String> operands() { return List.of(grad, y, bias); }
        public Op withOperands(List<String> o) { arity(o, 3); return new BiasSwiGluBack(o.get(0), o.get(1), o.get(2), glu); }
        public int resultCount() { return 2; }
        public boolean isFused() { return true; }
    }

    /** dy = swiglu_back(g * w, y); dw = sum(swiglu(y) * g, -1, keepdim). */
    record WeightedSwiGluBack(String grad, String y, String weights, Glu glu) implements Op {
        public WeightedSwiGluBack {
            glu.requireForwardOnlyDefaults();
        }
        public OpCode opCode() { return OpCode.WEIGHTED_SWIGLU_BACK; }
        public List<String> operands() { return List.of(grad, y, weights); }
        public Op withOperands(List<String> o) { arity(o, 3); return new WeightedSwiGluBack(o.get(0), o.get(1), o.get(2), glu); }
        public int resultCount() { return 2; }
        public boolean isFused() { return true; }
    }
}
