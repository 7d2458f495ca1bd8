package dev.fusec.ir;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where a graph input's value comes from in a checkpoint: {@code w: f32[176, 64] = weight("NAME")}.
 * NAME is the tensor's name in the checkpoint; {@code {layer}} in it stands for the layer chosen
 * with {@code --layer}, and a trailing {@code [N]} picks entry N of the tensor's first axis (one
 * expert of a stacked {@code [experts, ...]} tensor). Names are printable ASCII without quotes or
 * backslashes, so they need no escaping in the IR and can never reach generated code.
 */
public record WeightRef(String template) {
    /** Longest name accepted; checkpoint names are well under a hundred characters. */
    public static final int MAX_LENGTH = 512;
    public static final String LAYER = "{layer}";

    public WeightRef {
        Optional<String> bad = problem(template);
        if (bad.isPresent()) {
            throw new IllegalArgumentException(bad.get());
        }
    }

    /** Why {@code text} is not a valid weight name, if it is not. */
    public static Optional<String> problem(String text) {
        if (text.isEmpty() || text.length() > MAX_LENGTH) {
            return Optional.of("a weight name has 1 to " + MAX_LENGTH + " characters, this one " + text.length());
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return Optional.of("a weight name is printable ASCII without '\"' or '\\'; character " + (i + 1) + " is not");
            }
        }
        String rest = text.replace(LAYER, "");
        if (rest.indexOf('{') >= 0 || rest.indexOf('}') >= 0) {
            return Optional.of("'{' and '}' appear in a weight name only as " + LAYER);
        }
        int open = rest.indexOf('[');
        if (open >= 0) {
            String idx = rest.substring(open);
            if (!idx.matches("\\[[0-9]{1,9}]") || open == 0) {
                return Optional.of("'[' appears in a weight name only as a trailing [N], an entry of the first axis");
            }
        }
        return Optional.empty();
    }

    /** Whether the name depends on the layer. */
    public boolean perLayer() {
        return template.contains(LAYER);
    }

    /** The checkpoint tensor's name for {@code layer} (without any trailing [N]). */
    public String tensor(OptionalInt layer) {
        String t = index().isPresent() ? template.substring(0, template.lastIndexOf('[')) : template;
        if (perLayer()) {
            if (layer.isEmpty()) {
                throw new IllegalArgumentException("weight " + template + " names a layer; choose one with --layer");
            }
            t = t.replace(LAYER, Integer.toString(layer.getAsInt()));
        }
        return t;
    }

    /** The entry of the first axis a trailing [N] picks. */
    public OptionalInt index() {
        if (!template.endsWith("]")) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(Integer.parseInt(template.substring(template.lastIndexOf('[') + 1, template.length() - 1)));
    }

    /** As the IR writes it: {@code weight("...")}. */
    @Override
    public String toString() {
        return "weight(\"" + template + "\")";
    }
}
