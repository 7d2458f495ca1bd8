package dev.fusec.pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What a pipeline run collects and obeys: disabled rules, the explanation, per-rule hit counts. */
public final class PassContext {
    private final Set<String> disabledRules;
    private final List<Event> events = new ArrayList<>();
    private final Map<String, Integer> hits = new TreeMap<>();

    public PassContext(Set<String> disabledRules) {
        this.disabledRules = Set.copyOf(disabledRules);
    }

    public static PassContext defaults() {
        return new PassContext(Set.of());
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
