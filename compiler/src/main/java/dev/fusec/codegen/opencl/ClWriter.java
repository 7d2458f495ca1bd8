package dev.fusec.codegen.opencl;

/**
 * A small writer of OpenCL C text: lines at the current indent, blocks opened with {@code head {}
 * and closed, comments that cannot break out of themselves. What the generators write reads as
 * hand-written code: four-space indents, one statement a line.
 */
final class ClWriter {
    private final StringBuilder out = new StringBuilder();
    private int depth;

    /** One line at the current indent (an empty string: a blank line). */
    ClWriter line(String text) {
        if (text.isEmpty()) {
            out.append('\n');
        } else {
            out.append("    ".repeat(depth)).append(text).append('\n');
        }
        return this;
    }

    /** Several lines (a text block), each at the current indent. */
    ClWriter lines(String text) {
        text.lines().forEach(this::line);
        return this;
    }

    /** {@code head {}, and what follows one level deeper. */
    ClWriter open(String head) {
        line(head.isEmpty() ? "{" : head + " {");
        depth++;
        return this;
    }

    /** The closing brace of the innermost open block. */
    ClWriter close() {
        return close("");
    }

    /** The closing brace followed by {@code tail} (e.g. {@code " else {"} is not this: use {@link #reopen}). */
    ClWriter close(String tail) {
        depth--;
        return line("}" + tail);
    }

    /** {@code } else {}: closes a block and opens the next at the same level. */
    ClWriter reopen(String head) {
        depth--;
        line("} " + head + " {");
        depth++;
        return this;
    }

    /**
     * A {@code //} comment per line of {@code text}. Text from the user's graph (names, which the
     * grammar limits to identifiers) appears only here; a line break in it cannot end the comment.
     */
    ClWriter comment(String text) {
        for (String l : text.split("[\\r\\n]+", -1)) {
            line(l.isBlank() ? "//" : "// " + l.strip());
        }
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
