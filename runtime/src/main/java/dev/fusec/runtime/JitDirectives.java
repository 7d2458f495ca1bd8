package dev.fusec.runtime;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.management.ObjectName;

/**
 * Makes generated kernels fast in a JVM that was started without {@link JvmOptions} (a program that
 * embeds fusec): before the first kernel loads, the options' steady-state part (inline VectorMath,
 * never inline *Alone, compile kernels in the foreground) is handed to HotSpot as compiler directives
 * through the DiagnosticCommand MBean, as {@code jcmd PID Compiler.directives_add FILE} would, and
 * C1 is kept off the matmul tiles, which stands in for Tier3DelayOn. CompileThresholdScaling (warm-up
 * only) has no directive. Where the directives cannot be added, one line on stderr names the options
 * to start the JVM with. (The directives need no -XX:+UnlockDiagnosticVMOptions, and they match the
 * hidden kernel classes by name like any other class.)
 */
final class JitDirectives {
    private JitDirectives() {}

    /** {@code -Dfusec.jit.directives=false}: never add directives (the warning is printed instead). */
    static final String PROPERTY = "fusec.jit.directives";

    private static final String COMPILE_COMMAND = "-XX:CompileCommand=";

    /** What {@link #apply} found or did. */
    enum Outcome {
        /** The JVM was started with every option: nothing to do. */
        OPTIONS_GIVEN,
        /** HotSpot took the directives. */
        DIRECTIVES_ADDED,
        /** Neither: the warning was printed. */
        WARNED
    }

    /** HotSpot's Compiler.directives_add, behind an interface so that tests can stand in for it. */
    interface Jcmd {
        /** Adds the directives {@code json}; returns the command's output. */
        String directivesAdd(String json) throws Exception;
    }

    /** Applies the directives to this JVM, or warns, once per class loader of fusec's runtime; thread-safe. */
    static Outcome ensureApplied() {
        return Once.OUTCOME;
    }

    /** Class initialisation runs once, and every other thread that asks waits for it. */
    private static final class Once {
        static final Outcome OUTCOME = applyToThisJvm();
    }

    private static Outcome applyToThisJvm() {
        List<String> given;
        try {
            given = ManagementFactory.getRuntimeMXBean().getInputArguments();
        } catch (RuntimeException | LinkageError e) {
            // No java.management: the options cannot be seen (nor directives added; the warning will say why).
            given = List.of();
        }
        boolean enabled = !"false".equals(System.getProperty(PROPERTY));
        return apply(JvmOptions.kernelOptions(), given, enabled, JitDirectives::addThroughMBean, System.err::println);
    }

    /**
     * The decision, with every input given: nothing when {@code inputArguments} hold every option;
     * else the directives, through {@code jcmd}, unless {@code enabled} is false; and where they were
     * not taken, one line to {@code warn}.
     */
    static Outcome apply(List<String> options, List<String> inputArguments, boolean enabled, Jcmd jcmd, Consumer<String> warn) {
        List<String> missing = missing(options, inputArguments);
        if (missing.isEmpty()) {
            return Outcome.OPTIONS_GIVEN;
        }
        String reason;
        if (!enabled) {
            reason = "compiler directives turned off by -D" + PROPERTY + "=false";
        } else {
            try {
                String out = jcmd.directivesAdd(json(options)).strip();
                if (out.matches("\\d+ compiler directives added")) {
                    return Outcome.DIRECTIVES_ADDED;
                }
                reason = "HotSpot did not take fusec's compiler directives: " + out.lines().collect(Collectors.joining(" / "));
            } catch (Exception | LinkageError e) {
                reason = "cannot add compiler directives: " + e;
            }
        }
        warn.accept("fusec: warning: generated kernels may run much slower (" + reason + "); add these JVM options: "
                + String.join(" ", missing));
        return Outcome.WARNED;
    }

    /**
     * The options not among {@code inputArguments}. --add-modules is not asked for: without it
     * nothing of fusec's runtime would have loaded.
     */
    static List<String> missing(List<String> options, List<String> inputArguments) {
        return options.stream().filter(o -> !o.startsWith("--add-modules") && !inputArguments.contains(o)).toList();
    }

