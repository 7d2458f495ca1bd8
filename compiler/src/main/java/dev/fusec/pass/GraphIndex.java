package dev.fusec.pass;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Param;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A graph open for rewriting: its nodes in order, the node defining each value, the nodes using it,
 * and every value's type. {@link #replace} applies one rewrite in place and checks only what the
 * rewrite touched, so a rewrite costs about its own size, not the graph's; {@link #graph()} reads the
 * graph back out. The rewrite driver and the sites it hands to rules share one.
 *
 * <p>Order: the nodes form a linked list whose entries carry increasing labels, so "a before b" is
 * one comparison whatever was inserted since. Inserted nodes take labels between their neighbours';
 * when two neighbours' labels are too close, every node is relabelled (order kept), rarely.
 */
final class GraphIndex {
    /** Labels start this far apart: 32 halvings of one gap before a relabelling. */
    private static final long GAP = 1L << 32;

    /** One node in place. The driver keeps what it knows about the node here too. */
    static final class Entry {
        final Node node;
        long label;
        Entry prev;
        Entry next;
        boolean live = true;
        /** How many times the driver offered this node to the rules; stamps what it read. */
        int offers;
        /** The near misses of the last offer. */
        List<Event> nearMisses = List.of();

        Entry(Node node) {
            this.node = node;
        }
    }

    /** Graph order. */
    static final Comparator<Entry> ORDER = Comparator.comparingLong(e -> e.label);

    /** Values a rewrite changed: their definition (producer or type), or their set of users. */
    record Change(List<Entry> inserted, Set<String> definitions, Set<String> uses) {}

    private final Graph source;
    private final Entry head = new Entry(null);
    private final Entry tail = new Entry(null);
    private final Map<Node, Entry> entries = new IdentityHashMap<>();
    private final Map<String, Entry> producers = new HashMap<>();
    /** Each value's users, each once, sorted by label (a list: most values have one or two users). */
    private final Map<String, List<Entry>> users = new HashMap<>();
    private final Map<String, TensorType> types;
    private final Map<String, Param> outputs = new HashMap<>();
    private final Consumer<Entry> onRemove;
    /** The graph as it stands, or null when a rewrite changed it since it was last read out. */
    private Graph current;

    /**
     * Indexes {@code g}, verifying it (a CompileError when it is not a valid graph); {@code onRemove}
     * hears of each entry just before it leaves (while its label still orders it).
     */
    GraphIndex(Graph g, Consumer<Entry> onRemove) {
        this.onRemove = onRemove;
        source = g;
        current = g;
        types = new HashMap<>(ShapeInference.infer(g));
        g.outputs().forEach(p -> outputs.put(p.name(), p));
        head.next = tail;
        tail.prev = head;
        long label = 0;
        for (Node n : g.nodes()) {
            label += GAP;
            Entry e = new Entry(n);
            e.label = label;
            link(tail.prev, e);
            register(e);
        }
        tail.label = label + GAP;
    }

    /** The graph as it stands now (the input graph itself while nothing changed). */
    Graph graph() {
        if (current == null) {
            List<Node> nodes = new ArrayList<>(entries.size());
            for (Entry e = head.next; e != tail; e = e.next) {
                nodes.add(e.node);
            }
            current = source.withNodes(nodes);
        }
        return current;
    }

    /** The live entries in graph order. */
    List<Entry> entries() {
        List<Entry> out = new ArrayList<>(entries.size());
        for (Entry e = head.next; e != tail; e = e.next) {
            out.add(e);
        }
        return out;
    }

    Node producer(String value) {
        Entry e = producers.get(value);
        return e == null ? null : e.node;
    }

    TensorType type(String value) {
        return types.get(value);
    }

    /** Whether {@code name} is an input or a node's result. */
    boolean defines(String name) {
        return types.containsKey(name);
    }

    /** The nodes using {@code value}, each once, in graph order. */
    List<Node> users(String value) {
        List<Entry> list = users.get(value);
        if (list == null) {
            return List.of();
        }
        List<Node> out = new ArrayList<>(list.size());
        list.forEach(e -> out.add(e.node));
        return out;
    }

    boolean isOutput(String value) {
        return outputs.containsKey(value);
    }

