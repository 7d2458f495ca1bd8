package dev.fusec.runtime.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The OpenCL 1.2 entry points fusec calls, bound through {@code java.lang.foreign} to the system's
 * ICD loader, {@code libOpenCL.so.1} (or the library {@code FUSEC_OPENCL_LIBRARY} names): no JNI and
 * no third-party jar, so it runs in a jlink'd runtime. Each method is the C function of the same
 * name; a negative status becomes an {@link OpenClException} naming the call.
 *
 * <p>This class only binds; what a context, a buffer or a program is for is {@link DeviceContext}'s
 * business.
 */
final class OpenCl {
    /** The loader's soname; the unversioned {@code libOpenCL.so} is often only in -dev packages. */
    static final String LIBRARY = "libOpenCL.so.1";

    // ---- constants from cl.h (OpenCL 1.2) ----
    static final long DEVICE_TYPE_CPU = 1 << 1;
    static final long DEVICE_TYPE_GPU = 1 << 2;
    static final long DEVICE_TYPE_ACCELERATOR = 1 << 3;
    static final long DEVICE_TYPE_ALL = 0xFFFFFFFFL;

    static final int PLATFORM_VERSION = 0x0901;
    static final int PLATFORM_NAME = 0x0902;
    static final int PLATFORM_VENDOR = 0x0903;

    static final int DEVICE_TYPE = 0x1000;
    static final int DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    static final int DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    static final int DEVICE_MAX_CLOCK_FREQUENCY = 0x100C;
    static final int DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    static final int DEVICE_SINGLE_FP_CONFIG = 0x101B;
    static final int DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    static final int DEVICE_LOCAL_MEM_SIZE = 0x1023;
    static final int DEVICE_NAME = 0x102B;
    static final int DEVICE_VENDOR = 0x102C;
    static final int DRIVER_VERSION = 0x102D;
    static final int DEVICE_VERSION = 0x102F;
    static final int DEVICE_OPENCL_C_VERSION = 0x103D;
    static final long FP_DENORM = 1;

    static final long QUEUE_PROFILING_ENABLE = 1 << 1;
    static final long MEM_READ_WRITE = 1;

    static final int PROGRAM_BINARY_SIZES = 0x1165;
    static final int PROGRAM_BINARIES = 0x1166;
    static final int PROGRAM_BUILD_LOG = 0x1183;

    static final int PROFILING_COMMAND_START = 0x1282;
    static final int PROFILING_COMMAND_END = 0x1283;

    static final int SUCCESS = 0;
    static final int DEVICE_NOT_FOUND = -1;
    static final int BUILD_PROGRAM_FAILURE = -11;
    static final int PLATFORM_NOT_FOUND_KHR = -1001;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG; // size_t, cl_ulong, cl_bitfield on LP64
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext, releaseContext,
            createCommandQueue, releaseCommandQueue, createBuffer, releaseMemObject, enqueueWriteBuffer, enqueueReadBuffer,
            enqueueCopyBuffer, createProgramWithSource, createProgramWithBinary, buildProgram, getProgramBuildInfo,
            getProgramInfo, releaseProgram, createKernel, releaseKernel, setKernelArg, enqueueNDRangeKernel, finish,
            waitForEvents, getEventProfilingInfo, releaseEvent;

    private static volatile OpenCl loaded;

