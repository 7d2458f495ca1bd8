package dev.fusec.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of the {@code fusec} CLI: exit status and everything it printed. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
}
