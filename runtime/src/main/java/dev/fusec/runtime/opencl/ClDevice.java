package dev.fusec.runtime.opencl;

import java.lang.foreign.MemorySegment;

/**
 * One OpenCL device as the system reports it. {@code index} is its place in {@link ClDevices#all()}
 * (every platform's devices in the loader's order), what {@code --device N} names.
 *
 * @param denormals whether the device keeps single-precision subnormals (CL_FP_DENORM); without
 *                  them, results below 1.2e-38 are flushed to zero
 */
public record ClDevice(int index, String platform, String platformVersion, String name, String vendor, String type,
                       String version, String openclCVersion, String driverVersion, long globalMemBytes, long maxAllocBytes,
                       long localMemBytes, int computeUnits, int clockMhz, long maxWorkGroupSize, boolean denormals,
                       MemorySegment platformId, MemorySegment id) {

    /** What identifies the compiled code of this device: program binaries are cached under it. */
    public String identity() {
        return String.join("\u0000", platform, platformVersion, name, vendor, version, openclCVersion, driverVersion);
    }

    public boolean isGpu() {
        return type.equals("GPU");
    }

    public boolean isCpu() {
        return type.equals("CPU");
    }
}
