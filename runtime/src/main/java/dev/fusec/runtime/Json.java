package dev.fusec.runtime;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A strict JSON reader (RFC 8259) for the files models come with: safetensors headers, config.json,
 * model.safetensors.index.json. Strict where lenient readers guess: UTF-8 only, no comments, no
 * trailing commas, no NaN, a key given twice is an error, and nesting is bounded, so no input can make
 * it recurse deeply or read past what it was given. Not a general JSON library: no writer of objects,
 * numbers kept as their text until asked for.
 */
public final class Json {
    private Json() {}

    /** Deepest nesting of arrays and objects accepted; the files above nest three levels. */
    public static final int MAX_DEPTH = 64;

    /** Malformed JSON, or JSON of the wrong shape; the message is one line. */
    public static final class JsonException extends Exception {
        public JsonException(String message) {
            super(message, null, false, false);
        }
    }

    /** A JSON value. */
    public sealed interface Value {
        /** What kind of value this is, for messages: "an object", "a string", ... */
        String kind();
    }

    /** An object; keys in the order written. */
    public record Obj(Map<String, Value> fields) implements Value {
        public Obj {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }

        public String kind() {
            return "an object";
        }

        public Optional<Value> get(String key) {
            return Optional.ofNullable(fields.get(key));
        }
    }

    public record Arr(List<Value> items) implements Value {
        public Arr {
            items = List.copyOf(items);
        }

        public String kind() {
            return "an array";
        }
    }

    public record Str(String value) implements Value {
        public String kind() {
            return "a string";
        }
    }

    /** A number as written; {@link #longValue} and {@link #doubleValue} read it. */
    public record Num(String text) implements Value {
        public String kind() {
            return "a number";
        }

        /** The number as a long, if it is an integer written without fraction or exponent and fits. */
        public Optional<Long> longValue() {
            if (text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0) {
                return Optional.empty();
            }
            try {
                return Optional.of(Long.parseLong(text));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        public double doubleValue() {
            return Double.parseDouble(text);
        }
    }

    public record Bool(boolean value) implements Value {
        public String kind() {
            return "a boolean";
        }
    }

    public record Null() implements Value {
        public String kind() {
            return "null";
        }
    }

    /** Parses {@code utf8} as one JSON value, whitespace allowed around it. */
    public static Value parse(byte[] utf8) throws JsonException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new JsonException("not valid UTF-8");
        }
        return parse(text);
    }

    /** Parses {@code text} as one JSON value, whitespace allowed around it. */
    public static Value parse(String text) throws JsonException {
        Reader r = new Reader(text);
        r.space();
        Value v = r.value(0);
        r.space();
        if (r.pos != text.length()) {
            throw r.error("unexpected text after the value");
        }
        return v;
    }

    /** A string for a message: quoted, on one line, at most 60 characters. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().limit(60).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || Character.getType(cp) == Character.LINE_SEPARATOR
                    || Character.getType(cp) == Character.PARAGRAPH_SEPARATOR) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append(s.codePointCount(0, s.length()) > 60 ? "'..." : "'").toString();
    }

    private static final class Reader {
        private final String s;
        int pos;

        Reader(String s) {
            this.s = s;
        }

        JsonException error(String what) {
            return new JsonException("bad JSON at character " + pos + ": " + what);
        }

        void space() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        Value value(int depth) throws JsonException {
            if (pos >= s.length()) {
                throw error("expected a value, found the end");
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> new Str(string());
                case 't' -> word("true", new Bool(true));
                case 'f' -> word("false", new Bool(false));
                case 'n' -> word("null", new Null());
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        yield number();
                    }
                    throw error("unexpected character " + quote(String.valueOf(c)));
                }
            };
        }

        private Value word(String w, Value v) throws JsonException {
            if (!s.startsWith(w, pos)) {
                throw error("expected " + w);
            }
            pos += w.length();
            return v;
        }

        private Obj object(int depth) throws JsonException {
            if (depth > MAX_DEPTH) {
                throw error("nested more than " + MAX_DEPTH + " levels deep");
            }
            pos++;
            Map<String, Value> fields = new LinkedHashMap<>();
            space();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return new Obj(fields);
            }
            while (true) {
                space();
                if (pos >= s.length() || s.charAt(pos) != '"') {
                    throw error("expected a key in double quotes");
                }
                String key = string();
                space();
                expect(':');
                space();
                Value v = value(depth);
                if (fields.put(key, v) != null) {
                    throw error("key " + quote(key) + " appears twice");
                }
                space();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect('}');
                return new Obj(fields);
            }
        }

        private Arr array(int depth) throws JsonException {
            if (depth > MAX_DEPTH) {
                throw error("nested more than " + MAX_DEPTH + " levels deep");
            }
            pos++;
            List<Value> items = new ArrayList<>();
            space();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return new Arr(items);
            }
            while (true) {
                space();
                items.add(value(depth));
                space();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect(']');
                return new Arr(items);
            }
        }

        private void expect(char c) throws JsonException {
            if (pos >= s.length() || s.charAt(pos) != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        private String string() throws JsonException {
            pos++; // the opening quote
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw error("a string is not closed");
                }
                char c = s.charAt(pos++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("a control character in a string must be escaped");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (pos >= s.length()) {
                    throw error("a string is not closed");
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        // A surrogate must come in a pair, as in every valid UTF-16 string: a lone one is no
                        // character, and would not survive being written out as UTF-8 and read back.
                        char c1 = hex4();
                        if (Character.isLowSurrogate(c1)) {
                            throw error("a lone low surrogate \\u" + Integer.toHexString(c1));
                        }
                        sb.append(c1);
                        if (Character.isHighSurrogate(c1)) {
                            if (!s.startsWith("\\u", pos)) {
                                throw error("a high surrogate \\u" + Integer.toHexString(c1) + " without its low half");
                            }
                            pos += 2;
                            char c2 = hex4();
                            if (!Character.isLowSurrogate(c2)) {
                                throw error("a high surrogate \\u" + Integer.toHexString(c1) + " without its low half");
                            }
                            sb.append(c2);
                        }
                    }
                    default -> throw error("bad escape \\" + quote(String.valueOf(e)));
                }
            }
        }

        private char hex4() throws JsonException {
            if (pos + 4 > s.length()) {
                throw error("\\u needs four hex digits");
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
                char h = s.charAt(pos + i);
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0) {
                    throw error("\\u needs four hex digits");
                }
                v = v * 16 + d;
            }
            pos += 4;
            return (char) v;
        }

        private Num number() throws JsonException {
            int start = pos;
            if (s.charAt(pos) == '-') {
                pos++;
            }
            if (pos < s.length() && s.charAt(pos) == '0') {
                pos++;
            } else if (!digits()) {
                throw error("a number needs digits");
            }
            if (pos < s.length() && s.charAt(pos) == '.') {
                pos++;
                if (!digits()) {
                    throw error("a fraction needs digits");
                }
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
                    pos++;
                }
                if (!digits()) {
                    throw error("an exponent needs digits");
                }
            }
            if (pos - start > 400) {
                throw error("a number of more than 400 characters");
            }
            return new Num(s.substring(start, pos));
        }

        private boolean digits() {
            int start = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            return pos > start;
        }
    }

    /** Escapes {@code s} as the inside of a JSON string (for the few headers fusec writes). */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
