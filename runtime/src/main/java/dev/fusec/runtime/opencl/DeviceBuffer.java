package dev.fusec.runtime.opencl;

import java.lang.foreign.MemorySegment;

/** A device buffer ({@code cl_mem}) and its size in bytes. */
public record DeviceBuffer(MemorySegment mem, long bytes) {}
