package dev.fusec.pass;

import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.TensorType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A rule's view of one node in a graph: who defines each value, who uses it, its type, and fresh
 * names. Rules only read it. Every read is noted, so that the driver offers the node again only
 * when a rewrite changed something its rules looked at.
 */
public final class Site {
    private final GraphIndex index;
    private final Node node;
    private final Reads reads;
    private final Set<String> reserved = new HashSet<>();

    Site(GraphIndex index, Node node, Reads reads) {
        this.index = index;
        this.node = node;
        this.reads = reads;
    }

    /** What one offer of a node read: values whose definition (producer, type) or users it asked for. */
    static final class Reads {
        final Set<String> definitions = new HashSet<>();
        final Set<String> users = new HashSet<>();
        boolean wholeGraph;
    }

    /**
     * The whole graph as it stands. A rule that reads it is offered its node again after every
     * rewrite (it may depend on anything); the def-use queries below are the cheap way.
     */
    public Graph graph() {
        reads.wholeGraph = true;
        return index.graph();
    }

    public Node node() {
        return node;
    }

    public Op op() {
        return node.op();
    }

    /** The node defining {@code value} if its op is of {@code kind}. */
    public <T extends Op> Optional<Producer<T>> producer(String value, Class<T> kind) {
        reads.definitions.add(value);
        Node n = index.producer(value);
        if (n != null && kind.isInstance(n.op())) {
            return Optional.of(new Producer<>(n, kind.cast(n.op()), n.results().indexOf(value)));
        }
        return Optional.empty();
    }

    /** A defining node, its op, and which of its results the value is. */
    public record Producer<T extends Op>(Node node, T op, int resultIndex) {}

    public Optional<Node> definingNode(String value) {
        reads.definitions.add(value);
        return Optional.ofNullable(index.producer(value));
    }

    public TensorType type(String value) {
        reads.definitions.add(value);
        return index.type(value);
    }

    /** The nodes using {@code value}, each once, in graph order. */
    public List<Node> users(String value) {
        reads.users.add(value);
        return index.users(value);
    }

    public boolean isOutput(String value) {
        return index.isOutput(value);
    }

    /**
     * An order key: {@code position(a) < position(b)} when a comes before b; -1 for a node not in the
     * graph. Not an index: rewrites insert nodes between others.
     */
    public long position(Node n) {
        return index.position(n);
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

    /** A name not yet used in the graph (nor by this site), based on {@code base}. */
    public String freshName(String base) {
        for (int i = 0; ; i++) {
            String n = i == 0 ? base : base + "_" + i;
            reads.definitions.add(n);
            if (!index.defines(n) && reserved.add(n)) {
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
                reads.definitions.add(v);
                Node p = index.producer(v);
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
