package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.runtime.JitDirectives.Outcome;
import java.util.ArrayList;
import java.util.List;
import javax.management.InstanceNotFoundException;
import org.junit.jupiter.api.Test;

/** The decision (options given / directives added / warning), on given inputs, and the directives' text. */
class JitDirectivesTest {
    private static final List<String> OPTIONS = List.of("--add-modules=jdk.incubator.vector", "-XX:CompileCommand=quiet",
            "-XX:CompileCommand=BackgroundCompilation,dev.fusec.runtime.kernels.*::*,false",
            "-XX:CompileCommand=CompileThresholdScaling,dev.fusec.runtime.kernels.*::*,0.01",
            "-XX:CompileCommand=inline,dev.fusec.runtime.VectorMath::*", "-XX:CompileCommand=dontinline,dev.fusec.runtime.ColdLanes::*",
            "-XX:CompileCommand=dontinline,dev.fusec.runtime.kernels.*::*Alone", "-XX:Tier3DelayOn=100000");
    /** The tiles first (the first directive that matches is the one used), with C1 off, for Tier3DelayOn. */
    private static final String DIRECTIVES = """
            [{"match": ["dev/fusec/runtime/kernels/*.tile*", "dev/fusec/runtime/kernels/*.ktile*", \
            "dev/fusec/runtime/kernels/*.rowTile*", "dev/fusec/runtime/kernels/*.pairTile*"], "c1": {"Exclude": true}, \
            "BackgroundCompilation": false, "inline": ["+dev/fusec/runtime/VectorMath.*", "-dev/fusec/runtime/ColdLanes.*", \
            "-dev/fusec/runtime/kernels/*.*Alone"]},
             {"match": "dev/fusec/runtime/kernels/*.*", "BackgroundCompilation": false, \
            "inline": ["+dev/fusec/runtime/VectorMath.*", "-dev/fusec/runtime/ColdLanes.*", "-dev/fusec/runtime/kernels/*.*Alone"]}]
            """;

    /** A stand-in for HotSpot's Compiler.directives_add: records what it was given, answers {@code reply}. */
    private static final class FakeJcmd implements JitDirectives.Jcmd {
        final List<String> given = new ArrayList<>();
        final String reply;

        FakeJcmd(String reply) {
            this.reply = reply;
        }

        @Override
        public String directivesAdd(String json) {
            given.add(json);
            return reply;
        }
    }

    private final List<String> warnings = new ArrayList<>();

    @Test
    void aJvmStartedWithEveryOptionGetsNoDirectiveAndNoWarning() {
        FakeJcmd jcmd = new FakeJcmd("1 compiler directives added");
        List<String> given = new ArrayList<>(List.of("-Xss8m"));
        given.addAll(OPTIONS);
        assertEquals(Outcome.OPTIONS_GIVEN, JitDirectives.apply(OPTIONS, given, true, jcmd, warnings::add));
        assertEquals(List.of(), jcmd.given);
        assertEquals(List.of(), warnings);
    }

    @Test
    void theModuleOptionNeedNotBeSpelledAsInTheFile() {
        // java reports "--add-modules X" as "--add-modules=X", and a JVM without the module never gets here.
        List<String> given = new ArrayList<>(OPTIONS.subList(1, OPTIONS.size()));
        given.add(0, "--add-modules=jdk.incubator.vector,java.sql");
        assertEquals(Outcome.OPTIONS_GIVEN, JitDirectives.apply(OPTIONS, given, true, new FakeJcmd("?"), warnings::add));
    }

    @Test
    void aPlainJvmGetsTheDirectivesOnceAndNoWarning() {
        FakeJcmd jcmd = new FakeJcmd("1 compiler directives added\n");
        assertEquals(Outcome.DIRECTIVES_ADDED,
                JitDirectives.apply(OPTIONS, List.of("--add-modules=jdk.incubator.vector"), true, jcmd, warnings::add));
        assertEquals(List.of(DIRECTIVES), jcmd.given);
        assertEquals(List.of(), warnings);
    }

    @Test
    void aJvmWithSomeOptionsOnlyGetsTheDirectivesToo() {
        FakeJcmd jcmd = new FakeJcmd("1 compiler directives added");
        List<String> given = OPTIONS.subList(0, OPTIONS.size() - 1);
        assertEquals(Outcome.DIRECTIVES_ADDED, JitDirectives.apply(OPTIONS, given, true, jcmd, warnings::add));
        assertEquals(1, jcmd.given.size());
    }

