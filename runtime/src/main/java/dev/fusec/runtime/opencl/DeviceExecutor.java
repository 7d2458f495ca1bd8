package dev.fusec.runtime.opencl;

import dev.fusec.runtime.LivenessPlanner;
import dev.fusec.runtime.Program;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a {@link DeviceProgram} on one device. Everything that does not change between runs is made
 * once, when the executor is made: device buffers (intermediates share them as the
 * {@link LivenessPlanner} assigns, exactly as on the host), one kernel object per launch with its
 * arguments already set, and the output arrays. A run then uploads the inputs that changed (a
 * weight passed again as the same array is not sent again), enqueues every launch back to back on
 * the one in-order queue with no host sync between them, reads the outputs back, and takes each
 * launch's time from its profiling event.
 */
public final class DeviceExecutor implements AutoCloseable {
    private final DeviceContext ctx;
    private final DeviceProgram dp;
    private final LivenessPlanner.Plan plan;
    private final DeviceBuffer[] bufferOf;
    private final List<DeviceBuffer> owned = new ArrayList<>();
    /** Per launch in run order: the kernel object, its sizes, and the step it belongs to. */
    private final List<Ready> ready = new ArrayList<>();
    private final float[][] outputs;
    /** Per input: the array last uploaded, or null. */
    private final float[][] uploaded;
    private final long[] stepNanos;
    private final MemorySegment launchScratch;
    private final MemorySegment profileScratch;
    private long lastSpanNanos;
    private long lastKernelNanos;
    private boolean closed;

    private record Ready(MemorySegment kernel, long[] global, long[] local, int step) {}

    public DeviceExecutor(DeviceContext ctx, MemorySegment program, DeviceProgram dp) {
        this.ctx = ctx;
        this.dp = dp;
        Program p = dp.program();
        this.plan = LivenessPlanner.plan(p);
        List<Program.Value> values = p.values();
        this.bufferOf = new DeviceBuffer[values.size()];
        try {
            DeviceBuffer[] slots = new DeviceBuffer[plan.slotSizes().length];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = own(plan.slotSizes()[i]);
            }
            for (int v = 0; v < values.size(); v++) {
                Program.Value val = values.get(v);
                switch (val.kind()) {
                    case INPUT, OUTPUT -> bufferOf[v] = own(val.size());
                    case INTERMEDIATE -> bufferOf[v] = slots[plan.slotOf()[v]];
                    case VIEW -> { }
                }
            }
            for (int v = 0; v < values.size(); v++) {
                bufferOf[v] = bufferOf[root(v)];
            }
            DeviceBuffer[] scratch = new DeviceBuffer[dp.scratch().length];
            for (int i = 0; i < scratch.length; i++) {
                scratch[i] = own(dp.scratch()[i]);
            }
            for (int s = 0; s < dp.launches().size(); s++) {
                for (DeviceProgram.Launch l : dp.launches().get(s)) {
                    if (Arrays.stream(l.global()).anyMatch(g -> g == 0)) {
                        continue;
                    }
                    MemorySegment k = ctx.kernel(program, l.kernel());
                    ready.add(new Ready(k, l.global(), l.local(), s));
                    for (int a = 0; a < l.args().size(); a++) {
                        switch (l.args().get(a)) {
                            case DeviceProgram.Arg.Value val -> ctx.setArg(k, a, bufferOf[val.id()]);
                            case DeviceProgram.Arg.Scratch sc -> ctx.setArg(k, a, scratch[sc.index()]);
                            case DeviceProgram.Arg.Int i -> ctx.setArg(k, a, i.value());
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.outputs = new float[p.outputs().length][];
        for (int i = 0; i < outputs.length; i++) {
            outputs[i] = new float[values.get(p.outputs()[i]).size()];
        }
        this.uploaded = new float[p.inputs().length][];
        this.stepNanos = new long[p.steps().size()];
        this.launchScratch = ctx.launchScratch();
        this.profileScratch = ctx.launchScratch();
    }

    private DeviceBuffer own(long floats) {
        DeviceBuffer b = ctx.allocate(floats);
        owned.add(b);
        return b;
    }

    private int root(int v) {
        int r = v;
        while (dp.program().values().get(r).kind() == Program.Kind.VIEW) {
            r = dp.program().values().get(r).viewOf();
        }
        return r;
    }

    public LivenessPlanner.Plan plan() {
        return plan;
    }

    public Program program() {
        return dp.program();
    }

    /** Kernel launches per run (steps may take several, reshapes none). */
    public int launchCount() {
        return ready.size();
    }

    /**
     * Runs once. {@code inputs} in the program's input order; an input whose {@code fixed} flag is
     * set and whose array is the one uploaded last time is not uploaded again (weights). Returns the
     * outputs in order (this executor's arrays: the next run overwrites them), or null when
     * {@code readBack} is false (a benchmark's timed runs).
     */
    public float[][] run(float[][] inputs, boolean[] fixed, boolean readBack) {
        Program p = dp.program();
        for (int i = 0; i < p.inputs().length; i++) {
            int v = p.inputs()[i];
            int size = p.values().get(v).size();
            if (inputs[i].length < size) {
                throw new IllegalArgumentException("input " + p.values().get(v).label() + " has " + inputs[i].length
                        + " elements, needs " + size);
            }
            if (!(fixed[i] && uploaded[i] == inputs[i])) {
                ctx.write(bufferOf[v], inputs[i], size);
                uploaded[i] = inputs[i];
            }
        }
        MemorySegment[] events = new MemorySegment[ready.size()];
        for (int i = 0; i < events.length; i++) {
            Ready r = ready.get(i);
            events[i] = ctx.enqueue(r.kernel(), r.global(), r.local(), true, launchScratch);
        }
        if (readBack) {
            for (int i = 0; i < outputs.length; i++) {
                ctx.read(bufferOf[p.outputs()[i]], outputs[i], outputs[i].length);
            }
        } else {
            ctx.finish();
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long sum = 0;
        for (int i = 0; i < events.length; i++) {
            long[] t = ctx.profile(events[i], profileScratch);
            ctx.releaseEvent(events[i]);
            stepNanos[ready.get(i).step()] += t[1] - t[0];
            sum += t[1] - t[0];
            first = Math.min(first, t[0]);
            last = Math.max(last, t[1]);
        }
        lastSpanNanos = events.length == 0 ? 0 : last - first;
        lastKernelNanos = sum;
        return readBack ? outputs : null;
    }

    /** Device time of the last run, from its first kernel's start to its last kernel's end (gaps included). */
    public long lastSpanNanos() {
        return lastSpanNanos;
    }

    /** The sum of the last run's kernel times (gaps excluded). */
    public long lastKernelNanos() {
        return lastKernelNanos;
    }

    /** Device time per step since construction or the last reset, nanoseconds. */
    public long[] stepNanos() {
        return stepNanos.clone();
    }

    public void resetTimes() {
        Arrays.fill(stepNanos, 0);
    }

    /** Bytes of device memory this executor holds. */
    public long deviceBytes() {
        return owned.stream().mapToLong(DeviceBuffer::bytes).sum();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ready.forEach(r -> ctx.releaseKernel(r.kernel()));
        owned.forEach(ctx::release);
    }
}
