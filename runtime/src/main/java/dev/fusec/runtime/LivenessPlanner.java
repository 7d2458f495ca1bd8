package dev.fusec.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Assigns intermediates to reusable buffers by liveness.
 *
 * <ol>
 *   <li>A value's life runs from the step that writes it to the last step that reads it or any view of it.</li>
 *   <li>Walking the steps in order, a value written takes the smallest free buffer large enough (best
 *       fit), or a new one; a value whose life ended returns its buffer after the step.</li>
 * </ol>
 * A buffer is never both read and written by one step, since lives end after their last step.
 */
public final class LivenessPlanner {
    private LivenessPlanner() {}

    /** The buffer (slot) of each value (-1 for values not pooled) and the size of each slot. */
    public record Plan(int[] slotOf, int[] slotSizes) {
        public long pooledBytes() {
            return Arrays.stream(slotSizes).asLongStream().sum() * Float.BYTES;
        }
    }

    public static Plan plan(Program p) {
        int n = p.values().size();
        int[] root = new int[n];
        for (int v = 0; v < n; v++) {
            int r = v;
            while (p.values().get(r).kind() == Program.Kind.VIEW) {
                r = p.values().get(r).viewOf();
            }
            root[v] = r;
        }
        int[] lastUse = new int[n];
        Arrays.fill(lastUse, -1);
        for (int s = 0; s < p.steps().size(); s++) {
            for (int a : p.steps().get(s).args()) {
                lastUse[root[a]] = s;
            }
        }
        for (int out : p.outputs()) {
            lastUse[root[out]] = Integer.MAX_VALUE;
        }
        int[] slotOf = new int[n];
        Arrays.fill(slotOf, -1);
        List<Integer> sizes = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        for (int s = 0; s < p.steps().size(); s++) {
            Program.Step step = p.steps().get(s);
            for (int i = step.operandCount(); i < step.args().length; i++) {
                int v = step.args()[i];
                if (p.values().get(v).kind() != Program.Kind.INTERMEDIATE || slotOf[v] >= 0) {
                    continue;
                }
                int need = p.values().get(v).size();
                int best = -1;
                for (int f : free) {
                    if (sizes.get(f) >= need && (best < 0 || sizes.get(f) < sizes.get(best))) {
                        best = f;
                    }
                }
                if (best < 0) {
                    sizes.add(need);
                    best = sizes.size() - 1;
                } else {
                    free.remove(Integer.valueOf(best));
                }
                slotOf[v] = best;
            }
            for (int v = 0; v < n; v++) {
                if (slotOf[v] >= 0 && lastUse[v] == s && p.values().get(v).kind() == Program.Kind.INTERMEDIATE) {
                    free.add(slotOf[v]);
                }
            }
        }
        return new Plan(slotOf, sizes.stream().mapToInt(Integer::intValue).toArray());
    }
}
