package dev.fusec.pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a pipeline run collects and obeys: disabled rules, the explanation, per-rule hit counts, and
 * whether the rewrite driver re-verifies from scratch after every rewrite (tests only: quadratic).
 */
public final class PassContext {
    private final Set<String> disabledRules;
    private final boolean checksEveryRewrite;
    private final List<Event> events = new ArrayList<>();
    private final Map<String, Integer> hits = new TreeMap<>();

    public PassContext(Set<String> disabledRules) {
        this(disabledRules, false);
    }

    private PassContext(Set<String> disabledRules, boolean checksEveryRewrite) {
        this.disabledRules = Set.copyOf(disabledRules);
        this.checksEveryRewrite = checksEveryRewrite;
    }

    /**
     * A context whose rewrite driver, after every rewrite, verifies the whole graph and checks its
     * own bookkeeping against a rebuild: what the tests run, so that the incremental checks of
     * production are proven against the full ones.
     */
    public static PassContext checkingEveryRewrite(Set<String> disabledRules) {
        return new PassContext(disabledRules, true);
    }

    public static PassContext defaults() {
        return new PassContext(Set.of());
    }

    boolean checksEveryRewrite() {
        return checksEveryRewrite;
    }

    public boolean enabled(Rule r) {
        return !disabledRules.contains(r.name());
    }

    void record(Event e) {
        events.add(e);
        if (e.fired()) {
            hits.merge(e.rule(), 1, Integer::sum);
        }
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    /** Rule name to the number of times it fired. */
    public Map<String, Integer> hits() {
        return Map.copyOf(hits);
    }
}
