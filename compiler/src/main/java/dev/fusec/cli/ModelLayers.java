package dev.fusec.cli;

import dev.fusec.api.CompiledModel;
import dev.fusec.api.FusecGraph;
import dev.fusec.api.Outputs;
import dev.fusec.api.Tensor;
import dev.fusec.api.TensorSpec;
import dev.fusec.api.Weights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What {@code --weights FILE|DIR} and {@code --layer N|all} give {@code run} and {@code bench}: the
 * checkpoint mapped, and the weights of every layer to run bound and checked (present, dtype, shape)
 * before any kernel runs. With {@code all}, layer l + 1 reads layer l's first output where the graph
 * has an unbound input of its type (the hidden state), as a decode step runs the FFN of each layer in turn.
 */
final class ModelLayers implements AutoCloseable {
    /** The {@code --layer} flag: every layer, one, or none given. */
    record Choice(boolean all, OptionalInt layer) {}

    private final Weights weights;
    private final Path source;
    private final List<Integer> layers;
    private final List<Map<String, Tensor>> bound;

    private ModelLayers(Weights weights, Path source, List<Integer> layers, List<Map<String, Tensor>> bound) {
        this.weights = weights;
        this.source = source;
        this.layers = layers;
        this.bound = bound;
    }

    static Choice choice(GraphFile file, Path weights, String layer) {
        if (layer == null) {
            return new Choice(false, OptionalInt.empty());
        }
        if (weights == null) {
            throw file.usage("--layer goes with --weights");
        }
        if (layer.equals("all")) {
            return new Choice(true, OptionalInt.empty());
        }
        if (!layer.matches("[0-9]{1,6}")) {
            throw file.usage("--layer expects a layer number or all, got '" + layer + "'");
        }
        return new Choice(false, OptionalInt.of(Integer.parseInt(layer)));
    }

    static ModelLayers open(FusecGraph g, Path source, Choice choice) {
        if (source == null) {
            return new ModelLayers(null, null, List.of(-1), List.of(Map.of()));
        }
        Weights w = Weights.open(source);
        try {
            List<Integer> layers = choice.all() ? w.layers(g) : List.of(choice.layer().orElse(-1));
            List<Map<String, Tensor>> bound = new ArrayList<>();
            for (int l : layers) {
                bound.add(l < 0 ? w.bind(g) : w.bind(g, l));
            }
            return new ModelLayers(w, source, layers, bound);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** The inputs the weights bind. */
    Set<String> bound() {
        return bound.get(0).keySet();
    }

    /** {@code given} and the first layer's weights: what the random inputs are made around. */
    Map<String, Tensor> withFirstLayer(Map<String, Tensor> given) {
        Map<String, Tensor> all = new LinkedHashMap<>(given);
        all.putAll(bound.get(0));
        return all;
    }

    /** The inputs a run is given: all but the bound weights. */
    Map<String, Tensor> inputs(Map<String, Tensor> all) {
        Map<String, Tensor> in = new LinkedHashMap<>(all);
        bound().forEach(in::remove);
        return in;
    }

    int layerCount() {
        return layers.size();
    }

    int layer(int i) {
        return layers.get(i);
    }

    /** The weights of every layer, in order. */
    List<Map<String, Tensor>> boundLayers() {
        return bound;
    }

    /** {@code compiled} with layer i's weights (its own executors; close it after use). */
    CompiledModel withLayer(CompiledModel compiled, int i) {
        return compiled.withWeights(bound.get(i));
    }

    /** The input that carries the hidden state from one layer to the next: the first unbound input of the first output's type. */
    static String chained(FusecGraph g, Set<String> bound) {
        TensorSpec out = g.outputs().get(0);
        for (TensorSpec in : g.inputs()) {
            if (!bound.contains(in.name()) && in.dtype().equals(out.dtype()) && in.dims().equals(out.dims())) {
                return in.name();
            }
        }
        return null;
    }

    /** The next layer's inputs: the hidden state replaced by this layer's first output. */
    Map<String, Tensor> chain(FusecGraph g, Map<String, Tensor> in, Outputs results) {
        String x = layers.size() > 1 ? chained(g, bound()) : null;
        if (x == null) {
            return in;
        }
        Map<String, Tensor> next = new LinkedHashMap<>(in);
        next.put(x, results.get(g.outputs().get(0).name()));
        return next;
    }

    /** For the summary line: which weights, which layers. */
    String describe() {
        if (source == null) {
            return "";
        }
        String which = layers.get(0) < 0 ? "" : layers.size() == 1 ? "  layer " + layers.get(0)
                : "  layers " + layers.get(0) + "-" + layers.getLast() + " in turn";
        return "  weights " + source + which;
    }

    @Override
    public void close() {
        if (weights != null) {
            weights.close();
        }
    }

    /** Names, for messages. */
    static String names(Set<String> s) {
        return String.join(", ", new LinkedHashSet<>(s));
    }
}
