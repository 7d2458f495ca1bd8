package dev.fusec.api;

import dev.fusec.codegen.opencl.OpenClGraph;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.runtime.opencl.ClDevices;
import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.OpenClException;
import dev.fusec.runtime.opencl.ProgramCache;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The device side of a {@link CompiledModel} on {@link Backend#OPENCL}: the context, the built
 * program, and one executor per binding of the dims (its device buffers and weights kept between
 * runs, up to {@link CompiledModel#KEPT_BINDINGS} bindings). The device has one queue, so runs are
 * taken one at a time. Shared by a model and the models {@code withWeights} makes of it; the last
 * one closed releases the device.
 */
final class OpenClModel {
    private final DeviceContext ctx;
    private final OpenClGraph compiled;
    private int users = 1;

    private OpenClModel(DeviceContext ctx, OpenClGraph compiled) {
        this.ctx = ctx;
        this.compiled = compiled;
    }

    /** Opens the device {@code options} names and builds {@code g} on it; OpenCL's failures become errors at the graph. */
    static OpenClModel open(Graph g, CompileOptions options) {
        DeviceContext ctx = null;
        try {
            ctx = DeviceContext.open(ClDevices.select(options.device().orElse(null)));
            ProgramCache cache = options.kernelCache().map(ProgramCache::new).orElse(null);
            return new OpenClModel(ctx, OpenClGraph.compile(g, ctx, cache));
        } catch (OpenClException | IllegalArgumentException e) {
            if (ctx != null) {
                ctx.close();
            }
            throw new CompileError(g.pos(), e.getMessage());
        }
    }

    OpenClGraph compiled() {
        return compiled;
    }

    synchronized OpenClModel retain() {
        users++;
        return this;
    }

    synchronized void release() {
        if (--users == 0) {
            compiled.close();
            ctx.close();
        }
    }

    /** One model's executors, by binding, least recently used first. */
    final class Executors {
        private final LinkedHashMap<Map<String, Long>, OpenClGraph.Bound> bound = new LinkedHashMap<>(16, 0.75f, true);

        /** Runs under the device's lock; {@code body} gets the binding's executor. */
        <T> T with(Map<String, Long> binding, java.util.function.Function<OpenClGraph.Bound, T> body) {
            synchronized (OpenClModel.this) {
                OpenClGraph.Bound b = bound.get(binding);
                if (b == null) {
                    try {
                        b = compiled.executor(binding);
                    } catch (OpenClException e) {
                        throw new CompileError(compiled.graph().pos(), e.getMessage());
                    }
                    bound.put(binding, b);
                    while (bound.size() > CompiledModel.KEPT_BINDINGS) {
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

        void close() {
            synchronized (OpenClModel.this) {
                bound.values().forEach(OpenClGraph.Bound::close);
                bound.clear();
            }
        }
    }
}
