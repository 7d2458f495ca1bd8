package dev.fusec.codegen.opencl;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.runtime.opencl.ClDevices;
import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.OpenClException;
import dev.fusec.runtime.opencl.ProgramCache;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The device side of a compiled model on the OpenCL backend: the context, the built program, and
 * per model one executor per binding of the dims (its device buffers and weights kept between runs,
 * up to a number of bindings). The device has one queue, so runs are taken one at a time. Shared by
 * a model and the models {@code withWeights} makes of it; the last one closed releases the device.
 * OpenCL's failures become {@link CompileError}s at the graph.
 */
public final class OpenClModel {
    private final DeviceContext ctx;
    private final OpenClGraph compiled;
    private int users = 1;

    private OpenClModel(DeviceContext ctx, OpenClGraph compiled) {
        this.ctx = ctx;
        this.compiled = compiled;
    }

    /** Opens {@code device} (null: the default) and builds {@code g} on it, with the binary cache under {@code cacheRoot}. */
    public static OpenClModel open(Graph g, String device, java.util.Optional<java.nio.file.Path> cacheRoot) {
        DeviceContext ctx = null;
        try {
            ctx = DeviceContext.open(ClDevices.select(device));
            ProgramCache cache = cacheRoot.map(ProgramCache::new).orElse(null);
            return new OpenClModel(ctx, OpenClGraph.compile(g, ctx, cache));
        } catch (OpenClException | IllegalArgumentException e) {
            if (ctx != null) {
                ctx.close();
            }
            throw new CompileError(g.pos(), e.getMessage());
        }
    }

    public OpenClGraph compiled() {
        return compiled;
    }

    public synchronized OpenClModel retain() {
        users++;
        return this;
    }

    public synchronized void release() {
        if (--users == 0) {
            compiled.close();
            ctx.close();
        }
    }

    /** One model's executors, by binding, least recently used first; at most {@code kept} of them. */
    public final class Executors {
        private final LinkedHashMap<Map<String, Long>, OpenClGraph.Bound> bound = new LinkedHashMap<>(16, 0.75f, true);
        private final int kept;

        public Executors(int kept) {
            this.kept = kept;
        }

        /** Runs under the device's lock; {@code body} gets the binding's executor. */
        public <T> T with(Map<String, Long> binding, java.util.function.Function<OpenClGraph.Bound, T> body) {
            synchronized (OpenClModel.this) {
                OpenClGraph.Bound b = bound.get(binding);
                if (b == null) {
                    try {
                        b = compiled.executor(binding);
                    } catch (OpenClException e) {
                        throw new CompileError(compiled.graph().pos(), e.getMessage());
                    }
                    bound.put(binding, b);
                    while (bound.size() > kept) {
                        bound.pollFirstEntry().getValue().close();
                    }
                }
                try {
                    return body.apply(b);
                } catch (OpenClException e) {
                    throw new CompileError(compiled.graph().pos(), e.getMessage());
                }
            }
        }

        public void close() {
            synchronized (OpenClModel.this) {
                bound.values().forEach(OpenClGraph.Bound::close);
                bound.clear();
            }
        }
    }
}
