package dev.fusec.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JVM options generated kernels run at full speed with, read from this package's resource
 * {@code jvm-options.txt}: the one list, which the fusec launcher and the JMH forks read too (why each
 * option is there: docs/jvm-options.md). A JVM started without them gets what can be given at run time
 * from {@link JitDirectives}.
 */
public final class JvmOptions {
    private JvmOptions() {}

    /** The resource's name, beside this class. */
    static final String RESOURCE = "jvm-options.txt";

    /** The options, in the file's order. */
    public static List<String> kernelOptions() {
        try (InputStream in = JvmOptions.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing beside " + JvmOptions.class.getName());
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /**
     * One option a line, surrounding blanks dropped; blank lines and lines that start with '#' are
     * skipped. A line is one option, never split: the launcher reads the file the same way.
     */
    static List<String> parse(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
