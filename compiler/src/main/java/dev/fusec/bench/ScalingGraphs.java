package dev.fusec.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Big graphs for measuring how the compiler scales: many FFN blocks in one graph, each layer's output
 * feeding the next (a residual add), as an imported model expands to. Written as IR text, so parsing
 * is measured too. Dims are small and static: what grows is the number of statements, not the tensors.
 * Not a model zoo: every block is one of the spellings the fusion rules know.
 */
public final class ScalingGraphs {
    /** Hidden and intermediate sizes of every block (tiny: the graph's size is its statement count). */
    static final int HIDDEN = 8;
    static final int INTERMEDIATE = 16;

    /** How each layer is spelled. */
    public enum Kind {
        /** Llama: gate, up, silu, mul, down, residual add; 6 statements, fuses to one gate_up_swiglu. */
        LLAMA(6),
        /**
         * Mixtral-style MoE: a router matmul split into per-expert weights, then {@link #EXPERTS} experts
         * that all read the layer's input (linear spelling, routing weight on the expert's output).
         */
        MOE(2 + 7 * Kind.EXPERTS),
        /** The layers cycle through Llama, Megatron bias SwiGLU, per-token weighted SwiGLU and x * sigmoid(x). */
        MIXED(7),
        /** As LLAMA, but every layer has its own intermediate size, so no two layers share a kernel. */
        DISTINCT(6);

        static final int EXPERTS = 8;
        /** Statements per layer (MIXED: on average, near enough). */
        final int perLayer;

        Kind(int perLayer) {
            this.perLayer = perLayer;
        }
    }

    private ScalingGraphs() {}

    /** {@code ScalingGraphs KIND STATEMENTS}: prints the graph of about that many statements. */
    public static void main(String[] args) {
        Kind kind = Kind.valueOf(args[0].toUpperCase(java.util.Locale.ROOT));
        System.out.print(generate(kind, layersFor(kind, Integer.parseInt(args[1]))));
    }

    /** The number of layers that gives about {@code statements} statements. */
    public static int layersFor(Kind kind, int statements) {
        return Math.max(1, Math.round((float) statements / kind.perLayer));
    }

    /** A graph of {@code layers} blocks of {@code kind}, as IR text. */
    public static String generate(Kind kind, int layers) {
        Text t = new Text();
        String x = "x";
        t.input("x", "[T, " + HIDDEN + "]");
        for (int l = 0; l < layers; l++) {
            x = switch (kind) {
                case LLAMA -> llama(t, l, x, INTERMEDIATE);
                case DISTINCT -> llama(t, l, x, INTERMEDIATE + l);
                case MOE -> moe(t, l, x);
                case MIXED -> switch (l % 4) {
                    case 0 -> llama(t, l, x, INTERMEDIATE);
                    case 1 -> bias(t, l, x);
                    case 2 -> weighted(t, l, x);
                    default -> sigmoid(t, l, x);
                };
            };
        }
        return t.graph(kind.name().toLowerCase() + "_" + layers, x);
    }

    /** gate_up_swiglu after fusion: {@code x + down(silu(x @ wg) * (x @ wu))}. */
    private static String llama(Text t, int l, String x, int inter) {
        String wg = t.input("wg" + l, "[" + HIDDEN + ", " + inter + "]");
        String wu = t.input("wu" + l, "[" + HIDDEN + ", " + inter + "]");
        String wd = t.input("wd" + l, "[" + inter + ", " + HIDDEN + "]");
        t.let("gate" + l, "matmul(" + x + ", " + wg + ")");
        t.let("up" + l, "matmul(" + x + ", " + wu + ")");
        t.let("act" + l, "silu(gate" + l + ")");
        t.let("h" + l, "mul(act" + l + ", up" + l + ")");
        t.let("down" + l, "matmul(h" + l + ", " + wd + ")");
        return t.let("x" + (l + 1), "add(" + x + ", down" + l + ")");
    }

    /** Megatron: one [H, 2I] fc1, a bias, split, silu * up; fuses to bias_swiglu. */
    private static String bias(Text t, int l, String x) {
        String w1 = t.input("w1_" + l, "[" + HIDDEN + ", " + 2 * INTERMEDIATE + "]");
        String b = t.input("b" + l, "[" + 2 * INTERMEDIATE + "]");
        String w2 = t.input("w2_" + l, "[" + INTERMEDIATE + ", " + HIDDEN + "]");
        t.let("fc" + l, "matmul(" + x + ", " + w1 + ")");
        t.let("z" + l, "add(fc" + l + ", " + b + ")");
        t.let("z" + l + "a, z" + l + "b", "split(z" + l + ", parts=2, axis=-1)");
        t.let("act" + l, "silu(z" + l + "a)");
        t.let("h" + l, "mul(act" + l + ", z" + l + "b)");
        t.let("down" + l, "matmul(h" + l + ", " + w2 + ")");
        return t.let("x" + (l + 1), "add(" + x + ", down" + l + ")");
    }