    /**
     * The kernel methods C1 never compiles when the JVM lacks -XX:Tier3DelayOn: MatMulKernels' register
     * tiles. C1 can compile one at tier 2 (what HotSpot picks while C2's queue is long), but the profiling
     * tier 3, the only way on to C2, runs out of virtual registers on the large ones; the tile then stays
     * C1 code, its vectors boxed, for good (with the other directives only, K1_matmul.pairTile5 of a small
     * FFN got tier 2 in 4 of 6 JVMs and was still C1 code after 20,000 runs). Kept off C1, a tile is
     * profiled in the interpreter and goes straight to C2 (it did in 5 of 5), as under the option. A new
     * large kernel method needs its name here: LargeKernelMethodsTest lists any that does not match.
     */
    static final List<String> C1_EXCLUDED = List.of("tile*", "ktile*", "rowTile*", "pairTile*");

    /**
     * The compiler directives that stand in for {@code options}: for each method pattern given
     * {@code BackgroundCompilation,false}, a directive carrying that flag and every inline and dontinline
     * command (a directive's inline list rules the calls inside the methods it matches, as a
     * CompileCommand's rules its method wherever it is called; VectorMath is called from kernels only),
     * preceded, where Tier3DelayOn is among the options, by one for {@link #C1_EXCLUDED} with C1 off
     * as well (the first directive that matches a method is the one used). Options with no directive:
     * the module (given at start-up), quiet (output only) and CompileThresholdScaling (warm-up only).
     * An option this does not know is an error, so that a new line in the file is not silently lost.
     */
    static String json(List<String> options) {
        List<String> methods = new ArrayList<>();
        List<String> inline = new ArrayList<>();
        boolean tier3DelayOn = false;
        for (String o : options) {
            if (o.startsWith("--add-modules")) {
                continue;
            }
            if (o.startsWith("-XX:Tier3DelayOn=")) {
                tier3DelayOn = true;
                continue;
            }
            if (!o.startsWith(COMPILE_COMMAND)) {
                throw new IllegalArgumentException("no compiler directive stands in for " + o);
            }
            String[] parts = o.substring(COMPILE_COMMAND.length()).split(",");
            switch (parts[0]) {
                case "quiet", "CompileThresholdScaling" -> { }
                case "BackgroundCompilation" -> {
                    if (parts.length != 3 || !parts[2].equals("false")) {
                        throw new IllegalArgumentException("expected BackgroundCompilation,PATTERN,false, got " + o);
                    }
                    methods.add(pattern(parts[1], o));
                }
                case "inline" -> inline.add("+" + pattern(parts[1], o));
                case "dontinline" -> inline.add("-" + pattern(parts[1], o));
                default -> throw new IllegalArgumentException("no compiler directive stands in for " + o);
            }
        }
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("no BackgroundCompilation,PATTERN,false among the options: no methods to direct");
        }
        String flags = "\"BackgroundCompilation\": false, \"inline\": [" + quoted(inline) + "]}";
        List<String> directives = new ArrayList<>();
        for (String m : methods) {
            if (tier3DelayOn) {
                String holder = m.substring(0, m.lastIndexOf('.') + 1);
                directives.add("{\"match\": [" + quoted(C1_EXCLUDED.stream().map(t -> holder + t).toList()) + "], \"c1\": {\"Exclude\": true}, "
                        + flags);
            }
            directives.add("{\"match\": \"" + m + "\", " + flags);
        }
        return directives.stream().collect(Collectors.joining(",\n ", "[", "]\n"));
    }

    private static String quoted(List<String> strings) {
        return strings.stream().map(p -> "\"" + p + "\"").collect(Collectors.joining(", "));
    }

    /** A CompileCommand method pattern ({@code pkg.Class::method}) as a directive's ({@code pkg/Class.method}). */
    private static String pattern(String compileCommand, String option) {
        int sep = compileCommand.indexOf("::");
        if (sep < 0 || compileCommand.indexOf('"') >= 0) {
            throw new IllegalArgumentException("expected a pattern Class::method in " + option);
        }
        return compileCommand.substring(0, sep).replace('.', '/') + "." + compileCommand.substring(sep + 2);
    }

    /** {@code jcmd PID Compiler.directives_add FILE}, from inside: the command reads a file, so one is written. */
    private static String addThroughMBean(String json) throws Exception {
        Path file = Files.createTempFile("fusec-jit-directives", ".json");
        try {
            Files.writeString(file, json);
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "compilerDirectivesAdd", new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            return String.valueOf(out);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
