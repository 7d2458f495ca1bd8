package dev.fusec.frontend.hf;

import dev.fusec.frontend.WeightBinding;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.SourcePos;
import dev.fusec.parse.IrParser;
import dev.fusec.runtime.Checkpoint;
import dev.fusec.runtime.Json;
import dev.fusec.runtime.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A Hugging Face model folder (config.json and its safetensors) becomes the FFN graph of one layer,
 * each weight bound to its checkpoint name with {@code {layer}} for the layer: every layer of a model
 * has the same MLP, so one graph serves them all ({@code --layer N|all} picks the weights).
 *
 * <ol>
 *   <li>config.json's {@code model_type} picks the family; one fusec does not know is an error naming
 *       it and the keys read.</li>
 *   <li>The family's sizes come from the config; every MLP tensor of every layer must be in the
 *       checkpoint with the shape the config implies (an error names the tensor, what the config
 *       makes its shape and what it is), all of one dtype fusec computes in (F32, BF16, F16).</li>
 *   <li>The graph is written as IR text in the family's own terms (HF's [out, in] {@code linear}
 *       weights, Phi-3's merged gate_up, Mixtral's experts, gpt-oss's interleaved [in, out] gate_up
 *       with bias, clamp and its activation), then parsed and type-checked like any other file.</li>
 * </ol>
 * Routing (softmax and top-k over the router's logits) is not an FFN op: the MoE graphs take the
 * routing weights as an input {@code routing [T, E]}, dense (zero for experts not chosen), and return
 * the router's logits beside the output, as HF's eval-mode gpt-oss computes its experts.
 */
public final class HfImport {
    private HfImport() {}

    /** The families fusec imports, by model_type. */
    public static final List<String> FAMILIES = List.of("llama", "mistral", "qwen2", "phi3", "mixtral", "gpt_oss");

    /** gpt-oss's activation scale: glu = gate * sigmoid(1.702 * gate), fixed in the model code, not in config.json. */
    public static final double GPT_OSS_ALPHA = 1.702;

    /** An imported model: the IR text and what it was made from. */
    public record Result(String modelType, String graphName, String ir, int layers, String dtype, long weightBytesPerLayer) {}

    public static Result read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CompileError(SourcePos.startOf(dir.toString()), "not a folder; fusec import reads a Hugging Face model folder"
                    + " (config.json and safetensors) or an .onnx file");
        }
        HfConfig cfg = HfConfig.read(dir.resolve("config.json"));
        String type = family(cfg);
        try (Checkpoint c = WeightBinding.open(dir)) {
            return build(cfg, type, c, dir);
        }
    }

    /** The family of a config: its model_type, if fusec imports it. */
    static String family(HfConfig cfg) {
        String type = cfg.string("model_type");
        cfg.has("architectures");
        if (!FAMILIES.contains(type)) {
            throw cfg.error("model_type " + Json.quote(type) + " is not a family fusec imports (it knows "
                    + String.join(", ", FAMILIES) + "); keys read: " + String.join(", ", cfg.keysRead()));
        }
        return type;
    }

    /** The import of a config whose family is known, against checkpoint {@code c} (the fuzzer's entry point). */
    public static Result build(HfConfig cfg, Checkpoint c, Path dir) {
        return build(cfg, family(cfg), c, dir);
    }

    private static Result build(HfConfig cfg, String type, Checkpoint c, Path dir) {
        Model m = new Model(cfg, c, type);
        String ir = switch (type) {
            case "llama", "mistral", "qwen2" -> m.dense(type.equals("llama") && cfg.bool("mlp_bias", false));
            case "phi3" -> m.phi3();
            case "mixtral" -> m.mixtral();
            case "gpt_oss" -> m.gptOss();
            default -> throw new IllegalStateException(type);
        };
        String text = m.header(dir) + ir;
        Graph g = IrParser.parse("imported.fir", text);
        ShapeInference.infer(g);
        return new Result(type, g.name(), text, m.layers, m.dtype, m.bytes / m.layers);
    }

    /** One model being imported: its sizes, its checkpoint, and the tensors checked so far. */
    private static final class Model {
        final HfConfig cfg;
        final Checkpoint c;
        final String type;
        final long hidden;
        final long inter;
        final int layers;
        final String act;
        String dtype;
        SafeTensors.DType stored;
        String firstTensor;
        long bytes;
        final java.util.Set<String> counted = new java.util.HashSet<>();
        final List<String> inputs = new ArrayList<>();

        Model(HfConfig cfg, Checkpoint c, String type) {
            this.cfg = cfg;
            this.c = c;
            this.type = type;
            this.hidden = cfg.integer("hidden_size", 1, 1 << 20);
            this.inter = cfg.integer("intermediate_size", 1, 1 << 22);
            this.layers = (int) cfg.integer("num_hidden_layers", 1, 10_000);
            String hiddenAct = cfg.optionalString("hidden_act").orElse("silu");
            this.act = switch (hiddenAct) {
                case "silu", "swish" -> "silu(%s)";
                case "gelu" -> "gelu(%s)";
                case "gelu_pytorch_tanh", "gelu_new" -> "gelu(%s, approximate=tanh)";
                default -> throw cfg.error("hidden_act " + Json.quote(hiddenAct) + " is not an activation fusec computes"
                        + " (silu, gelu, gelu_pytorch_tanh)");
            };
        }

        /**
         * A bound input: checks the tensor in every layer ({@code %d} in {@code name} stands for it) and,
         * with {@code index}, one entry of its first axis of {@code entries} (the experts).
         */
        String weight(String input, String name, long[] shape, int index, long entries) {
            long[] full = index < 0 ? shape : concat(entries, shape);
            for (int l = 0; l < (name.contains("%d") ? layers : 1); l++) {
                String n = name.contains("%d") ? String.format(Locale.ROOT, name, l) : name;
                check(n, full, l);
            }
            String template = name.replace("%d", "{layer}") + (index >= 0 ? "[" + index + "]" : "");
            inputs.add(input + ": %DT%" + Arrays.toString(shape) + " = weight(\"" + template + "\")");
            return input;
        }

        private void check(String name, long[] want, int layer) {
            SafeTensors.Entry e = c.entry(name).orElseThrow(() -> new CompileError(SourcePos.startOf(c.source().toString()),
                    "missing tensor " + Json.quote(name) + " (config.json: " + type + ", " + layers + " layers)"));
            Path file = c.fileOf(name).orElse(c.source());
            if (e.dtype() != SafeTensors.DType.F32 && e.dtype() != SafeTensors.DType.BF16 && e.dtype() != SafeTensors.DType.F16) {
                throw new CompileError(SourcePos.startOf(file.toString()), "tensor " + Json.quote(name) + " is " + e.dtype()
                        + "; fusec imports F32, BF16 and F16 weights");
            }
            if (stored == null) {
                stored = e.dtype();
                firstTensor = name;
                dtype = switch (stored) {
                    case F32 -> "f32";
                    case BF16 -> "bf16";
                    case F16 -> "f16";
                    default -> throw new IllegalStateException();
                };
            } else if (stored != e.dtype()) {
                throw new CompileError(SourcePos.startOf(file.toString()), "tensor " + Json.quote(name) + " is " + e.dtype()
                        + " but " + Json.quote(firstTensor) + " is " + stored + "; an MLP's weights must share one dtype");
            }
            if (!Arrays.equals(e.shape(), want)) {
                throw new CompileError(SourcePos.startOf(file.toString()), "tensor " + Json.quote(name) + " has shape "
                        + Arrays.toString(e.shape()) + " but config.json (hidden_size " + hidden + ", intermediate_size " + inter
                        + sizes() + ") makes it " + Arrays.toString(want));
            }
            if (counted.add(name)) {
                bytes += e.end() - e.begin();
            }
        }

        String sizes() {
            return cfg.has("num_local_experts") ? ", num_local_experts " + cfg.integer("num_local_experts", 1, 4096) : "";
        }

        String header(Path dir) {
            return "# Imported by fusec import from " + oneLine(dir.toString()) + ": model_type " + type + ", " + layers
                    + " layers, hidden_size " + hidden + ", intermediate_size " + inter + sizes() + ", " + stored + " weights.\n"
                    + "# The MLP of one layer; {layer} in each weight's name is chosen by --layer N (or --layer all, every\n"
                    + "# layer in turn): fusec run THIS.fir --weights " + oneLine(dir.toString()) + " --layer 0 --dim T=1\n";
        }

        private String graph(String name, String extraInputs, String outputs, List<String> body, String... returned) {
            StringBuilder sb = new StringBuilder("graph " + name + "(\n    x: " + dtype + "[T, " + hidden + "],\n");
            if (!extraInputs.isEmpty()) {
                sb.append("    ").append(extraInputs).append(",\n");
            }
            for (String in : inputs) {
                sb.append("    ").append(in.replace("%DT%", dtype)).append(",\n");
            }
            sb.append(") -> (").append(outputs).append(") {\n");
            body.forEach(line -> sb.append("  ").append(line).append('\n'));
            sb.append("  return ").append(String.join(", ", returned)).append("\n}\n");
            return sb.toString();
        }

        String dense(boolean bias) {
            String p = "model.layers.%d.mlp.";
            String g = weight("gate_proj", p + "gate_proj.weight", new long[] {inter, hidden}, -1, 0);
            String gb = bias ? ", " + weight("gate_proj_bias", p + "gate_proj.bias", new long[] {inter}, -1, 0) : "";
            String u = weight("up_proj", p + "up_proj.weight", new long[] {inter, hidden}, -1, 0);
            String ub = bias ? ", " + weight("up_proj_bias", p + "up_proj.bias", new long[] {inter}, -1, 0) : "";
            String d = weight("down_proj", p + "down_proj.weight", new long[] {hidden, inter}, -1, 0);
            String db = bias ? ", " + weight("down_proj_bias", p + "down_proj.bias", new long[] {hidden}, -1, 0) : "";
            return graph(type + "_mlp", "", "y: " + dtype + "[T, " + hidden + "]", List.of(
                    "# HF " + type + " MLP: down_proj(act(gate_proj(x)) * up_proj(x)), nn.Linear weights [out, in]",
                    "gate = linear(x, " + g + gb + ")",
                    "up = linear(x, " + u + ub + ")",
                    "h = mul(" + act.formatted("gate") + ", up)",
                    "y = linear(h, " + d + db + ")"), "y");
        }

        String phi3() {
            String p = "model.layers.%d.mlp.";
            String gu = weight("gate_up_proj", p + "gate_up_proj.weight", new long[] {2 * inter, hidden}, -1, 0);
            String d = weight("down_proj", p + "down_proj.weight", new long[] {hidden, inter}, -1, 0);
            return graph("phi3_mlp", "", "y: " + dtype + "[T, " + hidden + "]", List.of(
                    "# HF Phi-3 MLP: one merged gate_up_proj [2I, H], gate first (chunk(2, dim=-1))",
                    "gate_up = linear(x, " + gu + ")",
                    "gate, up = split(gate_up, parts=2, axis=-1)",
                    "h = mul(" + act.formatted("gate") + ", up)",
                    "y = linear(h, " + d + ")"), "y");
        }

        String mixtral() {
            long experts = cfg.integer("num_local_experts", 1, 4096);
            String p = "model.layers.%d.block_sparse_moe.";
            String router = weight("router", p + "gate.weight", new long[] {experts, hidden}, -1, 0);
            List<String> body = new ArrayList<>(List.of(
                    "# HF Mixtral sparse MoE block, experts computed densely and weighted by routing [T, E]",
                    "# (softmax over the router's logits, top-k, renormalised: not FFN ops, so an input here)",
                    "router_logits = linear(x, " + router + ")",
                    splitRouting(experts)));
            List<String> terms = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                String q = p + "experts." + e + ".";
                String w1 = weight("w1_" + e, q + "w1.weight", new long[] {inter, hidden}, -1, 0);
                String w3 = weight("w3_" + e, q + "w3.weight", new long[] {inter, hidden}, -1, 0);
                String w2 = weight("w2_" + e, q + "w2.weight", new long[] {hidden, inter}, -1, 0);
                body.add("h" + e + " = mul(" + act.formatted("linear(x, " + w1 + ")") + ", linear(x, " + w3 + "))");
                body.add("y" + e + " = mul(linear(h" + e + ", " + w2 + "), r" + e + ")");
                terms.add("y" + e);
            }
            body.addAll(sum(terms));
            return graph("mixtral_moe", "routing: " + dtype + "[T, " + experts + "]",
                    "y: " + dtype + "[T, " + hidden + "], router_logits: " + dtype + "[T, " + experts + "]", body, "y", "router_logits");
        }

        String gptOss() {
            long experts = cfg.integer("num_local_experts", 1, 4096);
            double limit = cfg.number("swiglu_limit", 7.0);
            if (!(limit > 0)) {
                throw cfg.error("\"swiglu_limit\" must be positive, got " + limit);
            }
            String p = "model.layers.%d.mlp.";
            String router = weight("router", p + "router.weight", new long[] {experts, hidden}, -1, 0);
            String routerBias = weight("router_bias", p + "router.bias", new long[] {experts}, -1, 0);
            String lim = Double.toString(limit);
            List<String> body = new ArrayList<>(List.of(
                    "# HF gpt-oss MoE: gate_up_proj [E, in, out] with bias, gate and up interleaved [g0, u0, g1, u1, ..],",
                    "# gate clamped above at swiglu_limit, up to [-limit, limit], h = (up + 1) * gate * sigmoid(1.702 * gate);",
                    "# experts computed densely and weighted by routing [T, E] (top-k of the logits, softmax: an input here)",
                    "router_logits = linear(x, " + router + ", " + routerBias + ")",
                    splitRouting(experts),
                    "one = const(value=1.0" + (dtype.equals("f32") ? "" : ", dtype=" + dtype) + ")"));
            List<String> terms = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                String q = p + "experts.";
                String gu = weight("gate_up_" + e, q + "gate_up_proj", new long[] {hidden, 2 * inter}, e, experts);
                String gub = weight("gate_up_bias_" + e, q + "gate_up_proj_bias", new long[] {2 * inter}, e, experts);
                String dn = weight("down_" + e, q + "down_proj", new long[] {inter, hidden}, e, experts);
                String dnb = weight("down_bias_" + e, q + "down_proj_bias", new long[] {hidden}, e, experts);
                body.add("z" + e + " = add(matmul(x, " + gu + "), " + gub + ")");
                body.add("g" + e + ", u" + e + " = split(reshape(z" + e + ", shape=[T, " + inter + ", 2]), parts=2, axis=-1)");
                body.add("gate" + e + " = clamp(reshape(g" + e + ", shape=[T, " + inter + "]), max=" + lim + ")");
                body.add("up" + e + " = clamp(reshape(u" + e + ", shape=[T, " + inter + "]), min=-" + lim + ", max=" + lim + ")");
                body.add("h" + e + " = mul(add(up" + e + ", one), swish(gate" + e + ", alpha=" + GPT_OSS_ALPHA + "))");
                body.add("y" + e + " = mul(add(matmul(h" + e + ", " + dn + "), " + dnb + "), r" + e + ")");
                terms.add("y" + e);
            }
            body.addAll(sum(terms));
            return graph("gpt_oss_moe", "routing: " + dtype + "[T, " + experts + "]",
                    "y: " + dtype + "[T, " + hidden + "], router_logits: " + dtype + "[T, " + experts + "]", body, "y", "router_logits");
        }

        private static String splitRouting(long experts) {
            List<String> names = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                names.add("r" + e);
            }
            return experts == 1 ? "r0 = reshape(routing, shape=[T, 1])"
                    : String.join(", ", names) + " = split(routing, parts=" + experts + ", axis=-1)";
        }

        private static List<String> sum(List<String> terms) {
            List<String> lines = new ArrayList<>();
            String acc = terms.get(0);
            for (int i = 1; i < terms.size(); i++) {
                String next = i == terms.size() - 1 ? "y" : "s" + i;
                lines.add(next + " = add(" + acc + ", " + terms.get(i) + ")");
                acc = next;
            }
            if (terms.size() == 1) {
                lines.add("y = reshape(" + acc + ", shape=[T, -1])");
            }
            return lines;
        }

        private static long[] concat(long head, long[] tail) {
            long[] out = new long[tail.length + 1];
            out[0] = head;
            System.arraycopy(tail, 0, out, 1, tail.length);
            return out;
        }
    }

    /** A path in a comment: one line, whatever it holds. */
    static String oneLine(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.append(cp < 0x20 || cp == 0x7f ? "?" : new String(Character.toChars(cp))));
        return sb.toString();
    }
}
