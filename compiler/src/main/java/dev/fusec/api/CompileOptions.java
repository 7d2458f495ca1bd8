package dev.fusec.api;

import dev.fusec.runtime.KernelCache;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How {@link FusecGraph#compile} builds and runs kernels: worker threads per run, and the on-disk
 * kernel cache (by default the user's, so a second process skips javac; empty for none).
 */
public record CompileOptions(int threads, Optional<Path> kernelCache) {
    public CompileOptions {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be between 1 and 1024, got " + threads);
        }
    }

    /** All cores, the default kernel cache ({@code $XDG_CACHE_HOME/fusec} or {@code ~/.cache/fusec}). */
    public static CompileOptions defaults() {
        return new CompileOptions(Runtime.getRuntime().availableProcessors(), Optional.of(KernelCache.defaultDir()));
    }

    public CompileOptions withThreads(int n) {
        return new CompileOptions(n, kernelCache);
    }

    public CompileOptions withKernelCache(Path dir) {
        return new CompileOptions(threads, Optional.of(dir));
    }

    /** Compile afresh every time, reading and writing no cache. */
    public CompileOptions withoutKernelCache() {
        return new CompileOptions(threads, Optional.empty());
    }
}
