package dev.fusec.pass;

import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A rule's view of one node in a graph: who defines each value, who uses it, its type, and fresh
 * names. Built once per driver round; rules only read it.
 */
public final class Site {
    private final Graph graph;
    private final Node node;
    private final Index index;

    Site(Graph graph, Node node, Index index) {
        this.graph = graph;
        this.node = node;
        this.index = index;
    }

    /** Def-use facts of one graph, shared by every site of a round. */
    static final class Index {
        final Map<String, Node> producers;
        final Map<String, List<Node>> users = new HashMap<>();
        final Map<String, TensorType> types;
        final Map<Node, Integer> position = new HashMap<>();
        final Set<String> names = new HashSet<>();

        Index(Graph g) {
            producers = g.producers();
            types = ShapeInference.infer(g);
            names.addAll(types.keySet());
            for (int i = 0; i < g.nodes().size(); i++) {
                Node n = g.nodes().get(i);
                position.put(n, i);
                for (String o : new HashSet<>(n.op().operands())) {
                    users.computeIfAbsent(o, k -> new ArrayList<>()).add(n);
                }
            }
        }
    }

    public Graph graph() {
        return graph;
    }

    public Node node() {
        return node;
    }

    public Op op() {
        return node.op();
    }

    /** The node defining {@code value} if its op is of {@code kind}. */
    public <T extends Op> Optional<Producer<T>> producer(String value, Class<T> kind) {
        Node n = index.producers.get(value);
        if (n != null && kind.isInstance(n.op())) {
            return Optional.of(new Producer<>(n, kind.cast(n.op()), n.results().indexOf(value)));
        }
        return Optional.empty();
    }

    /** A defining node, its op, and which of its results the value is. */
    public record Producer<T extends Op>(Node node, T op, int resultIndex) {}

    public Optional<Node> definingNode(String value) {
        return Optional.ofNullable(index.producers.get(value));
    }

    public TensorType type(String value) {
        return index.types.get(value);
    }

    public List<Node> users(String value) {
        return index.users.getOrDefault(value, List.of());
    }

    public boolean isOutput(String value) {
        return graph.isOutput(value);
    }

    public int position(Node n) {
        return index.position.getOrDefault(n, -1);
    }

    /**
     * Why {@code value} cannot be absorbed into a fusion rooted at {@code allowed} users, or empty when
     * its only users are among them and it is not a graph output.
     */
    public Optional<String> otherUses(String value, Node... allowed) {
        Set<Node> ok = new HashSet<>(List.of(allowed));
        List<String> where = new ArrayList<>();
        if (isOutput(value)) {
            where.add("it is a graph output");
        }
        for (Node u : users(value)) {
            if (!ok.contains(u)) {
                where.add("used by " + u.op().opName() + " at " + u.pos().lineCol());
            }
        }
        return where.isEmpty() ? Optional.empty()
                : Optional.of("'" + value + "' has other uses (" + String.join(", ", where) + ")");
    }

    /** A name not yet used in the graph, based on {@code base}. */
    public String freshName(String base) {
        if (!index.names.contains(base)) {
            index.names.add(base);
            return base;
        }
        for (int i = 1; ; i++) {
            String n = base + "_" + i;
            if (!index.names.contains(n)) {
                index.names.add(n);
                return n;
            }
        }
    }

    /** Every value {@code value} depends on, transitively (inputs included). */
    public Set<String> dependencies(String value) {
        Set<String> seen = new HashSet<>();
        List<String> work = new ArrayList<>(List.of(value));
        while (!work.isEmpty()) {
            String v = work.remove(work.size() - 1);
            if (seen.add(v)) {
                Node p = index.producers.get(v);
                if (p != null) {
                    work.addAll(p.op().operands());
                }
            }
        }
        return seen;
    }

    /** The original source nodes behind {@code nodes}: fused nodes contribute what they absorbed. */
    public static List<Node> provenance(List<Node> nodes) {
        Set<Node> out = new java.util.LinkedHashSet<>();
        for (Node n : nodes) {
            if (n.absorbed().isEmpty()) {
                out.add(n);
            } else {
                out.addAll(n.absorbed());
            }
        }
        List<Node> sorted = new ArrayList<>(out);
        sorted.sort(java.util.Comparator.comparingInt((Node n) -> n.pos().line()).thenComparingInt(n -> n.pos().col()));
        return sorted;
    }

    /** {@code silu 8:9, mul 9:9}: what a fusion absorbed, for explanations. */
    public static String describe(List<Node> nodes) {
        return provenance(nodes).stream().map(n -> n.op().opName() + " " + n.pos().lineCol())
                .collect(Collectors.joining(", "));
    }
}
