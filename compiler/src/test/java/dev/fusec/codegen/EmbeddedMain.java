package dev.fusec.codegen;

import dev.fusec.interp.Interpreter;
import dev.fusec.interp.RandomInputs;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.Executor;
import dev.fusec.runtime.Parallel;
import dev.fusec.runtime.Tensor;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.management.ObjectName;

/**
 * A program that embeds fusec, for {@link EmbeddedJvmTest}, which starts it in a JVM of its own with
 * none of fusec's JIT options: a small FFN, fused, run a few hundred times (or as many as the first
 * argument says) on two threads, every output compared with the interpreter's. Prints one line
 * {@code ok RUNS runs, worst difference D},
 * then whether HotSpot's directive stack has a directive for the kernels' package; exits 1 when an
 * output disagrees.
 */
public final class EmbeddedMain {
    private EmbeddedMain() {}

    static final int RUNS = 300;

    private static final String FFN = """
            graph ffn(x: f32[T, 64], w_gate: f32[64, 160], w_up: f32[64, 160], w_down: f32[160, 64]) -> (y: f32[T, 64]) {
              gate = matmul(x, w_gate)
              up = matmul(x, w_up)
              h = mul(silu(gate), up)
              y = matmul(h, w_down)
              return y
            }
            """;

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : RUNS;
        Graph g = IrParser.parse("ffn.fir", FFN);
        Map<String, Long> dims = Map.of("T", 5L);
        Map<String, Tensor> in = RandomInputs.generate(g, dims, 7, Map.of());
        Map<String, Tensor> want = Interpreter.run(g, in, dims);
        CompiledGraph compiled = CompiledGraph.compile(Pipeline.fuse(g), Species.preferred(), null);
        Executor ex = compiled.executor(dims);
        double worst = 0;
        try (Parallel par = new Parallel(2)) {
            for (int r = 0; r < runs; r++) {
                Map<String, Tensor> got = compiled.run(ex, in, par);
                List<String> problems = Agreement.compare("run " + r, want, got, Agreement.F32);
                if (!problems.isEmpty()) {
                    System.out.println(String.join("\n", problems));
                    System.exit(1);
                }
                worst = Math.max(worst, worstDifference(want.get("y"), got.get("y")));
            }
        }
        System.out.printf(Locale.ROOT, "ok %d runs, worst difference %.3g%n", runs, worst);
        String stack = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "compilerDirectivesPrint", new Object[] {new String[0]}, new String[] {String[].class.getName()});
        System.out.println("kernel directive: " + stack.contains("matching: dev/fusec/runtime/kernels/*.*"));
    }

    private static double worstDifference(Tensor want, Tensor got) {
        double worst = 0;
        for (int i = 0; i < want.size(); i++) {
            worst = Math.max(worst, Math.abs(want.data()[i] - got.data()[i]));
        }
        return worst;
    }
}