    /** An order key of {@code n} (smaller is earlier), or -1 when {@code n} is not in the graph. */
    long position(Node n) {
        Entry e = entries.get(n);
        return e == null ? -1 : e.label;
    }

    /**
     * Applies a rewrite: {@code removed} out, {@code inserted} in at the place of the first removed
     * node, then absorbed nodes left without users out. Checks what changed as the verifier would:
     * each inserted node's operands defined before it and its types inferred, every value the
     * removed nodes defined and something still uses defined again, changed types carried to the
     * users (and outputs) they reach. An invalid result is an IllegalStateException naming the rule.
     */
    Change replace(Match.Fired f, String rule) {
        Change change = new Change(new ArrayList<>(), new HashSet<>(), new HashSet<>());
        List<Entry> removed = resolve(f.removed());
        if (removed.isEmpty()) {
            throw new IllegalStateException("rule " + rule + " removed no node of the graph");
        }
        Entry first = removed.stream().min(ORDER).orElseThrow();
        Entry before = first.prev;
        Map<String, TensorType> oldTypes = new HashMap<>();
        for (Entry e : removed) {
            e.node.results().forEach(r -> oldTypes.put(r, types.get(r)));
            remove(e, change);
        }
        insert(before, first.label, f.inserted(), change);
        removeUnused(resolve(f.absorbed()), change);
        try {
            check(change, oldTypes);
        } catch (CompileError e) {
            throw new IllegalStateException("rule " + rule + " produced an invalid graph: " + e.render(), e);
        }
        current = null;
        return change;
    }

