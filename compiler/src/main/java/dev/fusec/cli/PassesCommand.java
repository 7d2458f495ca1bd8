package dev.fusec.cli;

import dev.fusec.pass.Pass;
import dev.fusec.pass.Pipeline;
import dev.fusec.pass.Rule;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code fusec passes}: the pipeline's passes in order, each rule with its algebra. */
@Command(name = "passes", description = "List the fusion passes and their rules.")
final class PassesCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Set<String> shown = new HashSet<>();
        for (Pass p : Pipeline.standard()) {
            if (!shown.add(p.name())) {
                out.printf("%-13s (again)%n", p.name());
                continue;
            }
            out.printf("%-13s %s%n", p.name(), p.description());
            for (Rule r : p.rules()) {
                out.printf("    %-20s %s%n", r.name(), r.algebra());
            }
        }
        return 0;
    }
}
