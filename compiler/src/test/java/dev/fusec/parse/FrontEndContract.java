package dev.fusec.parse;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the front end promises for any bytes at all, checked by the seeded generators of
 * {@link ParserFuzzTest} and by the coverage-guided {@link IrParserFuzzer}: the input parses, prints
 * and parses back to the same graph, and type-checks, or it fails with a {@link CompileError} whose
 * rendering is one line pointing into the input. Anything else is a broken contract.
 */
final class FrontEndContract {
    static final String FILE = "fuzz.fir";
    private static final Pattern RENDERED = Pattern.compile("^fuzz\\.fir:(\\d+):(\\d+): error: .+$");

    private FrontEndContract() {}

    /** A broken contract: what went wrong, and the input. */
    static final class Broken extends AssertionError {
        Broken(String what, String input, Throwable cause) {
            super(what + " for:\n" + (input.length() > 2000 ? input.substring(0, 2000) + "..." : input), cause);
        }
    }

    /** True if {@code input} parsed and type-checked, false if it failed cleanly; {@link Broken} otherwise. */
    static boolean check(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        try {
            Graph g = IrParser.parse(FILE, input);
            // What parses must print and parse back to the same graph, checked or not.
            Graph again = IrParser.parse(FILE, IrPrinter.print(g));
            if (!again.withoutPositions().equals(g.withoutPositions())) {
                throw new Broken("round trip differs", text, null);
            }
            ShapeInference.infer(g);
            return true;
        } catch (CompileError e) {
            String line = e.render();
            Matcher m = RENDERED.matcher(line);
            if (!m.matches() || line.contains("\n")) {
                throw new Broken("badly rendered error '" + line + "'", text, e);
            }
            long lines = text.chars().filter(c -> c == '\n').count() + 1;
            if (Long.parseLong(m.group(1)) > lines) {
                throw new Broken("error past the last line '" + line + "'", text, e);
            }
            return false;
        } catch (Broken b) {
            throw b;
        } catch (Throwable t) {
            throw new Broken(t.toString(), text, t);
        }
    }
}
