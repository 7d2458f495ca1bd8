package dev.fusec.runtime.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The OpenCL devices of this machine, and the choice of one by {@code --device N|cpu|gpu}. The
 * choice is by index or by type, never "platform 0": with PoCL and a GPU driver both installed,
 * which platform the loader lists first is an accident of file names.
 */
public final class ClDevices {
    private ClDevices() {}

    /** Every device of every platform, in the loader's order. No platform is an empty list. */
    public static List<ClDevice> all() {
        OpenCl cl = OpenCl.get();
        List<ClDevice> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            int status = cl.getPlatformIDs(0, MemorySegment.NULL, count);
            if (status == OpenCl.PLATFORM_NOT_FOUND_KHR || status == OpenCl.SUCCESS && count.get(ValueLayout.JAVA_INT, 0) == 0) {
                return out;
            }
            OpenCl.check(status, "clGetPlatformIDs");
            int platforms = count.get(ValueLayout.JAVA_INT, 0);
            MemorySegment ids = arena.allocate(ValueLayout.ADDRESS, platforms);
            OpenCl.check(cl.getPlatformIDs(platforms, ids, count), "clGetPlatformIDs");
            for (int p = 0; p < platforms; p++) {
                MemorySegment platform = ids.getAtIndex(ValueLayout.ADDRESS, p);
                String pname = platformString(cl, platform, OpenCl.PLATFORM_NAME);
                String pversion = platformString(cl, platform, OpenCl.PLATFORM_VERSION);
                status = cl.getDeviceIDs(platform, OpenCl.DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
                if (status == OpenCl.DEVICE_NOT_FOUND) {
                    continue;
                }
                OpenCl.check(status, "clGetDeviceIDs");
                int n = count.get(ValueLayout.JAVA_INT, 0);
                MemorySegment devices = arena.allocate(ValueLayout.ADDRESS, Math.max(n, 1));
                OpenCl.check(cl.getDeviceIDs(platform, OpenCl.DEVICE_TYPE_ALL, n, devices, count), "clGetDeviceIDs");
                for (int d = 0; d < n; d++) {
                    MemorySegment dev = devices.getAtIndex(ValueLayout.ADDRESS, d);
                    out.add(describe(cl, out.size(), pname, pversion, platform, dev));
                }
            }
        }
        return out;
    }

    /**
     * The device {@code spec} names: a number (its index in {@link #all()}), {@code gpu} or
     * {@code cpu} (the first of that type), or null: the first GPU, else the first device.
     */
    public static ClDevice select(String spec) {
        List<ClDevice> all = all();
        if (all.isEmpty()) {
            throw new OpenClException("no OpenCL device found (the loader lists no platform with a device; PoCL needs"
                    + " POCL_CACHE_DIR set to a writable folder)");
        }
        if (spec == null || spec.isBlank()) {
            return all.stream().filter(ClDevice::isGpu).findFirst().orElse(all.getFirst());
        }
        String s = spec.strip().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("gpu") || s.equals("cpu")) {
            return all.stream().filter(d -> d.type().equalsIgnoreCase(s)).findFirst()
                    .orElseThrow(() -> new OpenClException("no OpenCL " + s.toUpperCase(java.util.Locale.ROOT) + " device; found "
                            + summary(all)));
        }
        if (!s.matches("[0-9]{1,6}")) {
            throw new IllegalArgumentException("--device takes a device number, cpu or gpu; got '" + spec + "'");
        }
        int i = Integer.parseInt(s);
        if (i >= all.size()) {
            throw new OpenClException("no OpenCL device " + i + "; found " + summary(all));
        }
        return all.get(i);
    }

    private static String summary(List<ClDevice> all) {
        List<String> parts = new ArrayList<>();
        for (ClDevice d : all) {
            parts.add(d.index() + ": " + d.name() + " (" + d.type() + ")");
        }
        return String.join(", ", parts);
    }

    private static ClDevice describe(OpenCl cl, int index, String pname, String pversion, MemorySegment platform, MemorySegment dev) {
        long type = deviceLong(cl, dev, OpenCl.DEVICE_TYPE);
        String kind = (type & OpenCl.DEVICE_TYPE_GPU) != 0 ? "GPU" : (type & OpenCl.DEVICE_TYPE_CPU) != 0 ? "CPU"
                : (type & OpenCl.DEVICE_TYPE_ACCELERATOR) != 0 ? "ACCELERATOR" : "OTHER";
        return new ClDevice(index, pname, pversion, deviceString(cl, dev, OpenCl.DEVICE_NAME), deviceString(cl, dev, OpenCl.DEVICE_VENDOR),
                kind, deviceString(cl, dev, OpenCl.DEVICE_VERSION), deviceString(cl, dev, OpenCl.DEVICE_OPENCL_C_VERSION),
                deviceString(cl, dev, OpenCl.DRIVER_VERSION), deviceLong(cl, dev, OpenCl.DEVICE_GLOBAL_MEM_SIZE),
                deviceLong(cl, dev, OpenCl.DEVICE_MAX_MEM_ALLOC_SIZE), deviceLong(cl, dev, OpenCl.DEVICE_LOCAL_MEM_SIZE),
                deviceInt(cl, dev, OpenCl.DEVICE_MAX_COMPUTE_UNITS), deviceInt(cl, dev, OpenCl.DEVICE_MAX_CLOCK_FREQUENCY),
                deviceLong(cl, dev, OpenCl.DEVICE_MAX_WORK_GROUP_SIZE),
                (deviceLong(cl, dev, OpenCl.DEVICE_SINGLE_FP_CONFIG) & OpenCl.FP_DENORM) != 0, platform, dev);
    }

    private static String platformString(OpenCl cl, MemorySegment platform, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            OpenCl.check(cl.getPlatformInfo(platform, param, 0, MemorySegment.NULL, size), "clGetPlatformInfo");
            MemorySegment buf = arena.allocate(Math.max(1, size.get(ValueLayout.JAVA_LONG, 0)));
            OpenCl.check(cl.getPlatformInfo(platform, param, buf.byteSize(), buf, MemorySegment.NULL), "clGetPlatformInfo");
            return text(buf);
        }
    }

    static String deviceString(OpenCl cl, MemorySegment dev, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            OpenCl.check(cl.getDeviceInfo(dev, param, 0, MemorySegment.NULL, size), "clGetDeviceInfo");
            MemorySegment buf = arena.allocate(Math.max(1, size.get(ValueLayout.JAVA_LONG, 0)));
            OpenCl.check(cl.getDeviceInfo(dev, param, buf.byteSize(), buf, MemorySegment.NULL), "clGetDeviceInfo");
            return text(buf);
        }
    }

    /** A cl_ulong, size_t or cl_bitfield property (8 bytes on LP64). */
    private static long deviceLong(OpenCl cl, MemorySegment dev, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_LONG);
            OpenCl.check(cl.getDeviceInfo(dev, param, 8, v, MemorySegment.NULL), "clGetDeviceInfo");
            return v.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private static int deviceInt(OpenCl cl, MemorySegment dev, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            OpenCl.check(cl.getDeviceInfo(dev, param, 4, v, MemorySegment.NULL), "clGetDeviceInfo");
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** A NUL-terminated string the driver wrote, trimmed (some pad with spaces). */
    static String text(MemorySegment buf) {
        byte[] b = buf.toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).strip();
    }
}
