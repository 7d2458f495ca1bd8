package dev.fusec.codegen;

import dev.fusec.runtime.opencl.ClDevice;
import dev.fusec.runtime.opencl.ClDevices;
import dev.fusec.runtime.opencl.DeviceContext;
import dev.fusec.runtime.opencl.OpenClException;
import org.junit.jupiter.api.Assumptions;

/**
 * Test support: the one OpenCL device the tests of this JVM share (FUSEC_TEST_DEVICE chooses, as
 * {@code --device} does; default: the first GPU, else the first device). Where OpenCL cannot be had
 * (no loader, no device, PoCL without a cache folder), a test that asks for it is skipped, and the
 * reason is printed once and given to JUnit. On a CPU device the programs are built with
 * {@code -cl-opt-disable} unless FUSEC_TEST_OPENCL_OPTIONS says otherwise.
 */
final class OpenClDevice {
    private OpenClDevice() {}

    private static DeviceContext context;
    private static String options;
    private static String unavailable;

    /** The shared context, or the test is skipped (an assumption) with the reason. */
    static synchronized DeviceContext get() {
        if (context == null && unavailable == null) {
            try {
                ClDevice d = ClDevices.select(System.getenv("FUSEC_TEST_DEVICE"));
                context = DeviceContext.open(d);
                // PoCL's compiler takes 3-4 times longer per kernel with its optimisations on; the kernels'
                // meaning is the same, and the GPU runs (and FUSEC_TEST_OPENCL_OPTIONS="") build them optimised.
                String given = System.getenv("FUSEC_TEST_OPENCL_OPTIONS");
                options = given != null ? given : d.isCpu() ? "-cl-opt-disable" : "";
                System.out.println("OpenCL tests run on device " + d.index() + ": " + d.name() + " (" + d.platform() + ", "
                        + d.version() + ", driver " + d.driverVersion() + "), build options '" + options + "'");
            } catch (OpenClException e) {
                unavailable = "OpenCL tests skipped: " + e.getMessage();
                System.out.println(unavailable);
            }
        }
        Assumptions.assumeTrue(context != null, unavailable);
        return context;
    }

    /** The build options of the tests' programs. */
    static synchronized String options() {
        get();
        return options;
    }
}
