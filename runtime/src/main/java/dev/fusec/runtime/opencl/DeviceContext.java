package dev.fusec.runtime.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One device in use: its context and its one in-order command queue, with profiling on (every
 * kernel's time comes from its event). Buffers, programs and kernels are made here; transfers are
 * blocking and go straight from and to Java arrays. Not thread-safe: one user at a time.
 */
public final class DeviceContext implements AutoCloseable {
    private final OpenCl cl;
    private final ClDevice device;
    private final MemorySegment context;
    private final MemorySegment queue;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment deviceList;
    private boolean closed;

    private DeviceContext(OpenCl cl, ClDevice device, MemorySegment context, MemorySegment queue, MemorySegment deviceList) {
        this.cl = cl;
        this.device = device;
        this.context = context;
        this.queue = queue;
        this.deviceList = deviceList;
    }

    public static DeviceContext open(ClDevice device) {
        OpenCl cl = OpenCl.get();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment err = tmp.allocate(ValueLayout.JAVA_INT);
            MemorySegment devs = Arena.global().allocate(ValueLayout.ADDRESS);
            devs.set(ValueLayout.ADDRESS, 0, device.id());
            MemorySegment ctx = cl.createContext(devs, 1, err);
            OpenCl.check(err, "clCreateContext");
            MemorySegment q = cl.createCommandQueue(ctx, device.id(), OpenCl.QUEUE_PROFILING_ENABLE, err);
            if (err.get(ValueLayout.JAVA_INT, 0) != OpenCl.SUCCESS) {
                cl.releaseContext(ctx);
                OpenCl.check(err, "clCreateCommandQueue");
            }
            return new DeviceContext(cl, device, ctx, q, devs);
        }
    }

    public ClDevice device() {
        return device;
    }

    // ---- buffers ----

    /** A device buffer of at least one float (OpenCL refuses empty buffers). */
    public DeviceBuffer allocate(long floats) {
        long bytes = Math.max(1, floats) * Float.BYTES;
        if (bytes > device.maxAllocBytes()) {
            throw new OpenClException("a buffer of " + bytes + " bytes is larger than " + device.name()
                    + " allows in one allocation (" + device.maxAllocBytes() + " bytes)");
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment err = tmp.allocate(ValueLayout.JAVA_INT);
            MemorySegment mem = cl.createBuffer(context, OpenCl.MEM_READ_WRITE, bytes, err);
            OpenCl.check(err, "clCreateBuffer(" + bytes + " bytes)");
            return new DeviceBuffer(mem, bytes);
        }
    }

    public void release(DeviceBuffer b) {
        cl.releaseMemObject(b.mem());
    }

    /** Copies {@code count} floats of {@code data} into {@code b}, waiting until done. */
    public void write(DeviceBuffer b, float[] data, int count) {
        if (count == 0) {
            return;
        }
        OpenCl.check(cl.enqueueWriteBuffer(queue, b.mem(), true, 0, (long) count * Float.BYTES, MemorySegment.ofArray(data),
                MemorySegment.NULL), "clEnqueueWriteBuffer");
    }

    /** Copies the first {@code count} floats of {@code b} into {@code data}, waiting for every command before it. */
    public void read(DeviceBuffer b, float[] data, int count) {
        if (count == 0) {
            return;
        }
        OpenCl.check(cl.enqueueReadBuffer(queue, b.mem(), true, 0, (long) count * Float.BYTES, MemorySegment.ofArray(data),
                MemorySegment.NULL), "clEnqueueReadBuffer");
    }

    /** Enqueues a device-to-device copy of {@code bytes}; returns its event (the caller releases it). */
    public MemorySegment copy(DeviceBuffer from, DeviceBuffer to, long bytes) {
        MemorySegment ev = arena.allocate(ValueLayout.ADDRESS);
        OpenCl.check(cl.enqueueCopyBuffer(queue, from.mem(), to.mem(), bytes, ev), "clEnqueueCopyBuffer");
        return ev.get(ValueLayout.ADDRESS, 0);
    }

    // ---- programs and kernels ----

    /**
     * A built program; {@code fromCache}: its binary came from the on-disk cache; {@code log}: the
     * compiler's messages when it was built from source (warnings, if any), else empty.
     */
    public record Built(MemorySegment program, boolean fromCache, double buildMillis, String cacheKey, String log) {}

    /**
     * Builds {@code source} for this device, or loads the binary an earlier build left in
     * {@code cache} (null: none). A cached binary that is corrupt or that the driver rejects is
     * replaced by a fresh build. A compile error is an {@link OpenClException} whose detail is the
     * build log.
     */
    public Built build(String source, String options, ProgramCache cache) {
        long t0 = System.nanoTime();
        String key = ProgramCache.key(source, options, device);
        if (cache != null) {
            Optional<byte[]> binary = cache.load(key);
            if (binary.isPresent()) {
                MemorySegment p = fromBinary(binary.get(), options);
                if (p != null) {
                    return new Built(p, true, (System.nanoTime() - t0) / 1e6, key, "");
                }
            }
        }
        MemorySegment p = fromSource(source, options);
        if (cache != null) {
            binaryOf(p).ifPresent(b -> cache.store(key, b));
        }
        return new Built(p, false, (System.nanoTime() - t0) / 1e6, key, buildLog(p));
    }

    private MemorySegment fromSource(String source, String options) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment err = tmp.allocate(ValueLayout.JAVA_INT);
            byte[] text = source.getBytes(StandardCharsets.UTF_8);
            MemorySegment str = tmp.allocate(text.length + 1L);
            MemorySegment.copy(text, 0, str, ValueLayout.JAVA_BYTE, 0, text.length);
            MemorySegment strings = tmp.allocate(ValueLayout.ADDRESS);
            strings.set(ValueLayout.ADDRESS, 0, str);
            MemorySegment lengths = tmp.allocate(ValueLayout.JAVA_LONG);
            lengths.set(ValueLayout.JAVA_LONG, 0, text.length);
            MemorySegment p = cl.createProgramWithSource(context, strings, lengths, err);
            OpenCl.check(err, "clCreateProgramWithSource");
            int status = cl.buildProgram(p, deviceList, tmp.allocateFrom(options));
            if (status != OpenCl.SUCCESS) {
                String log = buildLog(p);
                cl.releaseProgram(p);
                String first = log.lines().filter(l -> l.contains("error")).findFirst().orElse(log.lines().findFirst().orElse(""));
                throw new OpenClException("the OpenCL program did not build on " + device.name() + " (" + ClStatus.name(status) + ")"
                        + (first.isBlank() ? "" : ": " + first.strip()), status, log);
            }
            return p;
        }
    }

    /** The program built from a binary, or null when the driver will not take it. */
    private MemorySegment fromBinary(byte[] binary, String options) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment err = tmp.allocate(ValueLayout.JAVA_INT);
            MemorySegment bin = tmp.allocate(binary.length);
            MemorySegment.copy(binary, 0, bin, ValueLayout.JAVA_BYTE, 0, binary.length);
            MemorySegment ptrs = tmp.allocate(ValueLayout.ADDRESS);
            ptrs.set(ValueLayout.ADDRESS, 0, bin);
            MemorySegment lengths = tmp.allocate(ValueLayout.JAVA_LONG);
            lengths.set(ValueLayout.JAVA_LONG, 0, binary.length);
            MemorySegment status = tmp.allocate(ValueLayout.JAVA_INT);
            MemorySegment p = cl.createProgramWithBinary(context, deviceList, lengths, ptrs, status, err);
            if (err.get(ValueLayout.JAVA_INT, 0) != OpenCl.SUCCESS || status.get(ValueLayout.JAVA_INT, 0) != OpenCl.SUCCESS) {
                if (!p.equals(MemorySegment.NULL)) {
                    cl.releaseProgram(p);
                }
                return null;
            }
            if (cl.buildProgram(p, deviceList, tmp.allocateFrom(options)) != OpenCl.SUCCESS) {
                cl.releaseProgram(p);
                return null;
            }
            return p;
        }
    }

    /** The program's binary for this device (CL_PROGRAM_BINARIES), or empty when the driver gives none. */
    private Optional<byte[]> binaryOf(MemorySegment p) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment size = tmp.allocate(ValueLayout.JAVA_LONG);
            if (cl.getProgramInfo(p, OpenCl.PROGRAM_BINARY_SIZES, 8, size, MemorySegment.NULL) != OpenCl.SUCCESS) {
                return Optional.empty();
            }
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            if (n <= 0 || n > Integer.MAX_VALUE - 64) {
                return Optional.empty();
            }
            MemorySegment bin = tmp.allocate(n);
            MemorySegment ptrs = tmp.allocate(ValueLayout.ADDRESS);
            ptrs.set(ValueLayout.ADDRESS, 0, bin);
            if (cl.getProgramInfo(p, OpenCl.PROGRAM_BINARIES, ValueLayout.ADDRESS.byteSize(), ptrs, MemorySegment.NULL)
                    != OpenCl.SUCCESS) {
                return Optional.empty();
            }
            return Optional.of(bin.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    private String buildLog(MemorySegment p) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment size = tmp.allocate(ValueLayout.JAVA_LONG);
            if (cl.getProgramBuildInfo(p, device.id(), OpenCl.PROGRAM_BUILD_LOG, 0, MemorySegment.NULL, size) != OpenCl.SUCCESS) {
                return "";
            }
            MemorySegment buf = tmp.allocate(Math.max(1, size.get(ValueLayout.JAVA_LONG, 0)));
            cl.getProgramBuildInfo(p, device.id(), OpenCl.PROGRAM_BUILD_LOG, buf.byteSize(), buf, MemorySegment.NULL);
            return ClDevices.text(buf);
        }
    }

    public void releaseProgram(MemorySegment program) {
        cl.releaseProgram(program);
    }

    /** A new kernel object for the function {@code name} of a built program. */
    public MemorySegment kernel(MemorySegment program, String name) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment err = tmp.allocate(ValueLayout.JAVA_INT);
            MemorySegment k = cl.createKernel(program, tmp.allocateFrom(name), err);
            OpenCl.check(err, "clCreateKernel(" + name + ")");
            return k;
        }
    }

    public void releaseKernel(MemorySegment kernel) {
        cl.releaseKernel(kernel);
    }

    public void setArg(MemorySegment kernel, int index, DeviceBuffer b) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment v = tmp.allocate(ValueLayout.ADDRESS);
            v.set(ValueLayout.ADDRESS, 0, b.mem());
            OpenCl.check(cl.setKernelArg(kernel, index, ValueLayout.ADDRESS.byteSize(), v), "clSetKernelArg(" + index + ")");
        }
    }

    public void setArg(MemorySegment kernel, int index, int value) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment v = tmp.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            OpenCl.check(cl.setKernelArg(kernel, index, 4, v), "clSetKernelArg(" + index + ")");
        }
    }

    /**
     * Enqueues {@code kernel} over {@code global} work-items in groups of {@code local} (null: the
     * driver's choice); returns its event, or NULL when {@code event} is false. No host sync.
     */
    public MemorySegment enqueue(MemorySegment kernel, long[] global, long[] local, boolean event, MemorySegment scratch) {
        int dims = global.length;
        for (int i = 0; i < dims; i++) {
            scratch.setAtIndex(ValueLayout.JAVA_LONG, i, global[i]);
            if (local != null) {
                scratch.setAtIndex(ValueLayout.JAVA_LONG, 3 + i, local[i]);
            }
        }
        MemorySegment ev = event ? scratch.asSlice(48, 8) : MemorySegment.NULL;
        OpenCl.check(cl.enqueueNDRangeKernel(queue, kernel, dims, scratch.asSlice(0, 24),
                local == null ? MemorySegment.NULL : scratch.asSlice(24, 24), ev), "clEnqueueNDRangeKernel");
        return event ? ev.get(ValueLayout.ADDRESS, 0) : MemorySegment.NULL;
    }

    /** Scratch for {@link #enqueue}: room for the sizes and the event handle. */
    public MemorySegment launchScratch() {
        return arena.allocate(56, 8);
    }

    public void finish() {
        OpenCl.check(cl.finish(queue), "clFinish");
    }

    /** The START and END times of a finished command, nanoseconds on the device's clock. */
    public long[] profile(MemorySegment event, MemorySegment scratch) {
        OpenCl.check(cl.getEventProfilingInfo(event, OpenCl.PROFILING_COMMAND_START, 8, scratch), "clGetEventProfilingInfo");
        long start = scratch.get(ValueLayout.JAVA_LONG, 0);
        OpenCl.check(cl.getEventProfilingInfo(event, OpenCl.PROFILING_COMMAND_END, 8, scratch), "clGetEventProfilingInfo");
        return new long[] {start, scratch.get(ValueLayout.JAVA_LONG, 0)};
    }

    public void releaseEvent(MemorySegment event) {
        cl.releaseEvent(event);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cl.finish(queue);
        cl.releaseCommandQueue(queue);
        cl.releaseContext(context);
        arena.close();
    }
}
