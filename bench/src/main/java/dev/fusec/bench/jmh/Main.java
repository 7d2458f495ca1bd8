package dev.fusec.bench.jmh;

import dev.fusec.runtime.JvmOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmarks jar's entry point: JMH's own, with the kernels' JVM options (jvm-options.txt, read
 * from the runtime on the class path) put in front of every fork's JVM options, so that the forks run
 * the kernels as the fusec launcher does. A {@code -jvmArgsPrepend} given on the command line comes
 * after them. (A fork started by {@code org.openjdk.jmh.Main} itself gets the runtime's compiler
 * directives instead, which leave out the warm-up options.)
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(withPrepended(args, JvmOptions.kernelOptions()));
    }

    /**
     * {@code args} with one {@code -jvmArgsPrepend} holding {@code options} and then those it gave
     * (JMH splits a single value at spaces, and would take several as one option each).
     */
    static String[] withPrepended(String[] args, List<String> options) {
        List<String> prepend = new ArrayList<>(options);
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-jvmArgsPrepend") && i + 1 < args.length) {
                prepend.add(args[++i]);
            } else if (args[i].startsWith("-jvmArgsPrepend=")) {
                prepend.add(args[i].substring("-jvmArgsPrepend=".length()));
            } else {
                rest.add(args[i]);
            }
        }
        List<String> all = new ArrayList<>(List.of("-jvmArgsPrepend", String.join(" ", prepend)));
        all.addAll(rest);
        return all.toArray(String[]::new);
    }
}
