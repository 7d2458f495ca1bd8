package dev.fusec.runtime;

import dev.fusec.runtime.kernels.KernelHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Turns generated kernel sources into running kernels: one in-process javac task for all kernels of
 * a graph (or a cache hit that skips javac), then each class defined as a hidden class. The first
 * load gives C2 fusec's directives where the JVM lacks its options ({@link JitDirectives}).
 */
public final class KernelCompiler {
    private KernelCompiler() {}

    /** The loaded kernels (in source order) and how they were obtained. */
    public record Loaded(List<Kernel> kernels, boolean cacheHit, double compileMs, double loadMs, String cacheKey) {}

    /**
     * Compiles or loads {@code sources}. {@code cache} may be null (no cache). The species string
     * is part of the cache key, since kernels are specialised on the vector width.
     */
    public static Loaded load(List<KernelSource> sources, String species, KernelCache cache) {
        return load(sources, species, cache, true);
    }

    /** {@code readCache} false: compile even if an entry exists, and replace it. */
    private static Loaded load(List<KernelSource> sources, String species, KernelCache cache, boolean readCache) {
        // Before any kernel can get hot: in a JVM started without jvm-options.txt, C2 must see the directives first.
        JitDirectives.ensureApplied();
        long t0 = System.nanoTime();
        String key = KernelCache.key(sources, species);
        Optional<Map<String, byte[]>> cached = cache == null || !readCache ? Optional.empty() : cache.load(key);
        Map<String, byte[]> classes;
        boolean hit = false;
        if (cached.isPresent() && cached.get().keySet().containsAll(sources.stream().map(KernelSource::className).toList())) {
            classes = cached.get();
            hit = true;
        } else {
            classes = compile(sources);
            if (cache != null) {
                cache.store(key, classes);
            }
        }
        long t1 = System.nanoTime();
        List<Kernel> kernels = new ArrayList<>();
        for (KernelSource s : sources) {
            try {
                kernels.add((Kernel) KernelHost.instantiate(classes.get(s.className())));
            } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
                if (hit) {
                    // A cache entry that does not load is as bad as a corrupt one: compile afresh and replace it.
                    return load(sources, species, cache, false);
                }
                throw new IllegalStateException("cannot load generated kernel " + s.className() + ": " + e, e);
            }
        }
        long t2 = System.nanoTime();
        return new Loaded(kernels, hit, (t1 - t0) / 1e6, (t2 - t1) / 1e6, key);
    }

    /** One javac task over every source; errors are a bug in a generator and carry javac's message. */
    static Map<String, byte[]> compile(List<KernelSource> sources) {
        if (sources.isEmpty()) {
            // A graph of views only has no kernels; javac refuses a task without sources.
            return new LinkedHashMap<>();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no Java compiler in this runtime; fusec needs a full JDK 25, not a JRE");
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StandardJavaFileManager std = javac.getStandardFileManager(diagnostics, Locale.ROOT, null);
        Map<String, ByteArrayOutputStream> outputs = new LinkedHashMap<>();
        JavaFileManager fm = new ForwardingJavaFileManager<>(std) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                                                       FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + ".class"), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        outputs.put(className, out);
                        return out;
                    }
                };
            }
        };
        List<JavaFileObject> units = new ArrayList<>();
        for (KernelSource s : sources) {
            String path = KernelHost.PACKAGE.replace('.', '/') + "/" + s.className() + ".java";
            units.add(new SimpleJavaFileObject(URI.create("mem:///" + path), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return s.source();
                }
            });
        }
        List<String> options = List.of("-classpath", System.getProperty("java.class.path"),
                "--add-modules", "jdk.incubator.vector", "-proc:none", "-nowarn", "-Xlint:none", "-g:source,lines");
        boolean ok = javac.getTask(null, fm, diagnostics, options, null, units).call();
        try {
            fm.close();
        } catch (IOException ignored) {
            // In-memory outputs: nothing to flush.
        }
        if (!ok) {
            String first = diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .findFirst().map(d -> d.getSource().getName() + ":" + d.getLineNumber() + ": " + d.getMessage(Locale.ROOT))
                    .orElse("unknown error");
            throw new IllegalStateException("generated kernel does not compile: " + first);
        }
        Map<String, byte[]> classes = new LinkedHashMap<>();
        outputs.forEach((name, bytes) -> classes.put(name.substring(name.lastIndexOf('.') + 1), bytes.toByteArray()));
        return classes;
    }
}
