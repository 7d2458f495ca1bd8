package dev.fusec.cli;

import dev.fusec.api.FusecException;
import dev.fusec.interp.InputBinding;
import dev.fusec.ir.CompileError;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code fusec} command. Bad input prints one line {@code FILE:LINE:COL: error: MESSAGE} and exits 1;
 * a usage error exits 2; nothing prints a stack trace.
 */
@Command(name = "fusec", mixinStandardHelpOptions = true, version = "fusec 0.1.0",
        description = "Compiles transformer FFN graphs: fuses SwiGLU and gate-up projections, runs and compares them.",
        subcommands = {CheckCommand.class, FuseCommand.class, DotCommand.class, EmitCommand.class, BenchCommand.class, ExportOnnxCommand.class, PassesCommand.class, RunCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int EXIT_ERROR = 1;
    static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit status (for tests and main). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(describe(e, commandLine));
            commandLine.getErr().flush();
            return EXIT_ERROR;
        });
        // picocli hands only Exceptions to the handler above; an Error from a command (a huge input
        // running out of heap) would escape execute() and print a stack trace.
        cl.setExecutionStrategy(parseResult -> {
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } catch (OutOfMemoryError | StackOverflowError e) {
                CommandLine last = parseResult.asCommandLineList().getLast();
                last.getErr().println(describe(e, last));
                last.getErr().flush();
                return EXIT_ERROR;
            }
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String describe(Throwable e, CommandLine commandLine) {
        if (e instanceof CompileError ce) {
            return ce.render();
        }
        if (e instanceof FusecException fe) {
            return fe.render();
        }
        String where = commandLine.getCommandSpec().mixins().values().stream()
                .map(CommandLine.Model.CommandSpec::userObject)
                .filter(GraphFile.class::isInstance)
                .map(f -> f + ":1:1").findFirst().orElse("fusec");
        if (e instanceof OutOfMemoryError) {
            return where + ": error: out of memory (the JVM may use " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB); use smaller dims or set FUSEC_JAVA_OPTS=-Xmx...";
        }
        if (e instanceof StackOverflowError) {
            return where + ": error: input nests too deeply";
        }
        return where + ": error: internal error: " + e + " (please report this with the input)";
    }

    /** The {@code --dim NAME=N} flags of a command; a malformed one is a usage error (exit 2). */
    static Map<String, Long> dims(CommandLine.Model.CommandSpec spec, List<String> flags) {
        try {
            return InputBinding.parseDims(flags);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
