package dev.fusec.onnx;

import dev.fusec.runtime.OutputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Where ONNX Runtime's native libraries are loaded from: a folder in fusec's cache, filled once from
 * the ORT jar, instead of ORT's default of extracting them into a fresh temporary folder on every
 * start. That default costs 22 MB of writes per process and, on Linux, leaves the folder behind: ORT
 * asks for the folder to be deleted on exit after its files, and the JVM deletes in the reverse
 * order, so the folder is still full when its turn comes (one empty {@code /tmp/onnxruntime-java*}
 * per {@code fusec bench}). With {@code onnxruntime.native.path} set, ORT's temporary folder stays
 * empty and goes at exit.
 *
 * <p>A cached library is used only when its CRC-32 matches the jar entry's; anything else is
 * extracted again (to a temporary file renamed into place, so concurrent processes never see half a
 * library). When the cache cannot be written, nothing is set and ORT does as it always did.
 */
final class OrtLibraries {
    private OrtLibraries() {}

    /** The system property ORT reads for a folder that holds its libraries. */
    static final String PATH_PROPERTY = "onnxruntime.native.path";

    /** ORT's libraries in the order it loads them, by base name. */
    private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni");

    /**
     * Points ORT at its libraries in {@code cacheRoot} (extracting them when missing or different),
     * unless the user already chose a folder; must run before ORT's classes initialise. Returns the
     * folder ORT will load from, or empty when ORT keeps its own behaviour.
     */
    static synchronized Optional<Path> useCache(Path cacheRoot) {
        String chosen = System.getProperty(PATH_PROPERTY);
        if (chosen != null) {
            return Optional.of(Path.of(chosen));
        }
        Optional<Path> dir = extract(cacheRoot);
        dir.ifPresent(d -> System.setProperty(PATH_PROPERTY, d.toString()));
        return dir;
    }

    /**
     * Copies this platform's ORT libraries from the jar into {@code cacheRoot/onnxruntime/PLATFORM-CRC}
     * (CRC: the main library's CRC-32 in the jar, so another ORT build gets its own folder, also from a
     * shaded jar such as the JMH one, whose manifest names no ORT version), keeping copies whose CRC-32
     * already matches. Empty when the jar has no libraries for this platform, they are not in a jar,
     * or the folder cannot be written.
     */
    static Optional<Path> extract(Path cacheRoot) {
        Optional<String> platform = platform();
        if (platform.isEmpty()) {
            return Optional.empty();
        }
        try {
            List<JarURLConnection> jars = new ArrayList<>();
            for (String library : LIBRARIES) {
                URL resource = OrtLibraries.class.getClassLoader()
                        .getResource("ai/onnxruntime/native/" + platform.get() + "/" + System.mapLibraryName(library));
                if (resource == null || !(resource.openConnection() instanceof JarURLConnection jar) || jar.getJarEntry().getCrc() < 0) {
                    return Optional.empty();
                }
                jars.add(jar);
            }
            Path dir = cacheRoot.resolve("onnxruntime")
                    .resolve(platform.get() + "-" + String.format(Locale.ROOT, "%08x", jars.getFirst().getJarEntry().getCrc()));
            Files.createDirectories(dir);
            for (JarURLConnection jar : jars) {
                long crc = jar.getJarEntry().getCrc();
                Path target = dir.resolve(Path.of(jar.getEntryName()).getFileName().toString());
                if (!Files.isRegularFile(target) || crc32(target) != crc) {
                    try (InputStream in = jar.getInputStream()) {
                        OutputFiles.write(target, in::transferTo);
                    }
                }
            }
            return Optional.of(dir);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** ORT's name for this platform's folder of libraries in its jar ({@code linux-x64}, ...). */
    private static Optional<String> platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x64";
            case "aarch64", "arm64" -> "aarch64";
            default -> null;
        };
        String system = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "osx" : os.startsWith("windows") ? "win" : null;
        return system == null || arch == null ? Optional.empty() : Optional.of(system + "-" + arch);
    }

    private static long crc32(Path file) throws IOException {
        CRC32 crc = new CRC32();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                crc.update(buf);
                buf.clear();
            }
        }
        return crc.getValue();
    }
}
