package dev.fusec.runtime;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one writer of every file fusec makes. What a user owns is never destroyed:
 * <ul>
 *   <li>a regular file (or a new one) is replaced atomically: the content goes to a temporary file in
 *       the directory of the resolved target, is flushed to disk, and is renamed over it, so readers
 *       see the old file or the whole new one;</li>
 *   <li>a symbolic link is written through: its target is replaced, the link stays;</li>
 *   <li>a FIFO, a character device or {@code -} (standard output) is written in place, never replaced;</li>
 *   <li>a path that cannot be written (a directory, a missing parent, no permission, a read-only file
 *       system) is refused by {@link #check} before any work starts: the temporary file is made
 *       there and then;</li>
 *   <li>the outputs of one {@link Batch} appear together: all are written whole to their temporary
 *       files first, then the in-place ones are written, then the files are moved into place one
 *       after another; if anything fails before the moves, no file is replaced;</li>
 *   <li>every temporary file the process made is removed when it ends, SIGINT and SIGTERM included
 *       (a shutdown hook); only SIGKILL can leave one behind.</li>
 * </ul>
 */
public final class OutputFiles {
    private OutputFiles() {}

    /** Produces a file's content on a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** A path that cannot be written; the message says why (the caller names the path). */
    public static final class Unwritable extends IOException {
        public Unwritable(String message) {
            super(message);
        }
    }

    /** A write that failed at {@link Batch#commit}: which output, and why. */
    public static final class WriteFailed extends IOException {
        private final Path given;

        WriteFailed(Path given, IOException cause) {
            super(reason(cause), cause);
            this.given = given;
        }

        /** The output as the user gave it. */
        public Path given() {
            return given;
        }
    }

    /** Where standard output's bytes go for {@code -}; the CLI's own stream, so a write error is seen. */
    private static volatile OutputStream stdout = new FileOutputStream(FileDescriptor.out);

    /** Temporary files not yet moved into place or removed: what the shutdown hook removes. */
    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(OutputFiles::removePending, "fusec-temp-cleanup"));
    }

    /** Sets the stream {@code -} writes to (the CLI's checked standard output). */
    public static void standardOutput(OutputStream out) {
        stdout = out;
    }

    /** Most symbolic links followed to find a target, as the kernel's own limit. */
    private static final int MAX_LINKS = 40;

    /** Where one output goes, resolved and checked. */
    public sealed interface Target {
        /** The path as the user gave it, for messages. */
        Path given();
    }

    /** A regular or new file, replaced atomically; {@code temp} is already made beside {@code file}. */
    record Replace(Path given, Path file, Path temp) implements Target {}

    /** A FIFO or character device, written in place. */
    record InPlace(Path given, Path file) implements Target {}

    /** {@code -}: standard output. */
    record Stdout(Path given) implements Target {}

    /** Whether {@code path} means standard output. */
    public static boolean isStdout(Path path) {
        return path.toString().equals("-");
    }

    /**
     * Resolves {@code given} (following symbolic links, dangling ones included) and checks that it can
     * be written; for a file to replace, makes its temporary file now, so that anything that would stop
     * the write is found before the work.
     */
    public static Target check(Path given) throws Unwritable {
        if (isStdout(given)) {
            return new Stdout(given);
        }
        Path file = resolve(given);
        BasicFileAttributes attrs = attributes(file);
        if (attrs != null && attrs.isDirectory()) {
            throw new Unwritable("cannot write: it is a directory");
        }
        if (attrs != null && attrs.isOther()) {
            if (!Files.isWritable(file)) {
                throw new Unwritable("cannot write: permission denied");
            }
            return new InPlace(given, file);
        }
        if (attrs != null && !Files.isWritable(file)) {
            throw new Unwritable("cannot write: the file is read-only");
        }
        Path dir = file.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new Unwritable("cannot write: directory " + dir + " does not exist");
        }
        try {
            Path temp = Files.createTempFile(dir, ".fusec-", ".tmp");
            PENDING.add(temp);
            return new Replace(given, file, temp);
        } catch (IOException e) {
            throw new Unwritable("cannot write into directory " + dir + ": " + reason(e));
        }
    }

    /** Writes one output: {@link #check}, then the content, then into place. */
    public static void write(Path given, Content content) throws IOException {
        try (Batch b = new Batch()) {
            b.add(check(given), content);
            b.commit();
        }
    }

    public static void write(Path given, byte[] bytes) throws IOException {
        write(given, out -> out.write(bytes));
    }

    /**
     * The outputs of one command, which appear together or not at all. {@link #add} writes a file's
     * content to its temporary file at once (in-place targets are written at {@link #commit}, last,
     * since they cannot be taken back); {@link #close} removes whatever was not committed.
     */
    public static final class Batch implements AutoCloseable {
        private final List<Replace> written = new ArrayList<>();
        private final List<Target> inPlace = new ArrayList<>();
        private final List<Content> inPlaceContent = new ArrayList<>();
        private boolean committed;

        public void add(Target target, Content content) throws IOException {
            switch (target) {
                case Replace r -> {
                    try (FileChannel ch = FileChannel.open(r.temp(), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                        writeBuffered(content, Channels.newOutputStream(ch));
                        ch.force(true);
                    }
                    written.add(r);
                }
                case InPlace p -> {
                    inPlace.add(p);
                    inPlaceContent.add(content);
                }
                case Stdout s -> {
                    inPlace.add(s);
                    inPlaceContent.add(content);
                }
            }
        }

        /**
         * Writes the in-place targets, then moves every file into place. In-place writes go first:
         * they cannot be taken back, and if one fails, no file has been replaced yet.
         */
        public void commit() throws IOException {
            for (int i = 0; i < inPlace.size(); i++) {
                Target t = inPlace.get(i);
                try {
                    switch (t) {
                        case InPlace p -> {
                            try (OutputStream out = Files.newOutputStream(p.file(), StandardOpenOption.WRITE)) {
                                writeBuffered(inPlaceContent.get(i), out);
                            }
                        }
                        case Stdout s -> writeBuffered(inPlaceContent.get(i), stdout);
                        case Replace r -> throw new IllegalStateException("not an in-place target: " + r);
                    }
                } catch (IOException e) {
                    throw new WriteFailed(t.given(), e);
                }
            }
            for (Replace r : written) {
                try {
                    // Temporary files start owner-only; results are ordinary files, readable like any other.
                    Files.setPosixFilePermissions(r.temp(), PosixFilePermissions.fromString("rw-r--r--"));
                } catch (UnsupportedOperationException notPosix) {
                    // The platform's defaults apply.
                }
                Files.move(r.temp(), r.file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                PENDING.remove(r.temp());
            }
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                for (Replace r : written) {
                    discard(r);
                }
            }
        }
    }

    private static void writeBuffered(Content content, OutputStream out) throws IOException {
        OutputStream buffered = new java.io.BufferedOutputStream(out, 1 << 16);
        content.writeTo(buffered);
        buffered.flush();
    }

    /** Gives up on targets that were checked but will not be written: their temporary files go. */
    public static void discard(Target t) throws IOException {
        if (t instanceof Replace r) {
            Files.deleteIfExists(r.temp());
            PENDING.remove(r.temp());
        }
    }

    /** Longest file name {@link #fileName} makes: well inside every file system's 255-byte limit. */
    public static final int MAX_NAME = 120;

    /**
     * A file name made from {@code stem} (a name from the IR or a model) and {@code suffix}: characters
     * outside {@code [A-Za-z0-9_.-]} become {@code _}, a leading dot too (no hidden files, no
     * {@code ..}), and a name longer than {@link #MAX_NAME} is cut and given a stable hash of the whole
     * stem, so that different long names stay different.
     */
    public static String fileName(String stem, String suffix) {
        StringBuilder b = new StringBuilder();
        stem.codePoints().forEach(c -> b.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.')
                ? (char) c : '_'));
        if (b.isEmpty() || b.charAt(0) == '.') {
            b.insert(0, '_');
        }
        if (b.length() + suffix.length() > MAX_NAME) {
            String hash = java.util.HexFormat.of().formatHex(sha256(stem.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0, 6);
            b.setLength(MAX_NAME - suffix.length() - hash.length() - 1);
            b.append('-').append(hash);
        }
        return b + suffix;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The path a write to {@code given} lands on: symbolic links followed, dangling ones too. */
    static Path resolve(Path given) throws Unwritable {
        Path p = given.toAbsolutePath().normalize();
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == MAX_LINKS) {
                throw new Unwritable("cannot write: too many levels of symbolic links");
            }
            try {
                Path link = Files.readSymbolicLink(p);
                p = (p.getParent() == null ? link : p.getParent().resolve(link)).toAbsolutePath().normalize();
            } catch (IOException e) {
                throw new Unwritable("cannot write: " + reason(e));
            }
        }
        return p;
    }

    private static BasicFileAttributes attributes(Path p) throws Unwritable {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException absent) {
            return null;
        } catch (IOException e) {
            throw new Unwritable("cannot write: " + reason(e));
        }
    }

    /** What went wrong, without the path the JDK repeats in its messages (the caller names it). */
    static String reason(IOException e) {
        String name = e.getClass().getSimpleName();
        return switch (e) {
            case java.nio.file.AccessDeniedException a -> "permission denied";
            case java.nio.file.FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() != null ? e.getMessage() : name;
        };
    }

    private static void removePending() {
        for (Path p : PENDING) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // Nothing more can be done while the process ends.
            }
        }
    }
}
