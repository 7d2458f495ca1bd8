package dev.fusec.frontend;

import dev.fusec.frontend.hf.HfConfig;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.DType;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.ir.SourcePos;
import dev.fusec.ir.WeightRef;
import dev.fusec.runtime.Checkpoint;
import dev.fusec.runtime.Json;
import dev.fusec.runtime.SafeTensors;
import dev.fusec.runtime.StoredTensor;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Binds a graph's {@code = weight("NAME")} inputs to a checkpoint's tensors, for one layer, and checks
 * every one before anything runs: the tensor exists, its dtype is the declared one (a bf16 input takes
 * BF16, nothing is converted), its shape is the declared one. The tensors stay mapped; what comes back
 * are {@link Tensor#stored} views.
 */
public final class WeightBinding {
    private WeightBinding() {}

    /** Opens {@code source} (a .safetensors file or a model folder); a bad checkpoint is a CompileError naming its file. */
    public static Checkpoint open(Path source) {
        try {
            return Checkpoint.open(source);
        } catch (NoSuchFileException e) {
            throw new CompileError(SourcePos.startOf(source.toString()), "no such file or folder");
        } catch (SafeTensors.SafeTensorsException e) {
            throw error(e.file() != null ? e.file() : source, e.getMessage());
        } catch (IOException e) {
            throw error(source, "cannot read: " + e.getMessage());
        }
    }

    /** The weights of {@code layer} (empty: the graph must have no per-layer names) for every bound input, by input name. */
    public static Map<String, Tensor> bind(Graph g, Checkpoint c, OptionalInt layer) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Param p : g.inputs()) {
            if (p.weight().isEmpty()) {
                continue;
            }
            WeightRef w = p.weight().get();
            if (w.perLayer() && layer.isEmpty()) {
                throw new CompileError(p.pos(), "input '" + p.name() + "' is bound to " + w + ", which names a layer; pass --layer N or --layer all");
            }
            String name = w.tensor(layer);
            String input = "input '" + p.name() + "' of graph " + g.name() + (w.perLayer() ? ", layer " + layer.getAsInt() : "");
            SafeTensors.Entry e = c.entry(name).orElseThrow(() -> error(c.source(), "missing tensor " + Json.quote(name)
                    + " (" + input + ")" + nearest(c, name)));
            Path file = c.fileOf(name).orElse(c.source());
            if (!accepts(p.type().dtype(), e.dtype())) {
                throw error(file, "tensor " + Json.quote(name) + " is " + e.dtype() + "; " + input + " is declared "
                        + p.type() + ", which does not accept " + e.dtype());
            }
            long[] shape = e.shape();
            if (w.index().isPresent()) {
                int i = w.index().getAsInt();
                if (shape.length == 0 || i >= shape[0]) {
                    throw error(file, "tensor " + Json.quote(name) + " has shape " + Arrays.toString(shape) + ": no entry " + i
                            + " on its first axis (" + input + ")");
                }
                shape = Arrays.copyOfRange(shape, 1, shape.length);
            }
            long[] want = p.type().shape().dims().stream().mapToLong(Dim::value).toArray();
            if (!Arrays.equals(shape, want)) {
                throw error(file, "tensor " + Json.quote(name) + (w.index().isPresent() ? "[" + w.index().getAsInt() + "]" : "")
                        + " has shape " + Arrays.toString(shape) + "; " + input + " expects " + Arrays.toString(want));
            }
            StoredTensor t = c.tensor(name).orElseThrow();
            if (w.index().isPresent()) {
                t = t.slice(w.index().getAsInt());
            }
            out.put(p.name(), Tensor.stored(t));
        }
        return out;
    }

    /**
     * The layers {@code --layer all} runs: the folder's config.json {@code num_hidden_layers} where it
     * has one, else every layer from 0 up whose tensors are in the checkpoint (at least one).
     */
    public static List<Integer> allLayers(Graph g, Checkpoint c, Path source) {
        Optional<Param> perLayer = g.inputs().stream().filter(p -> p.weight().map(WeightRef::perLayer).orElse(false)).findFirst();
        if (perLayer.isEmpty()) {
            throw new CompileError(g.pos(), "--layer all: no input of graph " + g.name() + " names a layer ({layer} in its weight name)");
        }
        Path config = Files.isDirectory(source) ? source.resolve("config.json") : null;
        List<Integer> layers = new ArrayList<>();
        if (config != null && Files.exists(config)) {
            long n = HfConfig.read(config).integer("num_hidden_layers", 1, 100_000);
            for (int l = 0; l < n; l++) {
                layers.add(l);
            }
            return layers;
        }
        WeightRef w = perLayer.get().weight().get();
        for (int l = 0; l < 100_000 && c.entry(w.tensor(OptionalInt.of(l))).isPresent(); l++) {
            layers.add(l);
        }
        if (layers.isEmpty()) {
            throw error(c.source(), "missing tensor " + Json.quote(w.tensor(OptionalInt.of(0))) + " (input '" + perLayer.get().name()
                    + "', layer 0): --layer all finds no layer");
        }
        return layers;
    }

    /** Whether a checkpoint tensor of {@code stored} type binds to an input declared {@code declared}: the same type only. */
    public static boolean accepts(DType declared, SafeTensors.DType stored) {
        return switch (declared) {
            case F32 -> stored == SafeTensors.DType.F32;
            case BF16 -> stored == SafeTensors.DType.BF16;
            case F16 -> stored == SafeTensors.DType.F16;
            case F8E4M3 -> false;
        };
    }

    /**
     * A hint for a missing name: the checkpoint's names that share its parent (the name less its last
     * two parts, {@code model.layers.0.mlp.}), at most two; else the same name in another layer.
     */
    private static String nearest(Checkpoint c, String name) {
        String[] parts = name.split("\\.");
        List<String> near = new ArrayList<>();
        if (parts.length > 2) {
            String parent = String.join(".", Arrays.copyOf(parts, parts.length - 2)) + ".";
            c.names().stream().filter(n -> n.startsWith(parent)).sorted().limit(2).forEach(near::add);
        }
        if (near.isEmpty()) {
            String anyLayer = name.replaceAll("\\.[0-9]+\\.", ".[0-9]+.").replace(".", "\\.").replace("\\.[0-9]+\\.", "\\.[0-9]+\\.");
            c.names().stream().filter(n -> n.matches(anyLayer)).sorted().limit(1).forEach(near::add);
        }
        return near.isEmpty() ? "" : "; the checkpoint has " + String.join(", ", near.stream().map(Json::quote).toList());
    }

    static CompileError error(Path file, String message) {
        return new CompileError(SourcePos.startOf(file.toString()), message);
    }
}
