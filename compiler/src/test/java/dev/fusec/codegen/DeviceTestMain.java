package dev.fusec.codegen;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The OpenCL tests without Maven, for a machine that has a GPU but no build tools
 * (bench/opencl-h100/run): the agreement cases and examples, the special values and the program
 * cache, on the device FUSEC_TEST_DEVICE names. Prints JUnit's summary and the failures; exits 1
 * when any failed.
 */
public final class DeviceTestMain {
    private DeviceTestMain() {}

    public static void main(String[] args) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(OpenClAgreementTest.class), selectClass(OpenClSpecialValuesTest.class),
                        selectClass(OpenClProgramCacheTest.class))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        summary.printTo(out);
        summary.printFailuresTo(out, 30);
        out.printf("%d passed, %d failed, %d skipped%n", summary.getTestsSucceededCount(), summary.getTotalFailureCount(),
                summary.getTestsSkippedCount());
        out.flush();
        System.exit(summary.getTotalFailureCount() == 0 ? 0 : 1);
    }
}