    /** A per-token weight on the SwiGLU of one [H, 2I] fc1; fuses to weighted_swiglu. */
    private static String weighted(Text t, int l, String x) {
        String w1 = t.input("w1_" + l, "[" + HIDDEN + ", " + 2 * INTERMEDIATE + "]");
        String r = t.input("r" + l, "[T, 1]");
        String w2 = t.input("w2_" + l, "[" + INTERMEDIATE + ", " + HIDDEN + "]");
        t.let("fc" + l, "matmul(" + x + ", " + w1 + ")");
        t.let("y" + l + "a, y" + l + "b", "split(fc" + l + ", parts=2, axis=-1)");
        t.let("act" + l, "silu(y" + l + "a)");
        t.let("h" + l, "mul(act" + l + ", y" + l + "b)");
        t.let("hw" + l, "mul(h" + l + ", " + r + ")");
        t.let("down" + l, "matmul(hw" + l + ", " + w2 + ")");
        return t.let("x" + (l + 1), "add(" + x + ", down" + l + ")");
    }

    /** Llama with SiLU spelled {@code gate * sigmoid(gate)}; fuses to gate_up_swiglu. */
    private static String sigmoid(Text t, int l, String x) {
        String wg = t.input("wg" + l, "[" + HIDDEN + ", " + INTERMEDIATE + "]");
        String wu = t.input("wu" + l, "[" + HIDDEN + ", " + INTERMEDIATE + "]");
        String wd = t.input("wd" + l, "[" + INTERMEDIATE + ", " + HIDDEN + "]");
        t.let("gate" + l, "matmul(" + x + ", " + wg + ")");
        t.let("up" + l, "matmul(" + x + ", " + wu + ")");
        t.let("sig" + l, "sigmoid(gate" + l + ")");
        t.let("act" + l, "mul(gate" + l + ", sig" + l + ")");
        t.let("h" + l, "mul(act" + l + ", up" + l + ")");
        t.let("down" + l, "matmul(h" + l + ", " + wd + ")");
        return t.let("x" + (l + 1), "add(" + x + ", down" + l + ")");
    }

    /** A router and {@link Kind#EXPERTS} Mixtral experts on one input, their weighted outputs summed. */
    private static String moe(Text t, int l, String x) {
        int e = Kind.EXPERTS;
        String wr = t.input("wr" + l, "[" + HIDDEN + ", " + e + "]");
        t.let("logits" + l, "matmul(" + x + ", " + wr + ")");
        List<String> routes = new ArrayList<>();
        for (int i = 0; i < e; i++) {
            routes.add("r" + l + "_" + i);
        }
        t.let(String.join(", ", routes), "split(logits" + l + ", parts=" + e + ", axis=-1)");
        String acc = x;
        for (int i = 0; i < e; i++) {
            String s = l + "_" + i;
            String w1 = t.input("w1_" + s, "[" + INTERMEDIATE + ", " + HIDDEN + "]");
            String w3 = t.input("w3_" + s, "[" + INTERMEDIATE + ", " + HIDDEN + "]");
            String w2 = t.input("w2_" + s, "[" + HIDDEN + ", " + INTERMEDIATE + "]");
            t.let("gate" + s, "linear(" + x + ", " + w1 + ")");
            t.let("up" + s, "linear(" + x + ", " + w3 + ")");
            t.let("act" + s, "silu(gate" + s + ")");
            t.let("h" + s, "mul(act" + s + ", up" + s + ")");
            t.let("down" + s, "linear(h" + s + ", " + w2 + ")");
            t.let("y" + s, "mul(down" + s + ", " + routes.get(i) + ")");
            acc = t.let(i == e - 1 ? "x" + (l + 1) : "acc" + s, "add(" + acc + ", y" + s + ")");
        }
        return acc;
    }

    /** The graph's text as it is built: inputs, statements, then the header around them. */
    private static final class Text {
        private final List<String> inputs = new ArrayList<>();
        private final StringBuilder body = new StringBuilder();

        String input(String name, String shape) {
            inputs.add("    " + name + ": f32" + shape);
            return name;
        }

        /** {@code names = expr}; returns the (first) name. */
        String let(String names, String expr) {
            body.append("  ").append(names).append(" = ").append(expr).append('\n');
            int comma = names.indexOf(',');
            return comma < 0 ? names : names.substring(0, comma);
        }

        String graph(String name, String out) {
            return "graph " + name + "(\n" + String.join(",\n", inputs) + "\n) -> (" + out + ": f32[T, " + HIDDEN + "]) {\n"
                    + body + "  return " + out + "\n}\n";
        }
    }
}
