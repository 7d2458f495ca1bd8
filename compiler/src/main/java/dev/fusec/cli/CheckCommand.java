package dev.fusec.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code fusec check FILE}: parse, verify, infer shapes, print the graph with every value's type. */
@Command(name = "check", description = "Parse, verify and infer shapes; print the graph with its types.")
final class CheckCommand implements Callable<Integer> {
    @Mixin
    GraphFile file;

    @Override
    public Integer call() {
        file.out().print(file.load().toIrWithTypes());
        return 0;
    }
}
