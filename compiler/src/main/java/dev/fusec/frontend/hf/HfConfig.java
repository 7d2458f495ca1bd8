package dev.fusec.frontend.hf;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.SourcePos;
import dev.fusec.runtime.BoundedInput;
import dev.fusec.runtime.Json;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A Hugging Face {@code config.json}, read strictly (see {@link Json}) through the bounded reader,
 * and the keys asked of it remembered, so that a model fusec does not know can be reported with
 * what was read. Every error is one line at {@code config.json:1:1}.
 */
public final class HfConfig {
    /** A config is a few kilobytes; a larger file is not one. */
    static final long MAX_BYTES = 4L << 20;

    private final Path path;
    private final Json.Obj json;
    private final Set<String> read = new LinkedHashSet<>();

    HfConfig(Path path, Json.Obj json) {
        this.path = path;
        this.json = json;
    }

    public static HfConfig read(Path path) {
        byte[] bytes;
        try {
            bytes = BoundedInput.readAll(path, MAX_BYTES, "a config.json");
        } catch (NoSuchFileException e) {
            throw new CompileError(SourcePos.startOf(path.toString()), "no such file");
        } catch (IOException e) {
            throw new CompileError(SourcePos.startOf(path.toString()), "cannot read: " + e.getMessage());
        }
        return parse(path, bytes);
    }

    /** Parses config text (the fuzzer's entry point). */
    public static HfConfig parse(Path path, byte[] bytes) {
        Json.Value v;
        try {
            v = Json.parse(bytes);
        } catch (Json.JsonException e) {
            throw error(path, e.getMessage());
        }
        if (!(v instanceof Json.Obj o)) {
            throw error(path, "expected a JSON object, found " + v.kind());
        }
        return new HfConfig(path, o);
    }

    public Path path() {
        return path;
    }

    /** The keys read so far, in order. */
    public List<String> keysRead() {
        return new ArrayList<>(read);
    }

    public boolean has(String key) {
        read.add(key);
        return json.get(key).isPresent() && !(json.get(key).get() instanceof Json.Null);
    }

    public String string(String key) {
        return optionalString(key).orElseThrow(() -> error(path, "has no \"" + key + "\""));
    }

    public Optional<String> optionalString(String key) {
        read.add(key);
        Optional<Json.Value> v = json.get(key);
        if (v.isEmpty() || v.get() instanceof Json.Null) {
            return Optional.empty();
        }
        if (!(v.get() instanceof Json.Str s)) {
            throw error(path, "\"" + key + "\" is " + v.get().kind() + ", not a string");
        }
        return Optional.of(s.value());
    }

    /** A whole number in [min, max]. */
    public long integer(String key, long min, long max) {
        read.add(key);
        Json.Value v = json.get(key).orElseThrow(() -> error(path, "has no \"" + key + "\""));
        Optional<Long> n = v instanceof Json.Num num ? num.longValue() : Optional.empty();
        if (n.isEmpty() || n.get() < min || n.get() > max) {
            throw error(path, "\"" + key + "\" must be a whole number from " + min + " to " + max + ", got "
                    + (v instanceof Json.Num num ? num.text() : v.kind()));
        }
        return n.get();
    }

    public double number(String key, double dflt) {
        read.add(key);
        Optional<Json.Value> v = json.get(key);
        if (v.isEmpty() || v.get() instanceof Json.Null) {
            return dflt;
        }
        if (!(v.get() instanceof Json.Num num) || !Double.isFinite(num.doubleValue())) {
            throw error(path, "\"" + key + "\" must be a finite number, got " + v.get().kind());
        }
        return num.doubleValue();
    }

    public boolean bool(String key, boolean dflt) {
        read.add(key);
        Optional<Json.Value> v = json.get(key);
        if (v.isEmpty() || v.get() instanceof Json.Null) {
            return dflt;
        }
        if (!(v.get() instanceof Json.Bool b)) {
            throw error(path, "\"" + key + "\" must be true or false, got " + v.get().kind());
        }
        return b.value();
    }

    public CompileError error(String message) {
        return error(path, message);
    }

    static CompileError error(Path path, String message) {
        return new CompileError(SourcePos.startOf(path.toString()), message);
    }
}
