package dev.fusec.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a {@link Program}: buffers planned by liveness and allocated once, kernels called in order on
 * a {@link Parallel} pool, packed weights prepared once per distinct input array and reused across
 * runs, per-step time recorded for {@code --stats}.
 *
 * <p>Output arrays belong to the executor, as with ONNX Runtime's bound outputs: they are allocated
 * with the executor and overwritten by every later one, so a run allocates nothing (a fresh
 * 100 MiB array per run costs the JVM a zeroing pass over memory and a GC, more than a SwiGLU
 * kernel itself). A caller that keeps results across runs copies them.
 */
public final class Executor {
    private final Program program;
    private final List<Kernel> kernels;
    private final LivenessPlanner.Plan plan;
    private final float[][] slots;
    private final float[][] outputs;
    private final long[] stepNanos;
    /** Per step and prepared operand: the input arrays it was last made from, and what it became. */
    private final Prepared[][] prepared;
    /** Per graph input: the array {@link #roundedOnce} last rounded, and its rounded copy. */
    private final Prepared[] rounded;

    /** {@code sources}: the float[] or {@link StoredTensor} each array it was made from came as. */
    private record Prepared(Object[] sources, float[] result) {
        boolean madeFrom(Object[] given) {
            for (int i = 0; i < sources.length; i++) {
                if (sources[i] != given[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    public Executor(Program program, List<Kernel> kernels) {
        this.program = program;
        this.kernels = List.copyOf(kernels);
        this.plan = LivenessPlanner.plan(program);
        this.slots = new float[plan.slotSizes().length][];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new float[plan.slotSizes()[i]];
        }
        this.outputs = new float[program.values().size()][];
        for (int v = 0; v < outputs.length; v++) {
            if (program.values().get(v).kind() == Program.Kind.OUTPUT) {
                outputs[v] = new float[program.values().get(v).size()];
            }
        }
        this.stepNanos = new long[program.steps().size()];
        this.rounded = new Prepared[program.inputs().length];
        this.prepared = new Prepared[program.steps().size()][];
        for (int i = 0; i < prepared.length; i++) {
            prepared[i] = new Prepared[program.steps().get(i).operandCount()];
        }
        this.preparedOnly = new boolean[program.inputs().length];
        for (int i = 0; i < preparedOnly.length; i++) {
            preparedOnly[i] = readOnlyToPrepare(program.inputs()[i]);
        }
    }

    /** Per graph input: whether every step reads it only to prepare (pack) it, never as an array. */
    private final boolean[] preparedOnly;

    private boolean readOnlyToPrepare(int value) {
        boolean used = false;
        for (Program.Step step : program.steps()) {
            Kernel k = kernels.get(step.kernel());
            java.util.Set<Integer> packedFrom = new java.util.HashSet<>();
            for (int operand : k.preparedOperands()) {
                for (int f : k.preparedFrom(operand)) {
                    packedFrom.add(f);
                }
            }
            for (int i = 0; i < step.args().length; i++) {
                if (step.args()[i] == value) {
                    used = true;
                    if (i >= step.operandCount() || !packedFrom.contains(i)) {
                        return false;
                    }
                }
            }
        }
        for (int out : program.outputs()) {
            if (out == value) {
                return false;
            }
        }
        for (Program.Value v : program.values()) {
            if (v.kind() == Program.Kind.VIEW && v.viewOf() == value) {
                return false;
            }
        }
        return used;
    }

    /**
     * Whether graph input {@code input} is read only by kernels that pack it (weights of the matmul
     * family): such an input can be passed as a checkpoint's {@link StoredTensor}, never widened.
     */
    public boolean preparedOnly(int input) {
        return preparedOnly[input];
    }

    /**
     * Graph input {@code input} rounded to {@code kind} (a narrower type stored as f32: "bf16", ...),
     * made once and reused while the caller passes the same array, under the contract weights already
     * have here (a weight passed again as the same array is taken as unchanged, and its packed form
     * reused). Rounding a fresh copy on every run made each run re-pack every weight too: a bf16
     * SmolLM2-360M FFN step took 50-180 ms instead of a few.
     */
    public float[] roundedOnce(int input, float[] given, String kind) {
        Prepared cached = rounded[input];
        if (cached == null || cached.sources()[0] != given) {
            float[] copy = given.clone();
            Rounding.inPlace(copy, copy.length, kind);
            cached = new Prepared(new float[][] {given}, copy);
            rounded[input] = cached;
        }
        return cached.result();
    }

    public LivenessPlanner.Plan plan() {
        return plan;
    }

    /**
     * Runs on {@code inputs} (in the program's input order) and returns the outputs in order; the
     * returned arrays are this executor's and the next run overwrites them.
     */
    public float[][] run(float[][] inputs, Parallel par) {
        return run(inputs, new StoredTensor[inputs.length], par);
    }

    /**
     * As {@link #run(float[][], Parallel)}, where input i may come as a checkpoint's tensor,
     * {@code stored[i]} (then {@code inputs[i]} is null): only an input that is {@link #preparedOnly}.
     */
    public float[][] run(float[][] inputs, StoredTensor[] stored, Parallel par) {
        List<Program.Value> values = program.values();
        float[][] arrays = new float[values.size()][];
        StoredTensor[] storedValues = new StoredTensor[values.size()];
        for (int i = 0; i < program.inputs().length; i++) {
            int v = program.inputs()[i];
            if (stored[i] != null) {
                if (!preparedOnly[i] || stored[i].elementCount() != values.get(v).size()) {
                    throw new IllegalArgumentException("input " + values.get(v).label() + " cannot be read in place from "
                            + stored[i] + " (" + (preparedOnly[i] ? "needs " + values.get(v).size() + " elements" : "a kernel reads it as an array") + ")");
                }
                storedValues[v] = stored[i];
                continue;
            }
            if (inputs[i].length < values.get(v).size()) {
                throw new IllegalArgumentException("input " + values.get(v).label() + " has " + inputs[i].length
                        + " elements, needs " + values.get(v).size());
            }
            arrays[v] = inputs[i];
        }
        for (int v = 0; v < values.size(); v++) {
            Program.Value val = values.get(v);
            switch (val.kind()) {
                case INTERMEDIATE -> arrays[v] = slots[plan.slotOf()[v]];
                case OUTPUT -> arrays[v] = outputs[v];
                case INPUT, VIEW -> { }
            }
        }
        for (int v = 0; v < values.size(); v++) {
            int r = v;
            while (values.get(r).kind() == Program.Kind.VIEW) {
                r = values.get(r).viewOf();
            }
            arrays[v] = arrays[r];
        }
        for (int s = 0; s < program.steps().size(); s++) {
            Program.Step step = program.steps().get(s);
            Kernel k = kernels.get(step.kernel());
            float[][] args = new float[step.args().length][];
            StoredTensor[] storedArgs = new StoredTensor[step.args().length];
            for (int i = 0; i < args.length; i++) {
                args[i] = arrays[step.args()[i]];
                storedArgs[i] = storedValues[step.args()[i]];
            }
            long t0 = System.nanoTime();
            int[] preparedOperands = k.preparedOperands();
            float[][] given = preparedOperands.length == 0 ? args : args.clone(); // as passed, before any is replaced
            for (int operand : preparedOperands) {
                int[] from = k.preparedFrom(operand);
                Object[] sources = new Object[from.length];
                // Graph inputs (weights) are prepared once and reused while the caller passes the same
                // arrays; computed operands change every run and are prepared every time.
                boolean constant = true;
                for (int i = 0; i < from.length; i++) {
                    sources[i] = given[from[i]] != null ? given[from[i]] : storedArgs[from[i]];
                    constant &= values.get(step.args()[from[i]]).kind() == Program.Kind.INPUT;
                }
                Prepared cached = prepared[s][operand];
                if (!constant || cached == null || !cached.madeFrom(sources)) {
                    cached = new Prepared(sources, k.prepare(operand, given, storedArgs, par));
                    prepared[s][operand] = constant ? cached : null;
                }
                args[operand] = cached.result();
            }
            k.run(args, program.sym(), par);
            for (int i = step.operandCount(); i < args.length; i++) {
                String rounding = values.get(step.args()[i]).rounding();
                if (rounding != null) {
                    Rounding.inPlace(args[i], values.get(step.args()[i]).size(), rounding);
                }
            }
            stepNanos[s] += System.nanoTime() - t0;
        }
        float[][] out = new float[program.outputs().length][];
        for (int i = 0; i < out.length; i++) {
            int v = program.outputs()[i];
            float[] a = arrays[v];
            int size = values.get(v).size();
            // An output that is a view of an input or of a pooled buffer gets its own copy.
            out[i] = values.get(v).kind() == Program.Kind.OUTPUT && a.length == size ? a : Arrays.copyOf(a, size);
        }
        return out;
    }

    /** Time spent in each step since construction (or the last reset), nanoseconds. */
    public long[] stepNanos() {
        return stepNanos.clone();
    }

    public void resetTimes() {
        Arrays.fill(stepNanos, 0);
    }

    public Program program() {
        return program;
    }

    public List<String> stepLabels() {
        List<String> l = new ArrayList<>();
        program.steps().forEach(s -> l.add(s.label()));
        return l;
    }
}
