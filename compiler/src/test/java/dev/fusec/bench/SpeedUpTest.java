package dev.fusec.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The paired speed-up and its distribution-free interval: the ranks against the published table, pairing, and coverage. */
class SpeedUpTest {
    @Test
    void intervalRanksAreTheBinomialOnesOfTheUsualTable() {
        // Ranks of the 95% interval for a median (Conover, Practical Nonparametric Statistics, table A3;
        // any table of the sign test gives the same): n = 6 -> (1, 6), 10 -> (2, 9), 20 -> (6, 15), 50 -> (18, 33).
        assertEquals(0, SpeedUp.intervalRank(5));
        assertEquals(1, SpeedUp.intervalRank(6));
        assertEquals(1, SpeedUp.intervalRank(8));
        assertEquals(2, SpeedUp.intervalRank(9));
        assertEquals(2, SpeedUp.intervalRank(10));
        assertEquals(6, SpeedUp.intervalRank(20));
        assertEquals(18, SpeedUp.intervalRank(50));
        // Far past where 2^-n underflows a double: the normal approximation n/2 - 0.98 sqrt(n) within a rank.
        int n = 100_000;
        assertTrue(Math.abs(SpeedUp.intervalRank(n) - (n / 2.0 - 0.98 * Math.sqrt(n))) < 2, "" + SpeedUp.intervalRank(n));
    }

    @Test
    void ratiosArePairedByRound() {
        // Both modes slow down together in rounds 3-5 (a neighbour): per round the mode is always 1.25x
        // as fast, while a ratio of the medians of the two columns would say 3.2 / 2.4 = 1.33x.
        double[] baseline = {2.0, 2.0, 2.5, 10.0, 10.0, 10.0, 3.0, 3.2, 3.4};
        double[] mode = new double[baseline.length];
        for (int r = 0; r < mode.length; r++) {
            mode[r] = baseline[r] / 1.25;
        }
        SpeedUp s = SpeedUp.of(baseline, mode);
        assertEquals(1.25, s.median(), 1e-12);
        assertEquals(1.25, s.low(), 1e-12);
        assertEquals(1.25, s.high(), 1e-12);
    }

    @Test
    void theIntervalIsTheKthSmallestAndLargestRatio() {
        double[] baseline = new double[10];
        double[] mode = new double[10];
        double[] ratios = {1.07, 0.91, 1.02, 0.99, 1.30, 1.01, 0.97, 1.04, 1.00, 1.03};
        for (int r = 0; r < 10; r++) {
            baseline[r] = 5.0;
            mode[r] = 5.0 / ratios[r];
        }
        // Sorted: 0.91 0.97 0.99 1.00 1.01 1.02 1.03 1.04 1.07 1.30; rank 2 from each end.
        SpeedUp s = SpeedUp.of(baseline, mode);
        assertEquals(1.015, s.median(), 1e-12);
        assertEquals(0.97, s.low(), 1e-12);
        assertEquals(1.07, s.high(), 1e-12);
        assertTrue(s.hasInterval());
    }

    @Test
    void fewerThanSixRoundsHaveNoInterval() {
        SpeedUp s = SpeedUp.of(new double[] {2, 2, 2, 2, 2}, new double[] {1, 1, 1, 1, 1});
        assertEquals(2.0, s.median());
        assertFalse(s.hasInterval());
        assertTrue(Double.isNaN(s.high()));
        assertThrows(IllegalArgumentException.class, () -> SpeedUp.of(new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> SpeedUp.of(new double[0], new double[0]));
    }

    @Test
    void theIntervalCoversTheTrueMedianAtLeastNineteenTimesInTwenty() {
        // Rounds with a common drift and skewed noise on each mode, true speed-up 1.03 (the noise is the
        // same distribution for both, so the ratio's median is 1.03). Coverage is at least 95% by
        // construction; 2000 trials at n = 10 put it at 97.9% +- 0.3%, so this fails only if the ranks are wrong.
        Random random = new Random(7);
        int covered = 0;
        int trials = 2000;
        for (int t = 0; t < trials; t++) {
            double[] baseline = new double[10];
            double[] mode = new double[10];
            for (int r = 0; r < 10; r++) {
                double drift = 1 + 2 * random.nextDouble();
                baseline[r] = 1.03 * drift * (1 + 0.1 * -Math.log(random.nextDouble()));
                mode[r] = drift * (1 + 0.1 * -Math.log(random.nextDouble()));
            }
            SpeedUp s = SpeedUp.of(baseline, mode);
            if (s.low() <= 1.03 && 1.03 <= s.high()) {
                covered++;
            }
        }
        assertTrue(covered >= 0.95 * trials && covered <= 0.995 * trials, covered + " of " + trials);
    }
}
