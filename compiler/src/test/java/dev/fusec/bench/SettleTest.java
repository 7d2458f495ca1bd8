package dev.fusec.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The settling between the warm-up's collection and the timed rounds, on a simulated clock and JIT. */
class SettleTest {
    private static final long MS = 1_000_000L;

    /** A clock that each round moves on by {@code roundMs}, and a JIT counter that grows by 5 ms in the rounds marked busy. */
    private static final class Sim {
        final long roundMs;
        final boolean[] busy;
        long nanos;
        long jitMs;
        final List<Integer> rounds = new ArrayList<>();

        Sim(long roundMs, boolean... busy) {
            this.roundMs = roundMs;
            this.busy = busy;
        }

        void round(int i) {
            rounds.add(i);
            nanos += roundMs * MS;
            if (i < busy.length && busy[i]) {
                jitMs += 5;
            }
        }

        int settle(long quietMs, long limitMs) {
            return Benchmark.settle(this::round, () -> jitMs, () -> nanos, quietMs * MS, limitMs * MS);
        }
    }

    @Test
    void goesOnUntilTheJitHasBeenIdleForTheQuietTime() {
        // Compiles land in rounds 0-2 (30 ms each); from the end of round 2 (90 ms) the JIT is idle,
        // and 100 ms of idleness are reached at the end of round 6 (210 ms).
        Sim sim = new Sim(30, true, true, true);
        assertEquals(7, sim.settle(100, 4000));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), sim.rounds);
    }

    @Test
    void aCompileInTheMiddleRestartsTheQuietTime() {
        Sim sim = new Sim(30, false, false, true);
        // Idle in rounds 0 and 1 (60 ms, short of 100), a compile in round 2 (90 ms), idle from there to 210 ms.
        assertEquals(7, sim.settle(100, 4000));
    }

    @Test
    void oneLongRoundWithoutCompilesIsEnough() {
        Sim sim = new Sim(3000);
        assertEquals(1, sim.settle(100, 4000));
    }

    @Test
    void aJitThatNeverGoesQuietIsCutOffAtTheLimit() {
        boolean[] always = new boolean[1000];
        Arrays.fill(always, true);
        Sim sim = new Sim(30, always);
        // 34 rounds of 30 ms are the first to reach 1000 ms.
        assertEquals(34, sim.settle(100, 1000));
    }

    @Test
    void aJvmThatDoesNotTimeItsJitSettlesForTheQuietTimeOnly() {
        Sim sim = new Sim(30);
        sim.jitMs = -1;
        assertEquals(4, sim.settle(100, 4000));
    }
}
