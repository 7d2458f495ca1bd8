package dev.fusec.cli;

import dev.fusec.api.FusecGraph;
import dev.fusec.api.Fusion;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusec fuse FILE}: the fused graph as IR text, or every pass's output, or the explanation. */
@Command(name = "fuse", description = "Run the fusion passes and print the fused graph as IR text.")
final class FuseCommand implements Callable<Integer> {
    @Mixin
    GraphFile file;

    @Option(names = "--print-after-all", description = "print the IR after every pass, named")
    boolean printAfterAll;

    @Option(names = "--explain", description = "list each candidate site: the rule, where, and what it absorbed or why it did not fire")
    boolean explain;

    /** Split here, not by picocli, which drops empty items: {@code --passes ,,,} must not mean "all passes". */
    @Option(names = "--passes", paramLabel = "PASS,...", description = "run only these passes (see `fusec passes`)")
    String passes;

    @Option(names = "--disable-pass", paramLabel = "PASS", description = "skip a pass (repeatable)")
    List<String> disabledPasses = new ArrayList<>();

    @Option(names = "--disable-rule", paramLabel = "RULE", description = "skip a rule (repeatable), e.g. to bisect a numerical difference")
    List<String> disabledRules = new ArrayList<>();

    @Override
    public Integer call() {
        FusecGraph.FuseOptions options;
        try {
            List<String> only = passes == null ? List.of() : List.of(passes.split(",", -1));
            options = new FusecGraph.FuseOptions(only, disabledPasses, disabledRules);
        } catch (IllegalArgumentException unknownName) {
            throw file.usage(unknownName.getMessage());
        }
        Fusion f = file.load().fuse(options);
        PrintWriter out = file.out();
        if (printAfterAll) {
            out.print("# ---- IR as written ----\n" + f.before().toIr());
            for (Fusion.AfterPass p : f.afterEachPass()) {
                out.print("\n# ---- IR after pass " + p.pass() + " ----\n" + p.graph().toIr());
            }
        }
        if (explain) {
            f.explanation().forEach(out::println);
        } else if (!printAfterAll) {
            out.print(f.after().toIr());
        }
        return 0;
    }
}
