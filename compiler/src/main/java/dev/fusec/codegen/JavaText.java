package dev.fusec.codegen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Generator templates are written as plain Java; the types they name (FloatVector, VectorMask, ...)
 * become JavaPoet {@code $T} references, so JavaFile writes the imports. Templates are fixed text
 * in this code base; values interpolated into them are numbers and generated identifiers only.
 */
final class JavaText {
    private JavaText() {}

    private static final String VECTOR = "jdk.incubator.vector";
    private static final String RUNTIME = "dev.fusec.runtime";
    static final Map<String, ClassName> TYPES = Map.ofEntries(
            type(VECTOR, "FloatVector"),
            type(VECTOR, "IntVector"),
            type(VECTOR, "VectorMask"),
            type(VECTOR, "VectorOperators"),
            type(VECTOR, "VectorShuffle"),
            type(VECTOR, "VectorSpecies"),
            type(RUNTIME, "Activations"),
            type(RUNTIME, "Parallel"),
            type(RUNTIME, "Packing"),
            type(RUNTIME, "Rounding"),
            type(RUNTIME, "Scratch"),
            type(RUNTIME, "StoredTensor"),
            type(RUNTIME, "VectorMath"));

    private static Map.Entry<String, ClassName> type(String pkg, String name) {
        return Map.entry(name, ClassName.get(pkg, name));
    }

    /**
     * Lines to put at a template placeholder indented by {@code spaces}: the first takes the
     * placeholder's indent, the others get it here.
     */
    static String nested(String lines, int spaces) {
        return lines.strip().replace("\n", "\n" + " ".repeat(spaces));
    }

    /**
     * Java text (statements, one or more lines) as a CodeBlock with its types resolved. Blank lines
     * are dropped: templates leave them where a placeholder came out empty.
     */
    static CodeBlock code(String java) {
        String text = java.replaceAll("(?m)^[ \\t]*\\R", "");
        return block(text.endsWith("\n") ? text : text + "\n");
    }

    /** A Java expression (no trailing newline) with its types resolved. */
    static CodeBlock expression(String java) {
        return block(java.strip());
    }

    /**
     * Each identifier that names one of {@link #TYPES} becomes {@code $T}: what the regex
     * {@code \b(FloatVector|...)\b} found, by one scan over the words (the regex, tried at every
     * character, was half of the time to emit a kernel).
     */
    private static CodeBlock block(String java) {
        String escaped = java.replace("$", "$$");
        StringBuilder format = new StringBuilder(escaped.length());
        List<Object> args = new ArrayList<>();
        int i = 0;
        while (i < escaped.length()) {
            int end = i;
            while (end < escaped.length() && isWord(escaped.charAt(end))) {
                end++;
            }
            if (end == i) {
                format.append(escaped.charAt(i++));
                continue;
            }
            ClassName type = TYPES.get(escaped.substring(i, end));
            if (type != null) {
                format.append("$T");
                args.add(type);
            } else {
                format.append(escaped, i, end);
            }
            i = end;
        }
        return CodeBlock.of(format.toString(), args.toArray());
    }

    /** A word character as {@code \b} sees it. */
    private static boolean isWord(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
    }
}