    /** The live entries of {@code nodes} (a rule may name nodes that are gone or were never there). */
    private List<Entry> resolve(List<Node> nodes) {
        Set<Entry> out = new LinkedHashSet<>();
        for (Node n : nodes) {
            Entry e = entries.get(n);
            if (e == null && !n.results().isEmpty()) {
                // An equal node rebuilt by the rule stands for the graph's own.
                Entry byName = producers.get(n.results().get(0));
                e = byName != null && byName.node.equals(n) ? byName : null;
            }
            if (e != null) {
                out.add(e);
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * Links {@code nodes} in after {@code before}. One node takes the label the first removed node
     * freed (it lies between the neighbours); several share out the gap, relabelling all when it is
     * too narrow.
     */
    private void insert(Entry before, long freedLabel, List<Node> nodes, Change change) {
        if (nodes.size() > 1 && before.next.label - before.label <= nodes.size()) {
            relabel();
        }
        long step = (before.next.label - before.label) / (nodes.size() + 1);
        Entry at = before;
        for (int i = 0; i < nodes.size(); i++) {
            Entry e = new Entry(nodes.get(i));
            e.label = nodes.size() == 1 ? freedLabel : before.label + step * (i + 1);
            link(at, e);
            register(e);
            at = e;
            change.inserted().add(e);
            e.node.results().forEach(change.definitions()::add);
            change.uses().addAll(e.node.op().operands());
        }
    }

    private void relabel() {
        long label = 0;
        for (Entry e = head.next; e != tail; e = e.next) {
            label += GAP;
            e.label = label;
        }
        tail.label = label + GAP;
    }

    /** Dead-code elimination among {@code candidates} only: those none of whose results is used or returned. */
    private void removeUnused(List<Entry> candidates, Change change) {
        Set<Entry> among = new HashSet<>(candidates);
        List<Entry> work = new ArrayList<>(candidates);
        while (!work.isEmpty()) {
            Entry e = work.remove(work.size() - 1);
            if (!e.live || e.node.results().stream().anyMatch(r -> users.containsKey(r) || isOutput(r))) {
                continue;
            }
            remove(e, change);
            for (String o : e.node.op().operands()) {
                Entry p = producers.get(o);
                if (p != null && among.contains(p)) {
                    work.add(p);
                }
            }
        }
    }

    /** The verifier's checks, for what a rewrite touched. */
    private void check(Change change, Map<String, TensorType> oldTypes) {
        for (Entry e : change.inserted()) {
            if (!e.live) {
                continue;
            }
            for (String o : e.node.op().operands()) {
                Entry p = producers.get(o);
                if (p == null ? !types.containsKey(o) : p.label >= e.label) {
                    throw new CompileError(e.node.pos(), "use of undefined value '" + o + "'");
                }
            }
            List<TensorType> out = ShapeInference.resultTypes(e.node, types);
            for (int i = 0; i < out.size(); i++) {
                // The removed nodes' results are untyped by now: a typed name is defined elsewhere.
                String r = e.node.results().get(i);
                if (types.put(r, out.get(i)) != null) {
                    throw new CompileError(e.node.pos(), "redefinition of '" + r + "'");
                }
            }
        }
        TreeSet<Entry> retype = new TreeSet<>(ORDER);
        for (var old : oldTypes.entrySet()) {
            String value = old.getKey();
            TensorType now = producers.containsKey(value) ? types.get(value) : null;
            if (now == null) {
                types.remove(value);
                List<Entry> u = users.get(value);
                if (u != null) {
                    throw new CompileError(u.get(0).node.pos(), "use of undefined value '" + value + "'");
                }
            } else if (!now.equals(old.getValue())) {
                retype.addAll(usersOf(value));
            }
            if (isOutput(value)) {
                ShapeInference.checkOutput(outputs.get(value), now);
            }
        }
        while (!retype.isEmpty()) {
            Entry e = retype.pollFirst();
            List<TensorType> out = ShapeInference.resultTypes(e.node, types);
            for (int i = 0; i < out.size(); i++) {
                String r = e.node.results().get(i);
                if (!out.get(i).equals(types.put(r, out.get(i)))) {
                    change.definitions().add(r);
                    retype.addAll(usersOf(r));
                    if (isOutput(r)) {
                        ShapeInference.checkOutput(outputs.get(r), out.get(i));
                    }
                }
            }
        }
    }

    private List<Entry> usersOf(String value) {
        return users.getOrDefault(value, List.of());
    }

    private void link(Entry after, Entry e) {
        e.prev = after;
        e.next = after.next;
        after.next.prev = e;
        after.next = e;
    }

    private void register(Entry e) {
        entries.put(e.node, e);
        for (String r : e.node.results()) {
            producers.putIfAbsent(r, e);
        }
        for (String o : e.node.op().operands()) {
            List<Entry> u = users.computeIfAbsent(o, k -> new ArrayList<>(2));
            int at = Collections.binarySearch(u, e, ORDER);
            if (at < 0) {
                u.add(-at - 1, e);
            }
        }
    }

    private void remove(Entry e, Change change) {
        onRemove.accept(e);
        entries.remove(e.node);
        for (String r : e.node.results()) {
            if (producers.get(r) == e) {
                producers.remove(r);
                types.remove(r);
            }
            change.definitions().add(r);
        }
        for (String o : e.node.op().operands()) {
            List<Entry> u = users.get(o);
            int at = u == null ? -1 : Collections.binarySearch(u, e, ORDER);
            if (at >= 0 && u.get(at) == e) {
                u.remove(at);
                if (u.isEmpty()) {
                    users.remove(o);
                }
            }
            change.uses().add(o);
        }
        e.prev.next = e.next;
        e.next.prev = e.prev;
        e.live = false;
    }

    /**
     * Rebuilds everything from the graph and compares: the tests' proof that {@link #replace} keeps
     * the index right (it costs a whole verification, so the driver calls it only when asked to).
     */
    void verifyFromScratch() {
        Graph g = graph();
        Map<String, TensorType> fresh = ShapeInference.infer(g);
        if (!fresh.equals(types)) {
            throw new IllegalStateException("index types out of date: " + types + " vs " + fresh);
        }
        Map<String, List<Node>> freshUsers = new HashMap<>();
        for (Node n : g.nodes()) {
            for (String r : n.results()) {
                if (producer(r) != n) {
                    throw new IllegalStateException("index producer of " + r + " out of date");
                }
            }
            for (String o : new LinkedHashSet<>(n.op().operands())) {
                freshUsers.computeIfAbsent(o, k -> new ArrayList<>()).add(n);
            }
        }
        for (String v : fresh.keySet()) {
            if (!Objects.equals(freshUsers.getOrDefault(v, List.of()), users(v))) {
                throw new IllegalStateException("index users of " + v + " out of date");
            }
        }
        if (!users.keySet().equals(freshUsers.keySet()) || producers.size() != g.nodes().stream().mapToInt(n -> n.results().size()).sum()) {
            throw new IllegalStateException("index holds values the graph does not");
        }
    }
}
