package dev.fusec.cli;

import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import dev.fusec.pass.Event;
import dev.fusec.pass.PassContext;
import dev.fusec.pass.Pipeline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fusec fuse FILE}: the fused graph as IR text, or every pass's output, or the explanation. */
@Command(name = "fuse", description = "Run the fusion passes and print the fused graph as IR text.")
final class FuseCommand implements Callable<Integer>, Main.FileCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "IR file (.fir)")
    Path file;

    @Option(names = "--print-after-all", description = "print the IR after every pass, named")
    boolean printAfterAll;

    @Option(names = "--explain", description = "list each candidate site: the rule, where, and what it absorbed or why it did not fire")
    boolean explain;

    @Option(names = "--passes", split = ",", paramLabel = "PASS", description = "run only these passes (see `fusec passes`)")
    List<String> passes = new ArrayList<>();

    @Option(names = "--disable-pass", paramLabel = "PASS", description = "skip a pass (repeatable)")
    List<String> disabledPasses = new ArrayList<>();

    @Option(names = "--disable-rule", paramLabel = "RULE", description = "skip a rule (repeatable), e.g. to bisect a numerical difference")
    List<String> disabledRules = new ArrayList<>();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public String file() {
        return file.toString();
    }

    @Override
    public Integer call() {
        checkNames("pass", passes, Pipeline.passNames());
        checkNames("pass", disabledPasses, Pipeline.passNames());
        checkNames("rule", disabledRules, Pipeline.ruleNames());
        Fusion f = fuse(file, passes, disabledPasses, disabledRules, printAfterAll ? spec.commandLine().getOut() : null);
        PrintWriter out = spec.commandLine().getOut();
        if (explain) {
            printExplanation(out, f);
        } else if (!printAfterAll) {
            out.print(IrPrinter.print(f.fused()));
        }
        return 0;
    }

    /** A parsed graph, its fused form and what the passes said. */
    record Fusion(Graph source, Graph fused, PassContext ctx) {}

    /** Parses and fuses with the given pipeline choices (names already checked). */
    static Fusion fuse(Path file, List<String> only, List<String> disabledPasses, List<String> disabledRules, PrintWriter trace) {
        Graph g = IrParser.parseFile(file);
        ShapeInference.infer(g);
        PassContext ctx = new PassContext(new HashSet<>(disabledRules));
        if (trace != null) {
            trace.print("# ---- IR as written ----\n" + IrPrinter.print(g));
        }
        Graph fused = Pipeline.run(g, new HashSet<>(only), new HashSet<>(disabledPasses), ctx, (pass, after) -> {
            if (trace != null) {
                trace.print("\n# ---- IR after pass " + pass.name() + " ----\n" + IrPrinter.print(after));
            }
        });
        return new Fusion(g, fused, ctx);
    }

    /** An unknown pass or rule name is a usage error (exit 2) that lists the known ones. */
    private void checkNames(String kind, List<String> given, Set<String> known) {
        for (String n : given) {
            if (!known.contains(n)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "unknown " + kind + " '" + n + "'; known: " + String.join(", ", known));
            }
        }
    }

    static void printExplanation(PrintWriter out, Fusion f) {
        List<Event> events = f.ctx().events();
        long fired = events.stream().filter(Event::fired).count();
        out.printf("%s: %d rewrite(s) fired, %d site(s) not fused%n", f.source().name(), fired, events.size() - fired);
        for (Event e : events) {
            out.println("  " + e.render());
        }
        Map<String, Integer> hits = f.ctx().hits();
        List<String> counts = new ArrayList<>();
        for (String rule : Pipeline.ruleNames()) {
            counts.add(rule + "=" + hits.getOrDefault(rule, 0));
        }
        out.println("rule hits: " + String.join(" ", counts));
    }
}
