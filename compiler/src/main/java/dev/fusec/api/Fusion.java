package dev.fusec.api;

import dev.fusec.pass.Event;
import dev.fusec.pass.PassContext;
import dev.fusec.pass.Pipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@link FusecGraph#fuse()} did: the graph before and after, the graph after each pass, and for
 * every candidate site whether its rule fired (and what it absorbed) or not (and why).
 */
public final class Fusion {
    private final FusecGraph before;
    private final FusecGraph after;
    private final List<Event> events;
    private final Map<String, Integer> hits;
    private final List<AfterPass> passes;

    /** The graph as one pass left it. */
    public record AfterPass(String pass, FusecGraph graph) {}

    /** One candidate site: where, which pass and rule, whether it fired, and the detail. */
    public record Site(String pass, String rule, int line, int column, String op, boolean fired, String detail) {}

    Fusion(FusecGraph before, FusecGraph after, PassContext ctx, List<AfterPass> passes) {
        this.before = before;
        this.after = after;
        this.events = ctx.events();
        this.hits = ctx.hits();
        this.passes = List.copyOf(passes);
    }

    public FusecGraph before() {
        return before;
    }

    public FusecGraph after() {
        return after;
    }

    /** The graph after every pass that ran, in order. */
    public List<AfterPass> afterEachPass() {
        return passes;
    }

    public List<Site> sites() {
        return events.stream().map(e -> new Site(e.pass(), e.rule(), e.pos().line(), e.pos().col(), e.opName(), e.fired(),
                e.detail())).toList();
    }

    /** How many rewrites fired. */
    public int fired() {
        return (int) events.stream().filter(Event::fired).count();
    }

    /** Rule name to times fired, every rule of the pipeline listed. */
    public Map<String, Integer> ruleHits() {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        ruleNames().forEach(r -> m.put(r, hits.getOrDefault(r, 0)));
        return m;
    }

    /** The explanation {@code fusec fuse --explain} prints: a summary line, a line per site, the rule hits. */
    public List<String> explanation() {
        List<String> lines = new ArrayList<>();
        lines.add(before.name() + ": " + fired() + " rewrite(s) fired, " + (events.size() - fired()) + " site(s) not fused");
        events.forEach(e -> lines.add("  " + e.render()));
        List<String> counts = new ArrayList<>();
        ruleHits().forEach((r, n) -> counts.add(r + "=" + n));
        lines.add("rule hits: " + String.join(" ", counts));
        return lines;
    }

    /** The passes of the standard pipeline, in order. */
    public static List<String> passNames() {
        return List.copyOf(Pipeline.passNames());
    }

    /** Every rule of the standard pipeline. */
    public static List<String> ruleNames() {
        return List.copyOf(Pipeline.ruleNames());
    }
}
