package dev.fusec.runtime;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one reader of every file fusec reads for a user. Regular files, FIFOs, devices and standard
 * input ({@code -}) get the same treatment: read as a stream, never past a cap, so that
 * {@code /dev/zero} or an endless pipe ends at once with one line instead of filling the heap.
 */
public final class BoundedInput {
    private BoundedInput() {}

    /** An input larger than the reader's cap. */
    public static final class TooLarge extends IOException {
        public TooLarge(String message) {
            super(message);
        }
    }

    /** Whether {@code path} means standard input. */
    public static boolean isStdin(Path path) {
        return path.toString().equals("-");
    }

    /** Opens {@code path} ({@code -}: standard input); a directory is refused. */
    public static InputStream open(Path path) throws IOException {
        if (isStdin(path)) {
            return new FileInputStream(FileDescriptor.in);
        }
        if (Files.isDirectory(path)) {
            throw new IOException("is a directory");
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        return Files.newInputStream(path);
    }

    /** Every byte of {@code path}, at most {@code max}; one more is {@link TooLarge}. */
    public static byte[] readAll(Path path, long max, String what) throws IOException {
        try (InputStream in = open(path)) {
            byte[] bytes = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > max) {
                throw new TooLarge("larger than " + describe(max) + "; not " + what);
            }
            return bytes;
        }
    }

    /** Exactly {@code n} bytes of {@code in} into {@code b}, or fewer where the input ends: the count read. */
    public static int readFully(InputStream in, byte[] b, int n) throws IOException {
        return in.readNBytes(b, 0, n);
    }

    static String describe(long bytes) {
        return bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }
}
