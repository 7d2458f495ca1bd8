package dev.fusec.api;

import dev.fusec.runtime.KernelCache;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How {@link FusecGraph#compile} builds and runs kernels: worker threads per run, the on-disk kernel
 * cache (by default the user's, so a second process skips javac or the OpenCL build; empty for none),
 * the backend, and for {@link Backend#OPENCL} the device: a number as {@code fusec devices} lists
 * them, {@code gpu} or {@code cpu} (empty: the first GPU, else the first device).
 */
public record CompileOptions(int threads, Optional<Path> kernelCache, Backend backend, Optional<String> device) {
    public CompileOptions {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be between 1 and 1024, got " + threads);
        }
        java.util.Objects.requireNonNull(backend, "backend");
    }

    /** All cores, the default kernel cache ({@code $XDG_CACHE_HOME/fusec} or {@code ~/.cache/fusec}), Java kernels. */
    public static CompileOptions defaults() {
        return new CompileOptions(Runtime.getRuntime().availableProcessors(), Optional.of(KernelCache.defaultDir()), Backend.JAVA,
                Optional.empty());
    }

    public CompileOptions withThreads(int n) {
        return new CompileOptions(n, kernelCache, backend, device);
    }

    public CompileOptions withKernelCache(Path dir) {
        return new CompileOptions(threads, Optional.of(dir), backend, device);
    }

    /** Compile afresh every time, reading and writing no cache. */
    public CompileOptions withoutKernelCache() {
        return new CompileOptions(threads, Optional.empty(), backend, device);
    }

    public CompileOptions withBackend(Backend b) {
        return new CompileOptions(threads, kernelCache, b, device);
    }

    /** The OpenCL device: {@code "0"}, {@code "gpu"}, {@code "cpu"}. */
    public CompileOptions withDevice(String spec) {
        return new CompileOptions(threads, kernelCache, backend, Optional.of(spec));
    }
}
