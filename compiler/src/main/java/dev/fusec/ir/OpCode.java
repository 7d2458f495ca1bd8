package dev.fusec.ir;

import java.util.Optional;

/**
 * Every op name of the IR text, one constant each: the parser switches over it without a default,
 * so a new op does not compile until the parser builds it, and every {@link Op} record names its
 * code, so the name it prints is the name the parser reads.
 */
public enum OpCode {
    MATMUL("matmul"), LINEAR("linear"), ADD("add"), SUB("sub"), MUL("mul"), SILU("silu"), SIGMOID("sigmoid"),
    GELU("gelu"), SWISH("swish"), CONST("const"), CLAMP("clamp"), SPLIT("split"), CONCAT("concat"), RESHAPE("reshape"), TRANSPOSE("transpose"),
    SWIGLU("swiglu"), BIAS_SWIGLU("bias_swiglu"), WEIGHTED_SWIGLU("weighted_swiglu"),
    WEIGHTED_BIAS_SWIGLU("weighted_bias_swiglu"), GATE_UP("gate_up"), GATE_UP_SWIGLU("gate_up_swiglu"),
    SWIGLU_BACK("swiglu_back"), BIAS_SWIGLU_BACK("bias_swiglu_back"), WEIGHTED_SWIGLU_BACK("weighted_swiglu_back");

    private final String spelling;

    OpCode(String spelling) {
        this.spelling = spelling;
    }

    /** The op's name in the IR text. */
    public String spelling() {
        return spelling;
    }

    public static Optional<OpCode> parse(String name) {
        for (OpCode c : values()) {
            if (c.spelling.equals(name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
