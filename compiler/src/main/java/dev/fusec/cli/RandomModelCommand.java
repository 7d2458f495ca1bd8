package dev.fusec.cli;

import dev.fusec.runtime.SafeTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code fusec random-model DIR}: a Hugging Face folder of a Llama-style model's FFN weights, random
 * (uniform in [-1, 1) times 1/sqrt(fan-in), a function of the seed and each tensor's name) at any size
 * and dtype, for benchmarks at real model sizes without downloading one (the bench suite's TinyLlama
 * stack: {@code --layers 22 --hidden 2048 --intermediate 5632}). Only the MLP tensors are written;
 * {@code fusec import} reads nothing else. The same seed gives the same model in every dtype (bf16 and
 * f16 are the f32 values rounded), so dtypes can be set side by side.
 */
@Command(name = "random-model", description = "Write a random Llama-style model folder (config.json + FFN weights in safetensors) for benchmarks.")
final class RandomModelCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "the folder to write (made if missing)")
    Path dir;

    @Option(names = "--family", defaultValue = "llama", description = "llama, mistral or qwen2 (the same MLP). Default: ${DEFAULT-VALUE}")
    String family;

    @Option(names = "--layers", defaultValue = "22", description = "num_hidden_layers. Default: ${DEFAULT-VALUE}")
    int layers;

    @Option(names = "--hidden", defaultValue = "2048", description = "hidden_size. Default: ${DEFAULT-VALUE}")
    int hidden;

    @Option(names = "--intermediate", defaultValue = "5632", description = "intermediate_size. Default: ${DEFAULT-VALUE}")
    int intermediate;

    @Option(names = "--dtype", defaultValue = "bf16", description = "f32, bf16 or f16. Default: ${DEFAULT-VALUE}")
    String dtype;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}")
    long seed;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!List.of("llama", "mistral", "qwen2").contains(family)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--family must be llama, mistral or qwen2, got '" + family + "'");
        }
        SafeTensors.DType type = switch (dtype) {
            case "f32" -> SafeTensors.DType.F32;
            case "bf16" -> SafeTensors.DType.BF16;
            case "f16" -> SafeTensors.DType.F16;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--dtype must be f32, bf16 or f16, got '" + dtype + "'");
        };
        if (layers < 1 || layers > 1000 || hidden < 1 || hidden > 65536 || intermediate < 1 || intermediate > 262144
                || (long) hidden * intermediate > Integer.MAX_VALUE - 8) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--layers must be 1..1000, --hidden 1..65536, --intermediate 1..262144, and one weight at most 2^31 elements");
        }
        Files.createDirectories(dir);
        List<SafeTensors.Item> items = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".mlp.";
            items.add(item(p + "gate_proj.weight", type, intermediate, hidden));
            items.add(item(p + "up_proj.weight", type, intermediate, hidden));
            items.add(item(p + "down_proj.weight", type, hidden, intermediate));
        }
        String config = String.format(Locale.ROOT, """
                {
                  "model_type": "%s",
                  "architectures": ["%s"],
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "num_hidden_layers": %d,
                  "hidden_act": "silu",
                  "dtype": "%s",
                  "fusec_note": "random FFN weights from fusec random-model, seed %d; no attention, embeddings or norms"
                }
                """, family, switch (family) {
                    case "mistral" -> "MistralForCausalLM";
                    case "qwen2" -> "Qwen2ForCausalLM";
                    default -> "LlamaForCausalLM";
                }, hidden, intermediate, layers, switch (type) {
                    case F32 -> "float32";
                    case BF16 -> "bfloat16";
                    default -> "float16";
                }, seed);
        Path weights = dir.resolve("model.safetensors");
        Path cfg = dir.resolve("config.json");
        try (OutputPaths written = new OutputPaths().claim(weights).claim(cfg)) {
            written.put(weights, SafeTensors.content(items, Map.of("format", "pt")));
            byte[] text = config.getBytes(StandardCharsets.UTF_8);
            written.put(cfg, out -> out.write(text));
            written.commit();
        }
        long bytes = (long) layers * 3 * hidden * intermediate * type.bytes();
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %s, %d layers, hidden %d, intermediate %d, %s FFN weights, %.1f MiB%n",
                dir, family, layers, hidden, intermediate, type, bytes / 1048576.0);
        return 0;
    }

    /** A [rows, cols] weight, values streamed as they are drawn (never a whole tensor on the heap). */
    private SafeTensors.Item item(String name, SafeTensors.DType type, int rows, int cols) {
        double scale = 1 / Math.sqrt(cols);
        return new SafeTensors.Item(name, type, new long[] {rows, cols}, out -> {
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            long n = (long) rows * cols;
            for (long i = 0; i < n; i++) {
                float v = (float) ((rng.nextDouble() * 2 - 1) * scale);
                switch (type) {
                    case F32 -> b.putFloat(v);
                    case BF16 -> b.putShort(dev.fusec.runtime.Rounding.bf16Bits(v));
                    default -> b.putShort(Float.floatToFloat16(v));
                }
                if (b.remaining() < 4) {
                    out.write(b.array(), 0, b.position());
                    b.clear();
                }
            }
            out.write(b.array(), 0, b.position());
        });
    }
}
