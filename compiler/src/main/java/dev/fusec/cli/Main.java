package dev.fusec.cli;

import dev.fusec.api.FusecException;
import dev.fusec.interp.InputBinding;
import dev.fusec.runtime.OutputFiles;
import dev.fusec.ir.CompileError;
import dev.fusec.runtime.opencl.OpenClException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
        subcommands = {CheckCommand.class, FuseCommand.class, ImportCommand.class, RandomModelCommand.class, DotCommand.class, EmitCommand.class, BenchCommand.class, DevicesCommand.class, ExportOnnxCommand.class, PassesCommand.class, RunCommand.class, CommandLine.HelpCommand.class})
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
        Checked stdout = new Checked(new FileOutputStream(FileDescriptor.out));
        Checked stderr = new Checked(new FileOutputStream(FileDescriptor.err));
        OutputFiles.standardOutput(stdout);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true);
        int code = execute(args, new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), true), err);
        if (stdout.failure != null) {
            // A full disk or a closed pipe behind standard output is an error like any other.
            err.println("<stdout>: error: cannot write standard output: " + stdout.failure);
            err.flush();
            code = EXIT_ERROR;
        }
        System.exit(stderr.failure != null ? EXIT_ERROR : code);
    }

    /**
     * A standard stream that remembers its first write error: PrintWriter swallows them, and a
     * command whose output was lost must not exit 0.
     */
    static final class Checked extends FilterOutputStream {
        volatile String failure;

        Checked(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                failed(e);
                throw e;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                failed(e);
                throw e;
            }
        }

        private void failed(IOException e) {
            if (failure == null) {
                failure = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            }
        }
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
        if (e instanceof OpenClException oe) {
            // OpenCL missing or failing is the machine's state, not a bug: one line, at the file the command was given.
            return (where + ": error: " + oe.getMessage()).replace('\n', ' ').replace('\r', ' ');
        }
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
