package dev.fusec.bench;

import java.util.Arrays;

/**
 * A mode's speed-up over a baseline from rounds that timed both: the median of the per-round ratios
 * (baseline's time over the mode's in the same round), with a distribution-free 95% interval for
 * that median. Pairing by round cancels what drifts between rounds (a neighbour's load, clock
 * changes), which a ratio of the two medians keeps; the interval says whether a difference of a few
 * percent is one at all.
 *
 * <p>The interval is the usual one from order statistics: the number of ratios below the true median
 * is Binomial(n, 1/2), so for the largest k with P(X < k) <= 2.5%, the k-th smallest and k-th largest
 * ratios bound the median with at least 95% confidence, whatever the distribution of the times. It
 * needs six rounds at least (P(X = 0) = 1/64); with fewer there is no such interval, and its bounds
 * are NaN.
 */
public record SpeedUp(double median, double low, double high) {
    /** Fewer rounds than this give no 95% interval. */
    public static final int MIN_ROUNDS_FOR_INTERVAL = 6;

    /** {@code baselineMs[r]} and {@code modeMs[r]} were timed in round r. */
    public static SpeedUp of(double[] baselineMs, double[] modeMs) {
        if (baselineMs.length != modeMs.length || modeMs.length == 0) {
            throw new IllegalArgumentException("need the same rounds for both, at least one: "
                    + baselineMs.length + " and " + modeMs.length);
        }
        double[] ratios = new double[modeMs.length];
        for (int r = 0; r < ratios.length; r++) {
            ratios[r] = baselineMs[r] / modeMs[r];
        }
        Arrays.sort(ratios);
        int k = intervalRank(ratios.length);
        return new SpeedUp(Benchmark.median(ratios), k == 0 ? Double.NaN : ratios[k - 1],
                k == 0 ? Double.NaN : ratios[ratios.length - k]);
    }

    /**
     * The largest k (1-based rank) with P(Binomial(n, 1/2) <= k - 1) <= 0.025, or 0 where even k = 1
     * fails (n < 6). Summed in log space, so it holds for any n the command line allows.
     */
    static int intervalRank(int n) {
        double logHalfN = n * Math.log(0.5);
        double logChoose = 0;          // log C(n, 0)
        double below = 0;              // P(X <= i - 1)
        int k = 0;
        for (int i = 0; i < n; i++) {
            below += Math.exp(logChoose + logHalfN);   // now P(X <= i)
            if (below > 0.025) {
                break;
            }
            k = i + 1;
            logChoose += Math.log((double) (n - i) / (i + 1));
        }
        return k;
    }

    public boolean hasInterval() {
        return !Double.isNaN(low);
    }
}
