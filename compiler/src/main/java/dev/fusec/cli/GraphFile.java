package dev.fusec.cli;

import dev.fusec.api.FusecGraph;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.SourcePos;
import dev.fusec.parse.IrParser;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * What every command that reads a graph shares (a picocli mixin): the FILE parameter, parsing and
 * checking it, the command's output stream and its usage errors. Errors without a better position
 * name this file.
 */
final class GraphFile {
    @Parameters(index = "0", paramLabel = "FILE", description = "IR file (.fir)")
    Path path;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** The file parsed and checked, through the library. */
    FusecGraph load() {
        return FusecGraph.parse(path);
    }

    /** The file parsed and checked, as the compiler's own graph, for the commands the library does not cover. */
    Graph parse() {
        Graph g = IrParser.parseFile(path);
        ShapeInference.infer(g);
        return g;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A usage error (exit 2) of this command. */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** The command's {@code --dim NAME=N} flags; a malformed one is a usage error. */
    Map<String, Long> dims(List<String> flags) {
        return Main.dims(spec, flags);
    }

    /** Bad input at the start of {@code file}: a file the command was given that is not the graph. */
    static CompileError error(Path file, String message) {
        return new CompileError(SourcePos.startOf(file.toString()), message);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
