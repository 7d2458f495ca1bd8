package dev.fusec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.runtime.Npy;
import dev.fusec.runtime.Tensor;
import dev.fusec.runtime.opencl.ClDevices;
import dev.fusec.runtime.opencl.OpenClException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenCL commands as a user types them: {@code devices}, {@code run --backend opencl},
 * {@code bench --backend opencl}, and what they say without OpenCL (no loader library, no device):
 * one line, exit 1. The tests that need a device are skipped, with the reason, where there is none.
 */
class OpenClCliTest {
    static final Path EXAMPLES = Path.of(System.getProperty("basedir", ".")).resolve("../ir-examples").normalize();
    static final Path QWEN = EXAMPLES.resolve("qwen2_5_0_5b_ffn.fir");

    @TempDir
    Path dir;

    private static void needOpenCl() {
        String why = null;
        try {
            if (ClDevices.all().isEmpty()) {
                why = "no OpenCL device";
            }
        } catch (OpenClException e) {
            why = e.getMessage();
        }
        Assumptions.assumeTrue(why == null, "OpenCL tests skipped: " + why);
    }

    @Test
    void devicesListsEachDeviceWithItsNumberTypeAndMemory() {
        needOpenCl();
        CliRun r = CliRun.of("devices");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("device 0: "), r.out());
        assertTrue(r.out().contains("global memory"), r.out());
        assertTrue(r.out().contains("compute units"), r.out());
    }

    @Test
    void runOnOpenClGivesTheInterpretersResults() throws Exception {
        needOpenCl();
        Path want = dir.resolve("want.npy");
        Path fused = dir.resolve("fused.npy");
        Path unfused = dir.resolve("unfused.npy");
        CliRun ref = CliRun.of("run", QWEN.toString(), "--mode", "interp", "--dim", "T=3", "--output", "y=" + want);
        assertEquals(0, ref.code(), ref.toString());
        for (var e : Map.of("fused", fused, "unfused", unfused).entrySet()) {
            CliRun r = CliRun.of("run", QWEN.toString(), "--mode", e.getKey(), "--dim", "T=3", "--backend", "opencl", "--stats",
                    "--output", "y=" + e.getValue());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("backend=opencl"), r.out());
            assertTrue(r.out().contains("OpenCL kernel functions in one program"), r.out());
            Tensor a = Npy.read(want);
            Tensor b = Npy.read(e.getValue());
            double worst = 0;
            for (int i = 0; i < a.data().length; i++) {
                worst = Math.max(worst, Math.abs(a.data()[i] - b.data()[i]));
            }
            assertTrue(worst <= 1e-4, e.getKey() + " differs from interp by " + worst);
        }
    }

    @Test
    void anImportedGptOssMlpRunsOnOpenClWithItsWeights() throws Exception {
        needOpenCl();
        // gpt-oss gates with swish (alpha 1.702), adds const 1 to up, and fuses to bias_swiglu with alpha= and beta=.
        Path models = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/models/gpt_oss");
        Path fir = dir.resolve("gpt_oss.fir");
        CliRun imported = CliRun.of("import", models.toString(), "-o", fir.toString());
        assertEquals(0, imported.code(), imported.toString());
        Path want = dir.resolve("want.npy");
        List<String> common = List.of("run", fir.toString(), "--weights", models.toString(), "--layer", "1", "--dim", "T=3");
        CliRun ref = CliRun.of(concat(common, "--mode", "interp", "--output", "y=" + want));
        assertEquals(0, ref.code(), ref.toString());
        for (String mode : List.of("fused", "unfused")) {
            Path got = dir.resolve(mode + ".npy");
            CliRun r = CliRun.of(concat(common, "--mode", mode, "--backend", "opencl", "--output", "y=" + got));
            assertEquals(0, r.code(), r.toString());
            float[] a = Npy.read(want).data();
            float[] b = Npy.read(got).data();
            double scale = 1;
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
            assertTrue(worst <= 1e-4 * scale, mode + " on OpenCL differs from interp by " + worst);
        }
    }

    private static String[] concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    @Test
    void benchOnOpenClTimesFusedAndUnfusedBesideTheCopyBandwidth() {
        needOpenCl();
        CliRun r = CliRun.of("bench", EXAMPLES.resolve("megatron_swiglu.fir").toString(), "--dim", "T=64", "--backend", "opencl",
                "--runs", "3", "--warmup", "1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("device copy: "), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("fused ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("unfused ")), r.out());
    }

    @Test
    void aBadDeviceFlagIsAUsageError() {
        assertEquals(2, CliRun.of("run", QWEN.toString(), "--mode", "fused", "--dim", "T=1", "--backend", "opencl", "--device", "fast")
                .code());
        assertEquals(2, CliRun.of("run", QWEN.toString(), "--mode", "fused", "--dim", "T=1", "--device", "0").code());
        assertEquals(2, CliRun.of("run", QWEN.toString(), "--mode", "interp", "--dim", "T=1", "--backend", "opencl").code());
    }

    /** In a JVM of its own, {@code FUSEC_OPENCL_LIBRARY} naming a library that is not there: no OpenCL at all. */
    @Test
    void withoutAnOpenClLibraryEveryCommandSaysSoInOneLine() throws Exception {
        Path notALibrary = dir.resolve("missing").resolve("libOpenCL.so.1");
        Map<String, String> env = Map.of("FUSEC_OPENCL_LIBRARY", notALibrary.toString());
        Run devices = fusec(env, "devices");
        assertEquals(1, devices.code(), devices.toString());
        assertEquals("fusec: error: OpenCL is not available: FUSEC_OPENCL_LIBRARY=" + notALibrary + " cannot be loaded\n",
                devices.err());
        Run run = fusec(env, "run", QWEN.toString(), "--mode", "fused", "--dim", "T=1", "--backend", "opencl");
        assertEquals(1, run.code(), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertTrue(run.err().startsWith(QWEN + ":"), run.toString());
        assertTrue(run.err().contains(": error: OpenCL is not available"), run.toString());
        assertEquals("", run.out());
    }

    /** A loader with no driver registered (OCL_ICD_VENDORS names an empty folder): no device, one line. */
    @Test
    void withoutAnOpenClDeviceDevicesSaysSoInOneLine() throws Exception {
        needOpenCl();
        Path empty = Files.createDirectories(dir.resolve("vendors"));
        Run devices = fusec(Map.of("OCL_ICD_VENDORS", empty.toString()), "devices");
        assertEquals(1, devices.code(), devices.toString());
        assertEquals(1, devices.err().lines().count(), devices.toString());
        assertTrue(devices.err().startsWith("fusec: error: no OpenCL device found"), devices.toString());
    }

    private record Run(int code, String out, String err) {}

    private Run fusec(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("fusec did not finish in 2 minutes: " + command);
        }
        String errText = Files.readString(err).lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .map(l -> l + "\n").reduce("", String::concat);
        return new Run(p.exitValue(), Files.readString(out), errText);
    }
}
