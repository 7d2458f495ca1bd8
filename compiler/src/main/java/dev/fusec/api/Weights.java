package dev.fusec.api;

import dev.fusec.frontend.WeightBinding;
import dev.fusec.runtime.Checkpoint;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A model's weights in safetensors (one file, or a folder with {@code model.safetensors} or a sharded
 * set and its index), memory-mapped and never copied whole onto the heap. {@link #bind} gives the
 * tensors a graph's {@code = weight("NAME")} inputs name, for one layer, each checked against its
 * declaration (present, same dtype, same shape) before anything runs; pass them to
 * {@link CompiledModel#withWeights}. Kernels read bf16 and f16 weights at 16 bits. Close it when the
 * models using its tensors are closed: the files are unmapped.
 *
 * <pre>{@code
 * try (Weights w = Weights.open(Path.of("TinyLlama"));
 *      CompiledModel m = g.compile(Mode.FUSED).withWeights(w.bind(g, 3))) {   // layer 3
 *     Outputs out = m.run(Map.of("x", x));
 * }
 * }</pre>
 */
public final class Weights implements AutoCloseable {
    private final Path source;
    private final Checkpoint checkpoint;

    private Weights(Path source, Checkpoint checkpoint) {
        this.source = source;
        this.checkpoint = checkpoint;
    }

    /** Maps the checkpoint at {@code fileOrDir}; a bad one is a {@link FusecException} naming the file at fault. */
    public static Weights open(Path fileOrDir) {
        return FusecException.translate(() -> new Weights(fileOrDir, WeightBinding.open(fileOrDir)));
    }

    /** The tensors of layer {@code layer} for every bound input of {@code g}, by input name. */
    public Map<String, Tensor> bind(FusecGraph g, int layer) {
        return bind(g, OptionalInt.of(layer));
    }

    /** As {@link #bind(FusecGraph, int)}, for a graph whose weight names name no layer. */
    public Map<String, Tensor> bind(FusecGraph g) {
        return bind(g, OptionalInt.empty());
    }

    private Map<String, Tensor> bind(FusecGraph g, OptionalInt layer) {
        return FusecException.translate(() -> {
            Map<String, Tensor> out = new LinkedHashMap<>();
            WeightBinding.bind(g.graph(), checkpoint, layer).forEach((k, v) -> out.put(k, Tensor.wrap(v)));
            return out;
        });
    }

    /** The layers a whole model has ({@code --layer all}): from the folder's config.json, else those in the checkpoint. */
    public List<Integer> layers(FusecGraph g) {
        return FusecException.translate(() -> WeightBinding.allLayers(g.graph(), checkpoint, source));
    }

    /** Bytes of tensor data in the checkpoint. */
    public long bytes() {
        return checkpoint.dataBytes();
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
