package dev.fusec.runtime;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiled kernel classes on disk, keyed by a SHA-256 of the sources, the JDK version and the vector
 * species. An entry holds its own key and a checksum: a corrupt, truncated or foreign file is a miss
 * (and is recompiled and replaced), never trusted. Writes go to a temporary file renamed into place.
 */
public final class KernelCache {
    private static final String MAGIC = "fusec-kernels-1";
    private final Path dir;

    public KernelCache(Path dir) {
        this.dir = dir;
    }

    /** {@code $XDG_CACHE_HOME/fusec}, else {@code ~/.cache/fusec}. */
    public static Path defaultDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("fusec");
    }

    public Path dir() {
        return dir;
    }

    /** The cache key of a compilation: sources, JDK and species all change the classes. */
    public static String key(List<KernelSource> sources, String species) {
        MessageDigest md = ChecksummedFile.sha256();
        for (KernelSource s : sources) {
            md.update(s.className().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(s.source().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        md.update(Runtime.version().toString().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(species.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest());
    }

    public Path entry(String key) {
        return dir.resolve(key + ".kernels");
    }

    /** The class bytes stored under {@code key}, or empty when absent, corrupt or foreign. */
    public Optional<Map<String, byte[]>> load(String key) {
        Optional<byte[]> body = ChecksummedFile.read(entry(key));
        if (body.isEmpty()) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body.get()))) {
            if (!in.readUTF().equals(MAGIC) || !in.readUTF().equals(key)) {
                return Optional.empty();
            }
            int count = in.readInt();
            Map<String, byte[]> classes = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                byte[] bytes = new byte[in.readInt()];
                in.readFully(bytes);
                classes.put(name, bytes);
            }
            return Optional.of(classes);
        } catch (IOException | RuntimeException corrupt) {
            return Optional.empty();
        }
    }

    /** Stores the classes atomically; a failure to write only costs the next run a compile. */
    public boolean store(String key, Map<String, byte[]> classes) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeUTF(MAGIC);
            out.writeUTF(key);
            out.writeInt(classes.size());
            for (var e : classes.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
        } catch (IOException e) {
            return false;
        }
        return ChecksummedFile.write(entry(key), buf.toByteArray());
    }
}
