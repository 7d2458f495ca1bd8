package dev.fusec.ir;

import java.util.Optional;

/**
 * The gating activation of a GLU-family op ({@code act=}): SwiGLU's SiLU, or GeGLU's GELU in PyTorch's
 * two formulas. Every stage that computes an activation switches over this enum without a default,
 * so a new activation does not compile until each of them handles it.
 */
public enum Activation {
    /** silu(x) = x * sigmoid(x): Llama, Qwen, Mistral, Megatron's swiglu. */
    SILU("silu"),
    /** gelu(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt 2)), PyTorch approximate='none'. */
    GELU("gelu"),
    /**
     * gelu(x, approximate=tanh) = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))): Gemma's
     * gelu_pytorch_tanh, T5 v1.1's gelu_new.
     */
    GELU_TANH("gelu_tanh");

    private final String spelling;

    Activation(String spelling) {
        this.spelling = spelling;
    }

    /** The unfused op that computes this activation. */
    public Op.UnaryKind unary() {
        return switch (this) {
            case SILU -> Op.UnaryKind.SILU;
            case GELU -> Op.UnaryKind.GELU;
            case GELU_TANH -> Op.UnaryKind.GELU_TANH;
        };
    }

    /** The value of {@code act=}. */
    public static Optional<Activation> parse(String text) {
        for (Activation a : values()) {
            if (a.spelling.equals(text)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** As {@code act=} spells it. */
    @Override
    public String toString() {
        return spelling;
    }
}
