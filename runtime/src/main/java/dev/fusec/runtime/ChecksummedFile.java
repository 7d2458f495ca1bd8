package dev.fusec.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;

/**
 * A cache entry on disk: a body followed by its SHA-256, written atomically through
 * {@link OutputFiles}. A file that is missing, truncated or whose checksum does not match reads as
 * empty, so a corrupt entry is rebuilt, never trusted. (The kernel class cache and the OpenCL
 * program cache both keep their entries this way.)
 */
public final class ChecksummedFile {
    private ChecksummedFile() {}

    /** The body of {@code file}, or empty when it is absent or does not match its checksum. */
    public static Optional<byte[]> read(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException missing) {
            return Optional.empty();
        }
        if (all.length < 32) {
            return Optional.empty();
        }
        byte[] body = Arrays.copyOf(all, all.length - 32);
        byte[] sum = Arrays.copyOfRange(all, all.length - 32, all.length);
        return MessageDigest.isEqual(sha256().digest(body), sum) ? Optional.of(body) : Optional.empty();
    }

    /** Writes {@code body} and its checksum to {@code file} (its folder made first); false when that fails. */
    public static boolean write(Path file, byte[] body) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            OutputFiles.write(file, out -> {
                out.write(body);
                out.write(sha256().digest(body));
            });
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
