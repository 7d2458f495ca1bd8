package dev.fusec.pass;

import dev.fusec.ir.Graph;
import java.util.List;

/** A named, pure Graph -> Graph step of the pipeline. */
public interface Pass {
    String name();

    String description();

    /** The rules the pass drives, empty for passes that are plain algorithms (dce, cse). */
    default List<Rule> rules() {
        return List.of();
    }

    Graph run(Graph g, PassContext ctx);

    /** A pass made of rules, driven to a fixpoint by the {@link RewriteDriver}. */
    record RulePass(String name, String description, List<Rule> rules) implements Pass {
        public RulePass {
            rules = List.copyOf(rules);
        }

        @Override
        public Graph run(Graph g, PassContext ctx) {
            return RewriteDriver.fixpoint(g, name, rules, ctx);
        }
    }
}