    private OpenCl(SymbolLookup lib) {
        getPlatformIDs = bind(lib, "clGetPlatformIDs", INT, INT, PTR, PTR);
        getPlatformInfo = bind(lib, "clGetPlatformInfo", INT, PTR, INT, LONG, PTR, PTR);
        getDeviceIDs = bind(lib, "clGetDeviceIDs", INT, PTR, LONG, INT, PTR, PTR);
        getDeviceInfo = bind(lib, "clGetDeviceInfo", INT, PTR, INT, LONG, PTR, PTR);
        createContext = bind(lib, "clCreateContext", PTR, PTR, INT, PTR, PTR, PTR, PTR);
        releaseContext = bind(lib, "clReleaseContext", INT, PTR);
        createCommandQueue = bind(lib, "clCreateCommandQueue", PTR, PTR, PTR, LONG, PTR);
        releaseCommandQueue = bind(lib, "clReleaseCommandQueue", INT, PTR);
        createBuffer = bind(lib, "clCreateBuffer", PTR, PTR, LONG, LONG, PTR, PTR);
        releaseMemObject = bind(lib, "clReleaseMemObject", INT, PTR);
        // Blocking transfers copy straight from and into Java arrays: the call returns when the copy is
        // done, so the array need only stay put for the call (a critical downcall with heap access).
        enqueueWriteBuffer = bindCritical(lib, "clEnqueueWriteBuffer", INT, PTR, PTR, INT, LONG, LONG, PTR, INT, PTR, PTR);
        enqueueReadBuffer = bindCritical(lib, "clEnqueueReadBuffer", INT, PTR, PTR, INT, LONG, LONG, PTR, INT, PTR, PTR);
        enqueueCopyBuffer = bind(lib, "clEnqueueCopyBuffer", INT, PTR, PTR, PTR, LONG, LONG, LONG, INT, PTR, PTR);
        createProgramWithSource = bind(lib, "clCreateProgramWithSource", PTR, PTR, INT, PTR, PTR, PTR);
        createProgramWithBinary = bind(lib, "clCreateProgramWithBinary", PTR, PTR, INT, PTR, PTR, PTR, PTR, PTR);
        buildProgram = bind(lib, "clBuildProgram", INT, PTR, INT, PTR, PTR, PTR, PTR);
        getProgramBuildInfo = bind(lib, "clGetProgramBuildInfo", INT, PTR, PTR, INT, LONG, PTR, PTR);
        getProgramInfo = bind(lib, "clGetProgramInfo", INT, PTR, INT, LONG, PTR, PTR);
        releaseProgram = bind(lib, "clReleaseProgram", INT, PTR);
        createKernel = bind(lib, "clCreateKernel", PTR, PTR, PTR, PTR);
        releaseKernel = bind(lib, "clReleaseKernel", INT, PTR);
        setKernelArg = bind(lib, "clSetKernelArg", INT, PTR, INT, LONG, PTR);
        enqueueNDRangeKernel = bind(lib, "clEnqueueNDRangeKernel", INT, PTR, PTR, INT, PTR, PTR, PTR, INT, PTR, PTR);
        finish = bind(lib, "clFinish", INT, PTR);
        waitForEvents = bind(lib, "clWaitForEvents", INT, INT, PTR);
        getEventProfilingInfo = bind(lib, "clGetEventProfilingInfo", INT, PTR, INT, LONG, PTR, PTR);
        releaseEvent = bind(lib, "clReleaseEvent", INT, PTR);
    }

    /**
     * The bindings, loaded once per process. Throws {@link OpenClException} with one line when no
     * loader library can be opened or it lacks an entry point.
     */
    static OpenCl get() {
        OpenCl cl = loaded;
        if (cl == null) {
            synchronized (OpenCl.class) {
                cl = loaded;
                if (cl == null) {
                    cl = new OpenCl(lookup());
                    loaded = cl;
                }
            }
        }
        return cl;
    }

    private static SymbolLookup lookup() {
        String override = System.getenv("FUSEC_OPENCL_LIBRARY");
        if (override != null && !override.isBlank()) {
            try {
                return SymbolLookup.libraryLookup(Path.of(override), Arena.global());
            } catch (IllegalArgumentException e) {
                throw new OpenClException("OpenCL is not available: FUSEC_OPENCL_LIBRARY=" + override + " cannot be loaded");
            }
        }
        try {
            return SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new OpenClException("OpenCL is not available: " + LIBRARY + " cannot be loaded (install an OpenCL ICD"
                    + " loader such as ocl-icd-libopencl1 and a driver such as pocl-opencl-icd)");
        }
    }

    private static MethodHandle bind(SymbolLookup lib, String name, MemoryLayout result, MemoryLayout... args) {
        return Linker.nativeLinker().downcallHandle(symbol(lib, name), FunctionDescriptor.of(result, args));
    }

    private static MethodHandle bindCritical(SymbolLookup lib, String name, MemoryLayout result, MemoryLayout... args) {
        return Linker.nativeLinker().downcallHandle(symbol(lib, name), FunctionDescriptor.of(result, args),
                Linker.Option.critical(true));
    }

