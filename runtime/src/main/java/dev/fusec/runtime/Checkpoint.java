package dev.fusec.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A model's weights: one {@code .safetensors} file, or a folder holding {@code model.safetensors}
 * or a sharded set described by {@code model.safetensors.index.json} (its {@code weight_map} names the
 * shard of every tensor). Every file is mapped ({@link SafeTensors}); tensors are looked up by name.
 *
 * <p>The index and the shards must agree: each tensor the index lists is in the shard it names, each
 * tensor of a shard is listed, and shard names are plain file names in the folder (no paths), so an
 * index cannot reach outside it.
 */
public final class Checkpoint implements AutoCloseable {
    /** Largest index file read: an index lists names only (Llama-3-70B's is under 100 KB). */
    static final long MAX_INDEX = 64L << 20;
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";

    private final Path source;
    private final List<SafeTensors> files;
    private final Map<String, SafeTensors> byName;

    private Checkpoint(Path source, List<SafeTensors> files, Map<String, SafeTensors> byName) {
        this.source = source;
        this.files = files;
        this.byName = byName;
    }

    /** Opens a file, or a folder with an index or a single {@code model.safetensors}. */
    public static Checkpoint open(Path fileOrDir) throws IOException, SafeTensors.SafeTensorsException {
        if (!Files.exists(fileOrDir)) {
            throw new NoSuchFileException(fileOrDir.toString());
        }
        if (!Files.isDirectory(fileOrDir)) {
            SafeTensors f = SafeTensors.open(fileOrDir);
            Map<String, SafeTensors> by = new LinkedHashMap<>();
            f.entries().keySet().forEach(n -> by.put(n, f));
            return new Checkpoint(fileOrDir, List.of(f), by);
        }
        Path index = fileOrDir.resolve(INDEX);
        if (Files.exists(index)) {
            return sharded(fileOrDir, index);
        }
        if (Files.exists(fileOrDir.resolve(SINGLE))) {
            return open(fileOrDir.resolve(SINGLE));
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(fileOrDir)) {
            found = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().limit(3).toList();
        }
        if (found.size() == 1) {
            return open(found.get(0));
        }
        throw new SafeTensors.SafeTensorsException(fileOrDir, "no " + SINGLE + " or " + INDEX + " in this folder"
                + (found.isEmpty() ? "" : " (several .safetensors files and no index to say which tensor is where)"));
    }

    private static Checkpoint sharded(Path dir, Path index) throws IOException, SafeTensors.SafeTensorsException {
        Json.Value v;
        try {
            v = Json.parse(BoundedInput.readAll(index, MAX_INDEX, "a safetensors index"));
        } catch (Json.JsonException e) {
            throw new SafeTensors.SafeTensorsException(index, e.getMessage());
        } catch (BoundedInput.TooLarge e) {
            throw new SafeTensors.SafeTensorsException(index, e.getMessage());
        }
        if (!(v instanceof Json.Obj o) || !(o.get("weight_map").orElse(null) instanceof Json.Obj map)) {
            throw new SafeTensors.SafeTensorsException(index, "expected an object with a \"weight_map\" object");
        }
        Map<String, String> shardOf = new LinkedHashMap<>();
        for (Map.Entry<String, Json.Value> e : map.fields().entrySet()) {
            if (!(e.getValue() instanceof Json.Str s)) {
                throw new SafeTensors.SafeTensorsException(index, "weight_map: " + Json.quote(e.getKey()) + " maps to "
                        + e.getValue().kind() + ", not a file name");
            }
            String name = s.value();
            if (!name.endsWith(".safetensors") || name.contains("/") || name.contains("\\") || name.startsWith(".")
                    || name.chars().anyMatch(c -> c < 0x20) || name.length() > 255) {
                throw new SafeTensors.SafeTensorsException(index, "weight_map: shard " + Json.quote(name)
                        + " is not a plain .safetensors file name in this folder");
            }
            shardOf.put(e.getKey(), name);
        }
        if (shardOf.isEmpty()) {
            throw new SafeTensors.SafeTensorsException(index, "weight_map is empty");
        }
        Map<String, SafeTensors> opened = new TreeMap<>();
        List<SafeTensors> files = new ArrayList<>();
        try {
            for (String shard : new java.util.TreeSet<>(shardOf.values())) {
                Path p = dir.resolve(shard);
                if (!Files.exists(p)) {
                    throw new SafeTensors.SafeTensorsException(index, "weight_map names shard " + Json.quote(shard) + ", which is not in the folder");
                }
                SafeTensors f = SafeTensors.open(p);
                opened.put(shard, f);
                files.add(f);
            }
            Map<String, SafeTensors> by = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : shardOf.entrySet()) {
                SafeTensors f = opened.get(e.getValue());
                if (!f.entries().containsKey(e.getKey())) {
                    throw new SafeTensors.SafeTensorsException(f.path(), "the index puts tensor " + Json.quote(e.getKey())
                            + " in this shard, which does not hold it");
                }
                by.put(e.getKey(), f);
            }
            for (SafeTensors f : files) {
                for (String name : f.entries().keySet()) {
                    if (by.get(name) != f) {
                        throw new SafeTensors.SafeTensorsException(f.path(), "tensor " + Json.quote(name)
                                + " is in this shard but the index " + (by.containsKey(name) ? "puts it in " + by.get(name).path().getFileName()
                                : "does not list it"));
                    }
                }
            }
            return new Checkpoint(dir, Collections.unmodifiableList(files), by);
        } catch (IOException | SafeTensors.SafeTensorsException | RuntimeException e) {
            files.forEach(SafeTensors::close);
            throw e;
        }
    }

    /** The file or folder it was opened from. */
    public Path source() {
        return source;
    }

    /** Every tensor name, in index (or header) order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public Optional<SafeTensors.Entry> entry(String name) {
        SafeTensors f = byName.get(name);
        return f == null ? Optional.empty() : Optional.of(f.entries().get(name));
    }

    /** The file holding {@code name}. */
    public Optional<Path> fileOf(String name) {
        return Optional.ofNullable(byName.get(name)).map(SafeTensors::path);
    }

    /** The tensor {@code name} as a view of its file's mapping, if the checkpoint has it (see {@link SafeTensors#tensor}). */
    public Optional<StoredTensor> tensor(String name) {
        SafeTensors f = byName.get(name);
        return f == null ? Optional.empty() : Optional.of(f.tensor(name));
    }

    /** Total bytes of tensor data. */
    public long dataBytes() {
        long n = 0;
        for (SafeTensors f : files) {
            for (SafeTensors.Entry e : f.entries().values()) {
                n += e.end() - e.begin();
            }
        }
        return n;
    }

    @Override
    public void close() {
        files.forEach(SafeTensors::close);
    }
}
