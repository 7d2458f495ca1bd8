package dev.fusec.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MachineLimitsTest {

    /** The start of /proc/cpuinfo on a two-processor VM; the second block must not be read. */
    private static List<String> cpuinfo(String family, String model, String stepping) {
        return List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: " + family, "model\t\t: " + model,
                "model name\t: AMD EPYC", "stepping\t: " + stepping, "flags\t\t: fpu avx512f", "",
                "processor\t: 1", "cpu family\t: 99", "model\t\t: 99", "model name\t: Other", "stepping\t: 9", "");
    }

    @Test
    void theFirstProcessorIsDescribedByNameFamilyModelAndStepping() {
        assertEquals("AMD EPYC (family 25, model 17, stepping 1) x2", MachineLimits.describe(cpuinfo("25", "17", "1"), 2));
    }

    @Test
    void twoGenerationsWithTheSameBareModelNameAreToldApart() {
        // Zen 4 and Zen 5 VMs both call themselves "AMD EPYC"; their FMA peaks differ by 2x.
        assertNotEquals(MachineLimits.describe(cpuinfo("25", "17", "1"), 2), MachineLimits.describe(cpuinfo("26", "2", "1"), 2));
    }

    @Test
    void aModelNameAloneStillDescribesTheCpu() {
        assertEquals("Some CPU x4", MachineLimits.describe(List.of("model name : Some CPU"), 4));
    }

    @Test
    void withoutAModelNameTheCallerFallsBack() {
        assertThrows(IllegalArgumentException.class, () -> MachineLimits.describe(List.of("processor : 0", "cpu family : 25"), 2));
    }
}
