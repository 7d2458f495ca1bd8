package dev.fusec.runtime.opencl;

import dev.fusec.runtime.ChecksummedFile;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Built OpenCL programs on disk ({@code clGetProgramInfo(CL_PROGRAM_BINARIES)}), keyed by a SHA-256
 * of the source, the build options and the device's identity (platform, device, driver version), so
 * a new driver or another device builds afresh. An entry carries its key and a checksum: a corrupt,
 * truncated or foreign file is a miss, never trusted, and the program is built from source and the
 * entry replaced; a binary the driver itself rejects is treated the same way by the caller.
 */
public final class ProgramCache {
    private static final String MAGIC = "fusec-opencl-program-1";
    private final Path dir;

    /** Entries under {@code root/opencl}. */
    public ProgramCache(Path root) {
        this.dir = root.resolve("opencl");
    }

    public Path dir() {
        return dir;
    }

    public static String key(String source, String options, ClDevice device) {
        MessageDigest md = ChecksummedFile.sha256();
        for (String part : new String[] {source, options, device.identity()}) {
            md.update(part.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public Path entry(String key) {
        return dir.resolve(key + ".clbin");
    }

    /** The binary stored under {@code key}, or empty when absent, corrupt or foreign. */
    public Optional<byte[]> load(String key) {
        Optional<byte[]> body = ChecksummedFile.read(entry(key));
        if (body.isEmpty()) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body.get()))) {
            if (!in.readUTF().equals(MAGIC) || !in.readUTF().equals(key)) {
                return Optional.empty();
            }
            byte[] binary = new byte[in.readInt()];
            in.readFully(binary);
            return binary.length == 0 ? Optional.empty() : Optional.of(binary);
        } catch (IOException | RuntimeException corrupt) {
            return Optional.empty();
        }
    }

    /** Stores a binary atomically; a failure only costs the next run a build. */
    public boolean store(String key, byte[] binary) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeUTF(MAGIC);
            out.writeUTF(key);
            out.writeInt(binary.length);
            out.write(binary);
        } catch (IOException e) {
            return false;
        }
        return ChecksummedFile.write(entry(key), buf.toByteArray());
    }
}
