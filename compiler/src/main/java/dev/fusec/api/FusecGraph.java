package dev.fusec.api;

import dev.fusec.interp.InputBinding;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import dev.fusec.pass.PassContext;
import dev.fusec.pass.Pipeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A parsed, verified graph with every value's shape inferred. Immutable. Made by {@link #parse} from
 * IR text or by a {@link Builder}; {@link #fuse()} rewrites it, {@link #compile} makes it runnable.
 */
public final class FusecGraph {
    private final Graph graph;
    private final Map<String, TensorType> types;

    private FusecGraph(Graph graph) {
        this.graph = graph;
        this.types = ShapeInference.infer(graph);
    }

    static FusecGraph of(Graph g) {
        return FusecException.translate(() -> new FusecGraph(g));
    }

    /** Reads and checks an IR file ({@code .fir}). */
    public static FusecGraph parse(Path file) {
        return FusecException.translate(() -> new FusecGraph(IrParser.parseFile(file)));
    }

    /** Parses and checks IR text; {@code sourceName} is the file name errors give. */
    public static FusecGraph parse(String irText, String sourceName) {
        return FusecException.translate(() -> new FusecGraph(IrParser.parse(sourceName, irText)));
    }

    /** A builder for a graph named {@code name}, for programs that make graphs rather than read them. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return graph.name();
    }

    public List<TensorSpec> inputs() {
        return graph.inputs().stream().map(FusecGraph::spec).toList();
    }

    public List<TensorSpec> outputs() {
        return graph.outputs().stream().map(FusecGraph::spec).toList();
    }

    /** The symbolic dims the inputs use ({@code T}, {@code S}, {@code B}), sorted. */
    public List<String> dims() {
        TreeSet<String> s = new TreeSet<>();
        graph.inputs().forEach(p -> p.type().shape().dims().forEach(d -> s.addAll(d.symbols())));
        return List.copyOf(s);
    }

    /** The graph as IR text that {@link #parse} reads back as the same graph. */
    public String toIr() {
        return IrPrinter.print(graph);
    }

    /** As {@link #toIr()}, with each value's type as a trailing comment (what {@code fusec check} prints). */
    public String toIrWithTypes() {
        return IrPrinter.print(graph, types);
    }

    /** The standard fusion pipeline, all passes and rules on. */
    public Fusion fuse() {
        return fuse(FuseOptions.ALL);
    }

    /** The fusion pipeline as {@code options} choose it: only some passes, or some passes or rules off. */
    public Fusion fuse(FuseOptions options) {
        return FusecException.translate(() -> {
            PassContext ctx = new PassContext(new HashSet<>(options.disabledRules()));
            List<Fusion.AfterPass> trace = new ArrayList<>();
            Graph fused = Pipeline.run(graph, new HashSet<>(options.onlyPasses()), new HashSet<>(options.disabledPasses()), ctx,
                    (pass, after) -> trace.add(new Fusion.AfterPass(pass.name(), new FusecGraph(after))));
            return new Fusion(this, new FusecGraph(fused), ctx, trace);
        });
    }

    /** Compiles for {@code mode} with the default options (all cores, the user's kernel cache). */
    public CompiledModel compile(Mode mode) {
        return compile(mode, CompileOptions.defaults());
    }

    /**
     * Compiles for {@code mode}: for {@code FUSED} the standard pipeline runs first; the kernels are
     * generated, compiled (or loaded from the cache) and loaded now, so the first run pays none of it.
     */
    public CompiledModel compile(Mode mode, CompileOptions options) {
        return FusecException.translate(() -> CompiledModel.compile(this, mode, options));
    }

    /**
     * Seeded random values for every input not in {@code given}: uniform in [-1, 1), weights scaled by
     * 1/sqrt(fan-in); an input's values depend only on the seed and its name. {@code dims} binds the
     * symbolic dims the given tensors do not.
     */
    public Map<String, Tensor> randomInputs(long seed, Map<String, Long> dims, Map<String, Tensor> given) {
        return FusecException.translate(() -> {
            Map<String, dev.fusec.runtime.Tensor> in = CompiledModel.unwrap(graph, given);
            Map<String, Long> binding = InputBinding.bind(graph, dims, in);
            Map<String, Tensor> out = new LinkedHashMap<>();
            RandomInputs.generate(graph, binding, seed, in).forEach((k, v) -> out.put(k, given.containsKey(k) ? given.get(k) : Tensor.wrap(v)));
            return out;
        });
    }

    /** An error about this graph as a whole, placed at its declaration (for a caller's own checks). */
    public FusecException error(String message) {
        return new FusecException(new dev.fusec.ir.CompileError(graph.pos(), message));
    }

    Graph graph() {
        return graph;
    }

    Map<String, TensorType> types() {
        return types;
    }

    @Override
    public String toString() {
        return "FusecGraph " + graph.name() + inputs() + " -> " + outputs();
    }

    private static TensorSpec spec(Param p) {
        return new TensorSpec(p.name(), p.type().dtype().toString(),
                p.type().shape().dims().stream().map(Object::toString).toList());
    }

    /**
     * Which passes and rules {@link #fuse(FuseOptions)} runs; names as {@link Fusion#passNames()} and
     * {@link Fusion#ruleNames()} list them (an unknown name is an IllegalArgumentException).
     */
    public record FuseOptions(List<String> onlyPasses, List<String> disabledPasses, List<String> disabledRules) {
        /** Everything on. */
        public static final FuseOptions ALL = new FuseOptions(List.of(), List.of(), List.of());

        public FuseOptions {
            onlyPasses = List.copyOf(onlyPasses);
            disabledPasses = List.copyOf(disabledPasses);
            disabledRules = List.copyOf(disabledRules);
            known("pass", onlyPasses, Fusion.passNames());
            known("pass", disabledPasses, Fusion.passNames());
            known("rule", disabledRules, Fusion.ruleNames());
        }

        private static void known(String kind, List<String> given, List<String> names) {
            for (String n : given) {
                if (n.isBlank()) {
                    throw new IllegalArgumentException("an empty " + kind + " name; known: " + String.join(", ", names));
                }
                if (!names.contains(n)) {
                    throw new IllegalArgumentException("unknown " + kind + " '" + n + "'; known: " + String.join(", ", names));
                }
            }
        }
    }

    /**
     * Builds a graph statement by statement. What it builds is IR text, parsed and checked by
     * {@link #build()} like a file, so every error has a line and column; {@link #toIr()} shows it.
     * Not thread-safe.
     */
    public static final class Builder {
        private final String name;
        private final List<String> inputs = new ArrayList<>();
        private final List<String> outputs = new ArrayList<>();
        private final List<String> statements = new ArrayList<>();

        private Builder(String name) {
            this.name = identifier(name);
        }

        /** Declares an input, e.g. {@code input("x", "f32[T, 4096]")}. */
        public Builder input(String name, String type) {
            inputs.add(identifier(name) + ": " + oneLine(type));
            return this;
        }

        /** Declares an output; some statement must define it. */
        public Builder output(String name, String type) {
            outputs.add(identifier(name) + ": " + oneLine(type));
            return this;
        }

        /** One statement as in IR text: {@code "gate = matmul(x, w_gate)"}, {@code "a, b = split(z, parts=2)"}. */
        public Builder let(String statement) {
            statements.add(oneLine(statement));
            return this;
        }

        /**
         * {@code result = op(args...)}: each arg an operand name or an attribute {@code key=value},
         * e.g. {@code op("gate", "matmul", "x", "w_gate", "transpose_b=true")}.
         */
        public Builder op(String result, String op, String... args) {
            List<String> parts = new ArrayList<>();
            for (String a : args) {
                parts.add(oneLine(a));
            }
            return let(identifier(result) + " = " + identifier(op) + "(" + String.join(", ", parts) + ")");
        }

        /** The IR text built so far. */
        public String toIr() {
            StringBuilder sb = new StringBuilder("graph " + name + "(" + String.join(", ", inputs) + ")\n    -> ("
                    + String.join(", ", outputs) + ") {\n");
            statements.forEach(s -> sb.append("  ").append(s).append('\n'));
            List<String> names = outputs.stream().map(o -> o.substring(0, o.indexOf(':'))).toList();
            sb.append("  return ").append(String.join(", ", names)).append("\n}\n");
            return sb.toString();
        }

        /** Parses and checks the graph; errors name {@code <builder NAME>} and a line of {@link #toIr()}. */
        public FusecGraph build() {
            return parse(toIr(), "<builder " + name + ">");
        }

        private static String identifier(String s) {
            if (s == null || !s.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("not an identifier: '" + s + "' (letters, digits, _; not starting with a digit)");
            }
            return s;
        }

        private static String oneLine(String s) {
            if (s == null || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 || s.indexOf('#') >= 0) {
                throw new IllegalArgumentException("one line of IR without comments expected, got '" + s + "'");
            }
            return s;
        }
    }
}
