package dev.fusec.ir;

import java.util.Optional;

/**
 * Where gate and up sit in a SwiGLU input of width 2I. Real checkpoints disagree, and mixing them up
 * silently gives wrong activations, so every SwiGLU-family op names its layout.
 */
public enum Layout {
    /** {@code [gate; up]}: Megatron-LM, vLLM SiluAndMul. */
    HALVES("halves"),
    /** {@code [up; gate]}: vLLM MulAndSilu. */
    SWAPPED("swapped"),
    /** {@code [g0, u0, g1, u1, ...]}: gpt-oss checkpoints. */
    INTERLEAVED("interleaved");

    private final String spelling;

    Layout(String spelling) {
        this.spelling = spelling;
    }

    /** Index of gate element {@code j} in a row of width {@code 2 * half}. */
    public int gateIndex(int j, int half) {
        return switch (this) {
            case HALVES -> j;
            case SWAPPED -> half + j;
            case INTERLEAVED -> 2 * j;
        };
    }

    /** Index of up element {@code j} in a row of width {@code 2 * half}. */
    public int upIndex(int j, int half) {
        return switch (this) {
            case HALVES -> half + j;
            case SWAPPED -> j;
            case INTERLEAVED -> 2 * j + 1;
        };
    }

    public static Optional<Layout> parse(String text) {
        for (Layout l : values()) {
            if (l.spelling.equals(text)) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return spelling;
    }
}
