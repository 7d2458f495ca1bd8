package dev.fusec.runtime;

import java.util.ArrayList;
import java.util.List;

/** Test support: writes a {@link Program} value by value and step by step. */
final class ProgramBuilder {
    final List<Program.Value> values = new ArrayList<>();
    final List<Program.Step> steps = new ArrayList<>();
    final List<Integer> inputs = new ArrayList<>();
    final List<Integer> outputs = new ArrayList<>();

    int input(String label, int size) {
        inputs.add(values.size());
        return add(new Program.Value(label, size, Program.Kind.INPUT, -1, null));
    }

    int intermediate(String label, int size) {
        return add(new Program.Value(label, size, Program.Kind.INTERMEDIATE, -1, null));
    }

    int intermediate(String label, int size, String rounding) {
        return add(new Program.Value(label, size, Program.Kind.INTERMEDIATE, -1, rounding));
    }

    /** A graph output written by a step. */
    int output(String label, int size) {
        outputs.add(values.size());
        return add(new Program.Value(label, size, Program.Kind.OUTPUT, -1, null));
    }

    int view(String label, int of) {
        return add(new Program.Value(label, values.get(of).size(), Program.Kind.VIEW, of, null));
    }

    /** Marks a value (typically a view) as a graph output too. */
    ProgramBuilder returns(int value) {
        outputs.add(value);
        return this;
    }

    /** One call of kernel {@code kernel}: reads {@code reads}, writes {@code writes}. */
    ProgramBuilder step(int kernel, int[] reads, int... writes) {
        int[] args = new int[reads.length + writes.length];
        System.arraycopy(reads, 0, args, 0, reads.length);
        System.arraycopy(writes, 0, args, reads.length, writes.length);
        steps.add(new Program.Step("step" + steps.size(), kernel, args, reads.length, 0, 0));
        return this;
    }

    static int[] reads(int... v) {
        return v;
    }

    Program build() {
        return new Program(values, steps, inputs.stream().mapToInt(Integer::intValue).toArray(),
                outputs.stream().mapToInt(Integer::intValue).toArray(), new int[0]);
    }

    private int add(Program.Value v) {
        values.add(v);
        return values.size() - 1;
    }
}