    private static MemorySegment symbol(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new OpenClException("OpenCL is not available: the loader has no " + name));
    }

    /** Throws unless {@code status} is CL_SUCCESS. */
    static void check(int status, String call) {
        if (status != SUCCESS) {
            throw new OpenClException(call + " failed: " + ClStatus.name(status), status);
        }
    }

    /** The status an {@code errcode_ret} segment holds after a call. */
    static void check(MemorySegment errcode, String call) {
        check(errcode.get(INT, 0), call);
    }

    // ---- the calls; each returns the C function's status, or the object it creates ----

    int getPlatformIDs(int n, MemorySegment platforms, MemorySegment count) {
        try {
            return (int) getPlatformIDs.invokeExact(n, platforms, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getPlatformInfo(MemorySegment platform, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getPlatformInfo.invokeExact(platform, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getDeviceIDs(MemorySegment platform, long type, int n, MemorySegment devices, MemorySegment count) {
        try {
            return (int) getDeviceIDs.invokeExact(platform, type, n, devices, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getDeviceInfo(MemorySegment device, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getDeviceInfo.invokeExact(device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createContext(MemorySegment devices, int n, MemorySegment errcode) {
        try {
            return (MemorySegment) createContext.invokeExact(MemorySegment.NULL, n, devices, MemorySegment.NULL, MemorySegment.NULL, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int releaseContext(MemorySegment context) {
        try {
            return (int) releaseContext.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createCommandQueue(MemorySegment context, MemorySegment device, long properties, MemorySegment errcode) {
        try {
            return (MemorySegment) createCommandQueue.invokeExact(context, device, properties, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int releaseCommandQueue(MemorySegment queue) {
        try {
            return (int) releaseCommandQueue.invokeExact(queue);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createBuffer(MemorySegment context, long flags, long size, MemorySegment errcode) {
        try {
            return (MemorySegment) createBuffer.invokeExact(context, flags, size, MemorySegment.NULL, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int releaseMemObject(MemorySegment mem) {
        try {
            return (int) releaseMemObject.invokeExact(mem);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int enqueueWriteBuffer(MemorySegment queue, MemorySegment buffer, boolean blocking, long offset, long size,
                           MemorySegment host, MemorySegment event) {
        try {
            return (int) enqueueWriteBuffer.invokeExact(queue, buffer, (blocking ? 1 : 0), offset, size, host, 0, MemorySegment.NULL, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int enqueueReadBuffer(MemorySegment queue, MemorySegment buffer, boolean blocking, long offset, long size,
                          MemorySegment host, MemorySegment event) {
        try {
            return (int) enqueueReadBuffer.invokeExact(queue, buffer, (blocking ? 1 : 0), offset, size, host, 0, MemorySegment.NULL, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int enqueueCopyBuffer(MemorySegment queue, MemorySegment src, MemorySegment dst, long size, MemorySegment event) {
        try {
            return (int) enqueueCopyBuffer.invokeExact(queue, src, dst, 0L, 0L, size, 0, MemorySegment.NULL, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createProgramWithSource(MemorySegment context, MemorySegment strings, MemorySegment lengths, MemorySegment errcode) {
        try {
            return (MemorySegment) createProgramWithSource.invokeExact(context, 1, strings, lengths, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createProgramWithBinary(MemorySegment context, MemorySegment devices, MemorySegment lengths,
                                          MemorySegment binaries, MemorySegment status, MemorySegment errcode) {
        try {
            return (MemorySegment) createProgramWithBinary.invokeExact(context, 1, devices, lengths, binaries, status, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int buildProgram(MemorySegment program, MemorySegment devices, MemorySegment options) {
        try {
            return (int) buildProgram.invokeExact(program, 1, devices, options, MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getProgramBuildInfo(MemorySegment program, MemorySegment device, int param, long size, MemorySegment value,
                            MemorySegment sizeRet) {
        try {
            return (int) getProgramBuildInfo.invokeExact(program, device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getProgramInfo(MemorySegment program, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getProgramInfo.invokeExact(program, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int releaseProgram(MemorySegment program) {
        try {
            return (int) releaseProgram.invokeExact(program);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createKernel(MemorySegment program, MemorySegment name, MemorySegment errcode) {
        try {
            return (MemorySegment) createKernel.invokeExact(program, name, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int releaseKernel(MemorySegment kernel) {
        try {
            return (int) releaseKernel.invokeExact(kernel);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int setKernelArg(MemorySegment kernel, int index, long size, MemorySegment value) {
        try {
            return (int) setKernelArg.invokeExact(kernel, index, size, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int enqueueNDRangeKernel(MemorySegment queue, MemorySegment kernel, int dims, MemorySegment global, MemorySegment local,
                             MemorySegment event) {
        try {
            return (int) enqueueNDRangeKernel.invokeExact(queue, kernel, dims, MemorySegment.NULL, global, local, 0, MemorySegment.NULL, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int finish(MemorySegment queue) {
        try {
            return (int) finish.invokeExact(queue);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int waitForEvents(int n, MemorySegment events) {
        try {
            return (int) waitForEvents.invokeExact(n, events);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getEventProfilingInfo(MemorySegment event, int param, long size, MemorySegment value) {
        try {
            return (int) getEventProfilingInfo.invokeExact(event, param, size, value, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int releaseEvent(MemorySegment event) {
        try {
            return (int) releaseEvent.invokeExact(event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
