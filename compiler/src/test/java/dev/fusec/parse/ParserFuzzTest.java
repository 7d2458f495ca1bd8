package dev.fusec.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the front end: random bytes, token soups over the IR alphabet, and mutations of
 * valid graphs. Every input must either parse and type-check or fail with a {@link CompileError}
 * whose one-line rendering points into the input ({@link FrontEndContract}); anything else (an
 * unchecked exception, a stack overflow, a hang) is a bug. Inputs that parse must also survive the
 * printer round trip. {@link IrParserFuzzer} checks the same contract, guided by coverage.
 * Deterministic: the seeds are fixed, so a failure reproduces.
 */
class ParserFuzzTest {
    private static final Duration BATCH_LIMIT = Duration.ofSeconds(60);

    /** Valid graphs covering the whole vocabulary; the mutations start from these. */
    static final List<String> SEEDS = List.of(
            """
            # Llama-style FFN block
            graph llama_ffn(x: f32[T, 64], w_gate: f32[64, 128], w_up: f32[64, 128], w_down: f32[128, 64])
                -> (y: f32[T, 64]) {
              gate = matmul(x, w_gate)
              up   = matmul(x, w_up)
              act  = silu(gate)
              h    = mul(act, up)
              y    = matmul(h, w_down)
              return y
            }
            """,
            """
            graph megatron(y: f32[S, B, 32], bias: f32[32]) -> (out: f32[S, B, 16]) {
              z = add(y, bias)
              z1, z2 = split(z, parts=2, axis=-1)
              out = mul(silu(z1), z2)
              return out
            }
            """,
            """
            graph fused(x: bf16[T, 8], wg: bf16[16, 8], wu: bf16[16, 8], b: bf16[32], w: bf16[T, 1])
                -> (a: bf16[T, 16], c: bf16[T, 16], d: bf16[T, 16]) {
              gu = gate_up(x, wg, wu, transpose_b=true, layout=interleaved)
              a = swiglu(gu, layout=swapped, limit=7.0)
              c = gate_up_swiglu(x, wg, wu, transpose_b=true, fp8_input_store=true)
              d = weighted_bias_swiglu(gu, b, w, cpu_offload_input=true)
              return a, c, d
            }
            """,
            """
            graph back(g: f16[T, 4], y: f16[T, 8], b: f16[8], w: f16[T, 1])
                -> (dy: f16[T, 8], db: f16[8], dy2: f16[T, 8], dw: f16[T, 1], dy3: f16[T, 8]) {
              dy, db = bias_swiglu_back(g, y, b, limit=3.5)
              dy2, dw = weighted_swiglu_back(g, y, w, layout=interleaved)
              dy3 = swiglu_back(g, y, fp8_input_store=true)
              return dy, db, dy2, dw, dy3
            }
            """,
            """
            graph shapes(x: f32[S, B, 12], w: f32[6, 12], bias: f32[6]) -> (r: f32[6, S*B], c: f32[S*B, 12]) {
              f = reshape(x, shape=[S*B, -1])
              l = linear(f, w, bias)
              k = clamp(l, min=-1.5, max=2)
              t = transpose(sigmoid(k), perm=[1, 0])
              r = sub(t, t)
              p, q = split(f, sizes=[4, 8], axis=1)
              c = concat(p, q, axis=-1)
              return r, c
            }
            """,
            """
            graph graph(graph: f8e4m3[T, 8], return: f8e4m3[T, 1]) -> (out: f8e4m3[2*T, 8], flat: f8e4m3[4*T]) {
              s = weighted_swiglu(graph, sigmoid(return), limit=1e2)
              flat = reshape(s, shape=[-1])
              out = concat(graph, graph, axis=0)
              return out, flat
            }
            """);

    /** The IR alphabet: every keyword, punctuation mark, op, attribute and a few awkward literals. */
    private static final List<String> ALPHABET = List.of(
            "graph", "return", "(", ")", "[", "]", "{", "}", ",", ":", "=", "->", "-", "*", "#", "\n", " ",
            "x", "y", "w", "T", "S", "B", "g", "out", "_", "graph g(", ") -> (", ") {",
            "f32", "bf16", "f16", "f8e4m3", "f64", "f32[T, 8]", "f32[]",
            "matmul", "linear", "add", "sub", "mul", "silu", "sigmoid", "clamp", "split", "concat", "reshape",
            "transpose", "swiglu", "bias_swiglu", "weighted_swiglu", "weighted_bias_swiglu", "gate_up",
            "gate_up_swiglu", "swiglu_back", "bias_swiglu_back", "weighted_swiglu_back", "sliu", "gelu", "approximate",
            "tanh", "none", "act", "gelu_tanh",
            "transpose_b", "min", "max", "parts", "sizes", "axis", "shape", "perm", "layout", "limit",
            "fp8_input_store", "cpu_offload_input", "halves", "swapped", "interleaved", "true", "false",
            "0", "1", "2", "-1", "4096", "9223372036854775807", "99999999999999999999", "1.5", "1e309", ".5",
            "2.", "1e-3", "S*B", "2*T", "\u00e9", "\u0000", "\t", "@", ";");