    @Test
    void directivesHotSpotRefusesGiveOneWarningLineWithItsReasonAndTheMissingOptions() {
        FakeJcmd jcmd = new FakeJcmd("Parsing of compiler directives failed\nCould not load file: /tmp/x.json\n");
        List<String> given = List.of("--add-modules=jdk.incubator.vector", "-XX:CompileCommand=quiet");
        assertEquals(Outcome.WARNED, JitDirectives.apply(OPTIONS, given, true, jcmd, warnings::add));
        assertEquals(List.of("fusec: warning: generated kernels may run much slower (HotSpot did not take fusec's compiler"
                + " directives: Parsing of compiler directives failed / Could not load file: /tmp/x.json); add these JVM options:"
                + " -XX:CompileCommand=BackgroundCompilation,dev.fusec.runtime.kernels.*::*,false"
                + " -XX:CompileCommand=CompileThresholdScaling,dev.fusec.runtime.kernels.*::*,0.01"
                + " -XX:CompileCommand=inline,dev.fusec.runtime.VectorMath::*"
                + " -XX:CompileCommand=dontinline,dev.fusec.runtime.ColdLanes::*"
                + " -XX:CompileCommand=dontinline,dev.fusec.runtime.kernels.*::*Alone -XX:Tier3DelayOn=100000"), warnings);
    }

    @Test
    void aJvmWithoutTheDiagnosticCommandBeanGetsTheWarning() {
        JitDirectives.Jcmd missing = json -> {
            throw new InstanceNotFoundException("com.sun.management:type=DiagnosticCommand");
        };
        assertEquals(Outcome.WARNED, JitDirectives.apply(OPTIONS, List.of(), true, missing, warnings::add));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("(cannot add compiler directives: javax.management.InstanceNotFoundException:"
                + " com.sun.management:type=DiagnosticCommand); add these JVM options: -XX:CompileCommand=quiet "), warnings.get(0));
    }

    @Test
    void aSecurityExceptionOrAMissingModuleGivesTheWarningToo() {
        JitDirectives.Jcmd denied = json -> {
            throw new SecurityException("denied");
        };
        JitDirectives.Jcmd noModule = json -> {
            throw new NoClassDefFoundError("java/lang/management/ManagementFactory");
        };
        assertEquals(Outcome.WARNED, JitDirectives.apply(OPTIONS, List.of(), true, denied, warnings::add));
        assertEquals(Outcome.WARNED, JitDirectives.apply(OPTIONS, List.of(), true, noModule, warnings::add));
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(0).contains("java.lang.SecurityException: denied"), warnings.get(0));
        assertTrue(warnings.get(1).contains("java.lang.NoClassDefFoundError: java/lang/management/ManagementFactory"), warnings.get(1));
    }

    @Test
    void turnedOffByThePropertyTheDirectivesAreNotTriedAndTheWarningSaysSo() {
        FakeJcmd jcmd = new FakeJcmd("1 compiler directives added");
        assertEquals(Outcome.WARNED, JitDirectives.apply(OPTIONS, List.of(), false, jcmd, warnings::add));
        assertEquals(List.of(), jcmd.given);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith("fusec: warning: generated kernels may run much slower (compiler directives turned off"
                + " by -Dfusec.jit.directives=false); add these JVM options: -XX:CompileCommand=quiet "), warnings.get(0));
    }

    @Test
    void theFilesOptionsTranslateToADirectiveForTheKernelsPackageAfterOneForItsTiles() {
        assertEquals(DIRECTIVES, JitDirectives.json(JvmOptions.kernelOptions()));
    }

    @Test
    void withoutTier3DelayOnTheTilesGetNoDirectiveOfTheirOwn() {
        assertEquals("""
                [{"match": "a/B.*", "BackgroundCompilation": false, "inline": ["+a/M.*"]}]
                """, JitDirectives.json(List.of("-XX:CompileCommand=BackgroundCompilation,a.B::*,false", "-XX:CompileCommand=inline,a.M::*")));
    }

    @Test
    void anOptionWithNoDirectiveIsAnErrorNotSilentlyDropped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JitDirectives.json(List.of(
                "-XX:CompileCommand=BackgroundCompilation,a.B::*,false", "-XX:CompileCommand=exclude,a.B::c")));
        assertEquals("no compiler directive stands in for -XX:CompileCommand=exclude,a.B::c", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JitDirectives.json(List.of(
                "-XX:CompileCommand=BackgroundCompilation,a.B::*,false", "-XX:+UseZGC")));
        assertEquals("no compiler directive stands in for -XX:+UseZGC", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JitDirectives.json(List.of("-XX:CompileCommand=inline,a.B::c")));
        assertEquals("no BackgroundCompilation,PATTERN,false among the options: no methods to direct", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JitDirectives.json(List.of("-XX:CompileCommand=inline,a/B.c")));
        assertEquals("expected a pattern Class::method in -XX:CompileCommand=inline,a/B.c", e.getMessage());
    }
}
