package dev.fusec.cli;

import dev.fusec.runtime.opencl.ClDevice;
import dev.fusec.runtime.opencl.ClDevices;
import dev.fusec.runtime.opencl.OpenClException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code fusec devices}: the OpenCL platforms and devices this machine has, numbered as
 * {@code --device N} takes them. No OpenCL library, or no device at all, is an error (exit 1).
 */
@Command(name = "devices", description = "List the OpenCL platforms and devices (the numbers --device takes).")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<ClDevice> all = ClDevices.all();
        if (all.isEmpty()) {
            throw new OpenClException("no OpenCL device found: the loader lists no platform with a device (PoCL needs"
                    + " POCL_CACHE_DIR set to a writable folder)");
        }
        PrintWriter out = spec.commandLine().getOut();
        String platform = null;
        for (ClDevice d : all) {
            if (!d.platform().equals(platform)) {
                platform = d.platform();
                out.println("platform: " + d.platform() + " (" + d.platformVersion() + ")");
            }
            out.printf(Locale.ROOT, "  device %d: %s  [%s]%n", d.index(), d.name(), d.type());
            out.printf(Locale.ROOT, "      %s; %s; driver %s%n", d.version(), d.openclCVersion(), d.driverVersion());
            out.printf(Locale.ROOT, "      global memory %s (%s in one buffer), local memory %s, %d compute units at %d MHz,"
                            + " single-precision denormals %s%n", Stats.bytes(d.globalMemBytes()), Stats.bytes(d.maxAllocBytes()),
                    Stats.bytes(d.localMemBytes()), d.computeUnits(), d.clockMhz(), d.denormals() ? "kept" : "flushed to zero");
        }
        out.flush();
        return 0;
    }
}
