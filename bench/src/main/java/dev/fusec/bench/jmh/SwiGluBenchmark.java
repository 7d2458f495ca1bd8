package dev.fusec.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the elementwise SwiGLU family on [T, 22016] activations, fused (one pass) vs unfused (split,
 * silu, mul, ...). T = 2048 puts 180 MB of input past any last-level cache; T = 64 stays inside it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// The kernels' JVM options come from jvm-options.txt, put in front by this jar's Main; the module is
// named here too, so that a fork started by JMH's own Main still loads the kernels.
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseTransparentHugePages"})
public class SwiGluBenchmark {
    @Param({"swiglu", "bias_swiglu", "weighted_swiglu"})
    public String graph;

    @Param({"64", "2048"})
    public long tokens;

    @Param({"fused", "unfused", "ort"})
    public String mode;

    @Param({"1", "2"})
    public int threads;

    private GraphRun run;

    @Setup(Level.Trial)
    public void setUp() {
        run = new GraphRun(graph, tokens, mode, threads);
    }

    @Benchmark
    public void run() {
        run.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        run.close();
    }
}