    @Test
    void randomBytesAndTokenSoupsFailCleanly() {
        assertTimeoutPreemptively(BATCH_LIMIT, () -> {
            Outcomes o = new Outcomes();
            SplittableRandom rng = new SplittableRandom(0x5EED_0001L);
            for (int i = 0; i < 3000; i++) {
                byte[] bytes = new byte[rng.nextInt(200)];
                for (int k = 0; k < bytes.length; k++) {
                    // Mostly printable ASCII so the lexer gets past the first byte, some anything.
                    bytes[k] = (byte) (rng.nextInt(4) == 0 ? rng.nextInt(256) : 0x20 + rng.nextInt(0x5f));
                }
                o.check(bytes);
            }
            for (int i = 0; i < 3000; i++) {
                StringBuilder sb = new StringBuilder();
                // Half of the soups sit inside a valid header, so the parser reaches the statements.
                boolean framed = rng.nextBoolean();
                if (framed) {
                    sb.append("graph g(x: f32[T, 8], w: f32[8, 8]) -> (y: f32[T, 8]) {\n");
                }
                int n = rng.nextInt(60);
                for (int k = 0; k < n; k++) {
                    sb.append(ALPHABET.get(rng.nextInt(ALPHABET.size()))).append(rng.nextInt(3) == 0 ? " " : "");
                }
                if (framed) {
                    sb.append("\n  return y\n}\n");
                }
                o.check(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
            o.assertClean();
            // The generators must reach both outcomes, or they test nothing.
            assertTrue(o.errors > 5000, "errors: " + o.errors);
        });
    }

    @Test
    void mutationsOfValidGraphsFailCleanly() {
        assertTimeoutPreemptively(BATCH_LIMIT, () -> {
            Outcomes o = new Outcomes();
            for (String seed : SEEDS) {
                Graph g = IrParser.parse("fuzz.fir", seed);
                ShapeInference.infer(g);
            }
            SplittableRandom rng = new SplittableRandom(0x5EED_0002L);
            for (int i = 0; i < 6000; i++) {
                String seed = SEEDS.get(rng.nextInt(SEEDS.size()));
                String mutated = mutate(seed, rng, 1 + rng.nextInt(3));
                o.check(mutated.getBytes(StandardCharsets.UTF_8));
            }
            o.assertClean();
            assertTrue(o.errors > 1000, "errors: " + o.errors);
            assertTrue(o.successes > 50, "successes: " + o.successes);
        });
    }

    @Test
    void hugeWidthsFailCleanly() {
        // Quadratic work on a wide input is a hang by another name: huge ranks, products, lists and names.
        assertTimeoutPreemptively(BATCH_LIMIT, () -> {
            Outcomes o = new Outcomes();
            int n = 50_000;
            List<String> wide = List.of(
                    "x: f32[" + "T, ".repeat(n) + "8]",
                    "x: f32[" + "T*".repeat(n) + "8]",
                    "x: f32[" + "S*B, ".repeat(n) + "8]");
            for (String w : wide) {
                o.check(("graph g(" + w + ") -> (y: f32[4]) {\n  y = silu(x)\n  return y\n}\n").getBytes(StandardCharsets.UTF_8));
            }
            String body = "graph g(x: f32[T, 8]) -> (x: f32[T, 8]) {\n  %s\n  return x\n}\n";
            List<String> stmts = List.of(
                    "r = reshape(x, shape=[" + "1, ".repeat(n) + "T, 8])",
                    "r = reshape(x, shape=[" + "T*".repeat(n) + "8])",
                    "r = transpose(x, perm=[" + "0, ".repeat(n) + "1])",
                    "r = concat(" + "x, ".repeat(n) + "x, axis=0)",
                    "a = split(x, sizes=[" + "1, ".repeat(n) + "1])",
                    "r = " + "q".repeat(2_000_000) + "(x)",
                    "r = silu(" + "q".repeat(2_000_000) + ")",
                    "r = clamp(x, min=" + "9".repeat(n) + ")",
                    "r = clamp(x, min=0." + "9".repeat(n) + ")");
            for (String st : stmts) {
                o.check(body.formatted(st).getBytes(StandardCharsets.UTF_8));
            }
            o.assertClean();
        });
    }

    @Test
    void deepNestingAnywhereFailsCleanly() {
        assertTimeoutPreemptively(BATCH_LIMIT, () -> {
            Outcomes o = new Outcomes();
            SplittableRandom rng = new SplittableRandom(0x5EED_0003L);
            for (int i = 0; i < 60; i++) {
                String seed = SEEDS.get(rng.nextInt(SEEDS.size()));
                List<String> tokens = tokens(seed);
                int depth = List.of(200, 255, 256, 257, 1000, 50_000).get(rng.nextInt(6));
                String open = List.of("silu(", "(", "[", "reshape(", "mul(x, ").get(rng.nextInt(5));
                String close = open.equals("[") ? "]" : ")";
                int at = rng.nextInt(tokens.size() + 1);
                tokens.add(at, open.repeat(depth) + (rng.nextBoolean() ? "x" : "") + close.repeat(rng.nextInt(depth + 1)));
                o.check(String.join("", tokens).getBytes(StandardCharsets.UTF_8));
            }
            o.assertClean();
        });
    }

    // ---- generators ----

    private static final Pattern TOKEN = Pattern.compile("#[^\\n]*|->|[A-Za-z_][A-Za-z0-9_]*|[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?|\\s+|.",
            Pattern.DOTALL);

    /** The text cut into lexical pieces (whitespace and comments kept), so joining them gives it back. */
    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        assertEquals(text, String.join("", out));
        return out;
    }

    private static final Pattern BRACKETS = Pattern.compile("\\[[^\\[\\]]*\\]");
    private static final List<String> SHAPES = List.of("[]", "[1]", "[0]", "[T]", "[8]", "[T, 1]", "[T, 8, 8]",
            "[S*B, 2*T]", "[-1, -1]", "[1, 0]", "[99999999999, 99999999999]", "[4611686018427387904, 4]");

    static String mutate(String text, SplittableRandom rng, int steps) {
        List<String> t = tokens(text);
        String out = null;
        for (int s = 0; s < steps; s++) {
            if (t.isEmpty()) {
                break;
            }
            int i = rng.nextInt(t.size());
            switch (rng.nextInt(8)) {
                case 0 -> t.remove(i);
                case 1 -> t.add(i, t.get(rng.nextInt(t.size())));
                case 2 -> {
                    int j = rng.nextInt(t.size());
                    String a = t.get(i);
                    t.set(i, t.get(j));
                    t.set(j, a);
                }
                case 3 -> t.set(i, ALPHABET.get(rng.nextInt(ALPHABET.size())));
                case 4 -> {
                    // Flip one character somewhere.
                    String joined = String.join("", t);
                    char[] cs = joined.toCharArray();
                    if (cs.length > 0) {
                        int k = rng.nextInt(cs.length);
                        cs[k] = (char) (cs[k] ^ (1 << rng.nextInt(7)));
                    }
                    t = tokens(new String(cs));
                }
                case 6 -> {
                    // Replace one bracketed list (a type's shape, sizes=, perm=, shape=) by another.
                    String joined = String.join("", t);
                    Matcher m = BRACKETS.matcher(joined);
                    List<int[]> spans = new ArrayList<>();
                    while (m.find()) {
                        spans.add(new int[] {m.start(), m.end()});
                    }
                    if (!spans.isEmpty()) {
                        int[] span = spans.get(rng.nextInt(spans.size()));
                        t = tokens(joined.substring(0, span[0]) + SHAPES.get(rng.nextInt(SHAPES.size()))
                                + joined.substring(span[1]));
                    }
                }
                case 5 -> out = String.join("", t).substring(0, rng.nextInt(String.join("", t).length() + 1));
                default -> t.set(i, t.get(i) + t.get(rng.nextInt(t.size())));
            }
            if (out != null) {
                return out;
            }
        }
        return String.join("", t);
    }

    /** Counts outcomes and keeps the inputs that broke the {@link FrontEndContract}. */
    private static final class Outcomes {
        int successes;
        int errors;
        final List<String> failures = new ArrayList<>();

        void check(byte[] input) {
            try {
                if (FrontEndContract.check(input)) {
                    successes++;
                } else {
                    errors++;
                }
            } catch (FrontEndContract.Broken broken) {
                failures.add(broken.getMessage());
            }
        }

        void assertClean() {
            if (!failures.isEmpty()) {
                fail(failures.size() + " input(s) broke the contract; first ones:\n"
                        + String.join("\n----\n", failures.subList(0, Math.min(5, failures.size()))));
            }
        }
    }
}
