package dev.fusec.pass;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.pass.GraphIndex.Entry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The generic rewrite driver; it knows no rule.
 *
 * <ol>
 *   <li>Every node is pending. Take the first pending node in graph order; offer it to the enabled
 *       rules whose root kind it has, in list order, noting what they read (see {@link Site}).</li>
 *   <li>On the first rule that fires: apply it in place (removed nodes out, inserted nodes in at the
 *       first removed node's place, absorbed nodes left without users dropped, what changed
 *       re-verified), record the event, and make pending the inserted nodes and every node whose
 *       last offer read a value whose definition or users the rewrite changed.</li>
 *   <li>Otherwise keep the node's near misses, and go on with the next pending node.</li>
 *   <li>When nothing is pending, the graph is at a fixpoint: every node's near misses are recorded,
 *       in graph order, and the graph returned.</li>
 * </ol>
 * A node not pending would say what it said last time, so this fires the same rewrites in the same
 * order as rescanning from the first node after every rewrite would, with the same final near misses,
 * at a cost that follows the rewrites rather than the graph's size times their number.
 * More than {@link #maxRewrites} rewrites in one pass means rules that undo each other: an error.
 */
public final class RewriteDriver {
    /** Rewrites a pass may make per node of its input graph, and at least; beyond, rules undo each other. */
    static final int REWRITES_PER_NODE = 16;
    static final int MIN_REWRITES = 10_000;

    private RewriteDriver() {}

    /** The most rewrites a pass may make on a graph of {@code nodes} nodes. */
    static long maxRewrites(int nodes) {
        return MIN_REWRITES + (long) REWRITES_PER_NODE * nodes;
    }

    public static Graph fixpoint(Graph g, String passName, List<Rule> rules, PassContext ctx) {
        return new Run(g, passName, rules.stream().filter(ctx::enabled).toList(), ctx).toFixpoint();
    }

    /** What a node's rules said: the rule that fired and its rewrite (null when none did), the near misses, the reads. */
    private record Offer(Rule rule, Match.Fired fired, List<Event> nearMisses, Site.Reads reads) {}

    /** One pass over one graph. */
    private static final class Run {
        private final String passName;
        private final List<Rule> rules;
        private final PassContext ctx;
        private final TreeSet<Entry> pending = new TreeSet<>(GraphIndex.ORDER);
        private final GraphIndex index;
        private final long limit;
        /** Who read what, stamped with the offer that read it (a later offer of the node supersedes it). */
        private final Map<String, List<Reader>> definitionReaders = new HashMap<>();
        private final Map<String, List<Reader>> userReaders = new HashMap<>();
        private List<Reader> wholeGraphReaders = new ArrayList<>();
        /** Op class to whether some rule's root is of it. */
        private final Map<Class<?>, Boolean> offered = new HashMap<>();

        private record Reader(Entry entry, int offer) {}

        Run(Graph g, String passName, List<Rule> rules, PassContext ctx) {
            this.passName = passName;
            this.rules = rules;
            this.ctx = ctx;
            this.index = new GraphIndex(g, pending::remove);
            this.limit = maxRewrites(g.nodes().size());
            for (Entry e : index.entries()) {
                pend(e);
            }
        }

        Graph toFixpoint() {
            long rewrites = 0;
            while (!pending.isEmpty()) {
                Entry e = pending.pollFirst();
                Offer o = offer(e);
                if (o.fired() == null) {
                    keep(e, o);
                    continue;
                }
                if (++rewrites > limit) {
                    throw new CompileError(index.graph().pos(), "pass " + passName + " did not converge after " + limit
                            + " rewrites (rules undo each other)");
                }
                GraphIndex.Change change = index.replace(o.fired(), o.rule().name());
                ctx.record(new Event(passName, o.rule().name(), e.node.pos(), e.node.op().opName(), true, o.fired().summary()));
                change.inserted().forEach(this::pend);
                change.definitions().forEach(v -> wake(definitionReaders.remove(v)));
                change.uses().forEach(v -> wake(userReaders.remove(v)));
                List<Reader> all = wholeGraphReaders;
                wholeGraphReaders = new ArrayList<>();
                wake(all);
                pend(e);
                if (ctx.checksEveryRewrite()) {
                    checkFromScratch();
                }
            }
            for (Entry e : index.entries()) {
                e.nearMisses.forEach(ctx::record);
            }
            return index.graph();
        }

        /** Offers {@code e} to its rules; nothing is kept (see {@link #keep}). */
        private Offer offer(Entry e) {
            Site.Reads reads = new Site.Reads();
            List<Event> misses = new ArrayList<>();
            for (Rule rule : rules) {
                if (!rule.root().isInstance(e.node.op())) {
                    continue;
                }
                switch (rule.match(new Site(index, e.node, reads))) {
                    case Match.Fired f -> {
                        return new Offer(rule, f, misses, reads);
                    }
                    case Match.Failed failed -> misses.add(
                            new Event(passName, rule.name(), e.node.pos(), e.node.op().opName(), false, failed.reason()));
                    case Match.NotApplicable na -> { }
                }
            }
            return new Offer(null, null, misses, reads);
        }

        /** Remembers what {@code e}'s rules said and read, until a rewrite changes what they read. */
        private void keep(Entry e, Offer o) {
            e.offers++;
            e.nearMisses = List.copyOf(o.nearMisses());
            Reader r = new Reader(e, e.offers);
            o.reads().definitions.forEach(v -> definitionReaders.computeIfAbsent(v, k -> new ArrayList<>()).add(r));
            o.reads().users.forEach(v -> userReaders.computeIfAbsent(v, k -> new ArrayList<>()).add(r));
            if (o.reads().wholeGraph) {
                wholeGraphReaders.add(r);
            }
        }

        /** Makes pending the readers whose read is still their node's latest. */
        private void wake(List<Reader> readers) {
            if (readers != null) {
                for (Reader r : readers) {
                    if (r.entry().offers == r.offer()) {
                        pend(r.entry());
                    }
                }
            }
        }

        private void pend(Entry e) {
            if (e.live && offered.computeIfAbsent(e.node.op().getClass(),
                    kind -> rules.stream().anyMatch(r -> r.root().isAssignableFrom(kind)))) {
                pending.add(e);
            }
        }

        /**
         * For tests: the index against one rebuilt from the graph, and every node not pending offered
         * again, which must say exactly what it said last time (else a read went unnoted).
         */
        private void checkFromScratch() {
            index.verifyFromScratch();
            for (Entry e : index.entries()) {
                if (!pending.contains(e) && e.offers > 0) {
                    Offer again = offer(e);
                    if (again.fired() != null || !again.nearMisses().equals(e.nearMisses)) {
                        throw new IllegalStateException("pass " + passName + ": node at " + e.node.pos().lineCol()
                                + " was not offered again, but its rules now say " + (again.fired() != null
                                ? again.rule().name() + " fires" : again.nearMisses()) + " instead of " + e.nearMisses);
                    }
                }
            }
        }
    }
}
