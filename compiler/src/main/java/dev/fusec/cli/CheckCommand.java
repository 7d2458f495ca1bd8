package dev.fusec.cli;

import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fusec check FILE}: parse, verify, infer shapes, print the graph with every value's type. */
@Command(name = "check", description = "Parse, verify and infer shapes; print the graph with its types.")
final class CheckCommand implements Callable<Integer>, Main.FileCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "IR file (.fir)")
    Path file;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public String file() {
        return file.toString();
    }

    @Override
    public Integer call() {
        Graph g = IrParser.parseFile(file);
        var types = ShapeInference.infer(g);
        spec.commandLine().getOut().print(IrPrinter.print(g, types));
        return 0;
    }
}
