package dev.fusec.pass;

import dev.fusec.ir.Node;
import java.util.List;

/**
 * What a rule says at a site: it fired (with the rewrite), it failed for a stated reason (a near miss
 * that {@code --explain} shows), or the site is simply not its business.
 */
public sealed interface Match {

    /**
     * The rewrite: {@code removed} nodes leave the graph, {@code inserted} nodes take the place of the
     * first of them; {@code absorbed} are the nodes whose work the new nodes now do (for provenance;
     * those left without users are removed by dead-code elimination).
     */
    record Fired(List<Node> removed, List<Node> inserted, List<Node> absorbed, String summary) implements Match {
        public Fired {
            removed = List.copyOf(removed);
            inserted = List.copyOf(inserted);
            absorbed = List.copyOf(absorbed);
        }
    }

    /** The site looked like the rule's pattern, but a side condition failed: the reason is user-facing. */
    record Failed(String reason) implements Match {}

    /** The site has nothing to do with this rule. */
    record NotApplicable() implements Match {}

    Match NOT_APPLICABLE = new NotApplicable();

    static Match fail(String reason) {
        return new Failed(reason);
    }
}
