package dev.fusec.runtime;

import static dev.fusec.runtime.ProgramBuilder.reads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Buffer planning by liveness: reuse where lives do not overlap, never where they do; outputs,
 * inputs and views get no buffer of their own; a view keeps its root's buffer alive.
 */
class LivenessPlannerTest {
    @Test
    void aChainReusesTwoBuffers() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 100);
        int a = p.intermediate("a", 100);
        int b = p.intermediate("b", 100);
        int c = p.intermediate("c", 100);
        int d = p.output("d", 100);
        p.step(0, reads(x), a).step(0, reads(a), b).step(0, reads(b), c).step(0, reads(c), d);
        LivenessPlanner.Plan plan = LivenessPlanner.plan(p.build());
        assertEquals(2, plan.slotSizes().length, Arrays.toString(plan.slotOf()));
        assertEquals(plan.slotOf()[a], plan.slotOf()[c], "c reuses a's buffer once a is dead");
        assertNotEquals(plan.slotOf()[a], plan.slotOf()[b], "b is written while a is read");
        assertEquals(-1, plan.slotOf()[x]);
        assertEquals(-1, plan.slotOf()[d], "outputs are not pooled");
        assertEquals(2 * 100 * Float.BYTES, plan.pooledBytes());
    }

    @Test
    void aValueStillNeededIsNotShared() {
        // a is read by the last step, so b and c may share with each other but never with a.
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 10);
        int a = p.intermediate("a", 10);
        int b = p.intermediate("b", 10);
        int c = p.intermediate("c", 10);
        int d = p.output("d", 10);
        p.step(0, reads(x), a).step(0, reads(x), b).step(0, reads(b), c).step(0, reads(a, c), d);
        int[] slot = LivenessPlanner.plan(p.build()).slotOf();
        assertNotEquals(slot[a], slot[b]);
        assertNotEquals(slot[a], slot[c]);
    }

    @Test
    void bestFitPicksTheSmallestFreeBufferThatHolds() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 10);
        int big = p.intermediate("big", 1000);
        int small = p.intermediate("small", 10);
        int y = p.intermediate("y", 8);
        int z = p.output("z", 1);
        p.step(0, reads(x), big).step(0, reads(x), small).step(0, reads(big, small), y).step(0, reads(y), z);
        LivenessPlanner.Plan plan = LivenessPlanner.plan(p.build());
        // y's step reads big and small, so both are still busy while it is written: a third buffer.
        assertEquals(3, plan.slotSizes().length);
        ProgramBuilder q = new ProgramBuilder();
        x = q.input("x", 10);
        big = q.intermediate("big", 1000);
        small = q.intermediate("small", 10);
        int mid = q.intermediate("mid", 1);
        y = q.intermediate("y", 8);
        z = q.output("z", 1);
        q.step(0, reads(x), big).step(0, reads(x), small).step(0, reads(big, small), mid).step(0, reads(mid), y).step(0, reads(y), z);
        plan = LivenessPlanner.plan(q.build());
        assertEquals(plan.slotOf()[small], plan.slotOf()[y], "y (8 floats) takes the 10-float buffer, not the 1000-float one");
    }

    @Test
    void aViewExtendsTheLifeOfItsRoot() {
        // a is never read directly, only through its view va, two steps later; b is written in between.
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 10);
        int a = p.intermediate("a", 10);
        int va = p.view("va", a);
        int vva = p.view("vva", va);
        int b = p.intermediate("b", 10);
        int c = p.output("c", 10);
        p.step(0, reads(x), a).step(0, reads(x), b).step(0, reads(vva, b), c);
        int[] slot = LivenessPlanner.plan(p.build()).slotOf();
        assertNotEquals(slot[a], slot[b]);
        assertEquals(-1, slot[va]);
        assertEquals(-1, slot[vva]);
    }

    @Test
    void aViewThatIsAnOutputKeepsItsRootForever() {
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 10);
        int a = p.intermediate("a", 10);
        int va = p.view("va", a);
        p.returns(va);
        int b = p.intermediate("b", 10);
        int c = p.intermediate("c", 10);
        int d = p.output("d", 10);
        p.step(0, reads(x), a).step(0, reads(x), b).step(0, reads(b), c).step(0, reads(c), d);
        int[] slot = LivenessPlanner.plan(p.build()).slotOf();
        assertNotEquals(slot[a], slot[b]);
        assertNotEquals(slot[a], slot[c]);
    }

    @Test
    void aDeadResultFreesItsBufferAfterItsStep() {
        // split-like step writing two values, one of them never read.
        ProgramBuilder p = new ProgramBuilder();
        int x = p.input("x", 10);
        int used = p.intermediate("used", 5);
        int dead = p.intermediate("dead", 5);
        int c = p.intermediate("c", 5);
        int d = p.output("d", 5);
        p.step(0, reads(x), used, dead).step(0, reads(used), c).step(0, reads(c), d);
        int[] slot = LivenessPlanner.plan(p.build()).slotOf();
        assertNotEquals(slot[used], slot[dead], "both results of one step are written together");
        assertEquals(slot[dead], slot[c], "the unread result's buffer is free for the next step");
    }

    /**
     * Random programs against an independent statement of the rule: two values in one buffer have
     * disjoint lives, where a life runs from the step that writes the value to the last step that
     * reads it or a view of it (forever for a value returned directly or through a view); every
     * buffer holds its values; exactly the intermediates are pooled.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void randomProgramsNeverShareALiveBuffer(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        ProgramBuilder p = new ProgramBuilder();
        p.input("in0", 1 + rng.nextInt(50));
        p.input("in1", 1 + rng.nextInt(50));
        int stepCount = 4 + rng.nextInt(14);
        for (int s = 0; s < stepCount; s++) {
            int n = p.values.size();
            int[] r = new int[1 + rng.nextInt(3)];
            for (int i = 0; i < r.length; i++) {
                r[i] = rng.nextInt(n);
            }
            int[] w = new int[1 + (rng.nextInt(4) == 0 ? 1 : 0)];
            for (int i = 0; i < w.length; i++) {
                w[i] = rng.nextInt(5) == 0 ? p.output("o" + s + "_" + i, 1 + rng.nextInt(50))
                        : p.intermediate("v" + s + "_" + i, 1 + rng.nextInt(50));
            }
            p.step(0, r, w);
            if (rng.nextInt(3) == 0) {
                int of = 2 + rng.nextInt(p.values.size() - 2);
                int v = p.view("view" + s, of);
                if (rng.nextInt(3) == 0) {
                    p.returns(v);
                }
            }
        }
        Program prog = p.build();
        LivenessPlanner.Plan plan = LivenessPlanner.plan(prog);

        int n = prog.values().size();
        int[] root = new int[n];
        for (int v = 0; v < n; v++) {
            root[v] = v;
            while (prog.values().get(root[v]).kind() == Program.Kind.VIEW) {
                root[v] = prog.values().get(root[v]).viewOf();
            }
        }
        int[] born = new int[n];
        int[] dies = new int[n];
        Arrays.fill(born, -1);
        Arrays.fill(dies, -1);
        for (int s = 0; s < prog.steps().size(); s++) {
            Program.Step st = prog.steps().get(s);
            for (int i = 0; i < st.args().length; i++) {
                int v = root[st.args()[i]];
                if (i >= st.operandCount() && born[v] < 0) {
                    born[v] = s;
                }
                dies[v] = Math.max(dies[v], s);
            }
        }
        for (int o : prog.outputs()) {
            dies[root[o]] = Integer.MAX_VALUE;
        }
        List<String> problems = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            boolean pooled = prog.values().get(v).kind() == Program.Kind.INTERMEDIATE;
            if (pooled != plan.slotOf()[v] >= 0) {
                problems.add(prog.values().get(v) + " pooled=" + (plan.slotOf()[v] >= 0));
            }
            if (plan.slotOf()[v] >= 0 && plan.slotSizes()[plan.slotOf()[v]] < prog.values().get(v).size()) {
                problems.add(prog.values().get(v).label() + " does not fit its buffer");
            }
            for (int u = 0; u < v; u++) {
                if (plan.slotOf()[u] >= 0 && plan.slotOf()[u] == plan.slotOf()[v]
                        && !(dies[u] < born[v] || dies[v] < born[u])) {
                    problems.add(prog.values().get(u).label() + " [" + born[u] + ", " + dies[u] + "] and "
                            + prog.values().get(v).label() + " [" + born[v] + ", " + dies[v] + "] share buffer " + plan.slotOf()[v]);
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
