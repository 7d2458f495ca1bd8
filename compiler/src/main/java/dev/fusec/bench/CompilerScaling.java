package dev.fusec.bench;

import dev.fusec.codegen.KernelGenerator;
import dev.fusec.codegen.Species;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Op;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import dev.fusec.parse.IrParser;
import dev.fusec.parse.IrPrinter;
import dev.fusec.pass.PassContext;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.KernelCompiler;
import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * How long the compiler's phases take on one big generated graph ({@link ScalingGraphs}), in this
 * fresh JVM, each phase once, as a {@code fusec} command would run them: parse, check (infer shapes
 * and print with types), fuse (the standard pipeline, recording the explanation) and emit (generate
 * every kernel's source and print the fused IR). Prints one line of tab-separated fields, each phase
 * as wall/CPU milliseconds (the CPU time of the thread that ran it; JIT and GC threads not counted). Run by
 * {@code bench/compiler-scaling}, one JVM per size; not a timed test.
 *
 * <p>Usage: {@code CompilerScaling KIND STATEMENTS [--compile] [--warm]}; {@code --compile} also runs
 * javac on the emitted kernels (one task, as {@code fusec run} does, without the cache); {@code --warm}
 * runs everything four times first and reports the fifth (the JIT's steady state, not a command's).
 */
public final class CompilerScaling {
    private CompilerScaling() {}

    public static void main(String[] args) {
        ScalingGraphs.Kind kind = ScalingGraphs.Kind.valueOf(args[0].toUpperCase(Locale.ROOT));
        int layers = ScalingGraphs.layersFor(kind, Integer.parseInt(args[1]));
        boolean compile = List.of(args).contains("--compile");
        int repeat = List.of(args).contains("--warm") ? 5 : 1;
        String text = ScalingGraphs.generate(kind, layers);
        watchHeap();
        for (int i = 1; i < repeat; i++) {
            measure(kind, layers, text, false);
        }
        measure(kind, layers, text, compile);
    }

    private static void measure(ScalingGraphs.Kind kind, int layers, String text, boolean compile) {
        Graph g = time("parse", () -> IrParser.parse("generated.fir", text));
        time("check", () -> IrPrinter.print(g, ShapeInference.infer(g)));
        PassContext ctx = PassContext.defaults();
        Graph fused = time("fuse", () -> Pipeline.run(g, Set.of(), Set.of(), ctx, (p, after) -> { }));
        KernelGenerator.Kernels kernels = time("emit", () -> {
            Map<String, TensorType> types = ShapeInference.infer(fused);
            IrPrinter.print(fused, types);
            return KernelGenerator.generate(fused, Species.preferred());
        });
        if (compile) {
            time("compile", () -> KernelCompiler.load(kernels.sources(), Species.preferred().toString(), null));
        }
        long fusedNodes = fused.nodes().stream().filter(n -> n.op() instanceof Op.GateUpSwiGlu).count();
        StringBuilder line = new StringBuilder();
        line.append(kind.name().toLowerCase(Locale.ROOT)).append('\t').append(g.nodes().size());
        for (String phase : PHASES) {
            long[] ms = TIMES.get(phase);
            line.append('\t').append(phase).append('=').append(ms == null ? "-" : ms[0] + "/" + ms[1]);
        }
        long[] heap = heapMb();
        line.append("\theapMB=").append(heap[0]).append("\tliveMB=").append(heap[1])
                .append("\tlayers=").append(layers)
                .append("\tfused=").append(fused.nodes().size())
                .append("\tgate_up_swiglu=").append(fusedNodes)
                .append("\tkernels=").append(kernels.sources().size())
                .append("\tevents=").append(ctx.events().size());
        System.out.println(line);
    }

    private static final List<String> PHASES = List.of("parse", "check", "fuse", "emit", "compile");
    /** Phase to {wall ms, this thread's CPU ms}: on a shared machine the second tells work from waiting. */
    private static final Map<String, long[]> TIMES = new java.util.HashMap<>();

    private static <T> T time(String phase, Supplier<T> work) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        T out = work.get();
        TIMES.put(phase, new long[] {(System.nanoTime() - t0) / 1_000_000, (threads.getCurrentThreadCpuTime() - cpu0) / 1_000_000});
        return out;
    }

    /** Heap in use just before each collection and just after it, the most of each, in bytes. */
    private static final long[] PEAK = new long[2];

    /**
     * Listens to every collection: the heap's occupancy peaks just before one (garbage included),
     * and what is left after one is what the compiler really holds at that moment.
     */
    private static void watchHeap() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                    GcInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData()).getGcInfo();
                    synchronized (PEAK) {
                        PEAK[0] = Math.max(PEAK[0], heap(info.getMemoryUsageBeforeGc()));
                        PEAK[1] = Math.max(PEAK[1], heap(info.getMemoryUsageAfterGc()));
                    }
                }
            }, null, null);
        }
    }

    private static long heap(Map<String, MemoryUsage> pools) {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage u = pools.get(pool.getName());
            if (pool.getType() == MemoryType.HEAP && u != null) {
                bytes += u.getUsed();
            }
        }
        return bytes;
    }

    /** The peak occupancy (before a collection, or now), and the most left after one, in MB. */
    private static long[] heapMb() {
        Runtime rt = Runtime.getRuntime();
        synchronized (PEAK) {
            return new long[] {Math.max(PEAK[0], rt.totalMemory() - rt.freeMemory()) >> 20, PEAK[1] >> 20};
        }
    }
}
