package example;

import dev.fusec.api.CompileOptions;
import dev.fusec.api.CompiledModel;
import dev.fusec.api.FusecException;
import dev.fusec.api.FusecGraph;
import dev.fusec.api.Fusion;
import dev.fusec.api.Mode;
import dev.fusec.api.Outputs;
import dev.fusec.api.Tensor;
import dev.fusec.api.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A program that embeds fusec, using nothing but {@code dev.fusec.api}: it builds a SwiGLU FFN block
 * (or reads one from a .fir file), prints what fusion did, compiles the fused graph, binds the weights
 * once, checks a run against the reference interpreter, runs it from several threads at once, and
 * times it.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp CLASSPATH example.EmbeddedFfn [FILE.fir] [--dim T=N] [--runs N]
 *     [--threads N] [--no-check]
 * </pre>
 *
 * Exit status 0 when the fused results agree with the interpreter, 1 when they do not or the input is bad.
 */
public final class EmbeddedFfn {
    /** Fused against interpreter: worst difference over the output's largest magnitude. */
    static final double TOLERANCE = 1e-4;

    private EmbeddedFfn() {}

    public static void main(String[] args) throws Exception {
        Path file = null;
        Map<String, Long> dims = new HashMap<>(Map.of("T", 4L));
        int runs = 20;
        int threads = Runtime.getRuntime().availableProcessors();
        boolean check = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dim" -> {
                    String[] kv = args[++i].split("=", 2);
                    dims.put(kv[0], Long.parseLong(kv[1]));
                }
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--no-check" -> check = false;
                default -> file = Path.of(args[i]);
            }
        }
        try {
            System.exit(run(file == null ? smallFfn() : FusecGraph.parse(file), dims, runs, threads, check) ? 0 : 1);
        } catch (FusecException bad) {
            System.err.println(bad.render());
            System.exit(1);
        }
    }

    /** A Llama-style FFN at toy size (hidden 64, intermediate 176), built statement by statement. */
    static FusecGraph smallFfn() {
        return FusecGraph.builder("small_ffn")
                .input("x", "f32[T, 64]")
                .input("w_gate", "f32[64, 176]")
                .input("w_up", "f32[64, 176]")
                .input("w_down", "f32[176, 64]")
                .output("y", "f32[T, 64]")
                .op("gate", "matmul", "x", "w_gate")
                .op("up", "matmul", "x", "w_up")
                .let("h = mul(silu(gate), up)")
                .op("y", "matmul", "h", "w_down")
                .build();
    }

    static boolean run(FusecGraph graph, Map<String, Long> dims, int runs, int threads, boolean check) throws Exception {
        Fusion fusion = graph.fuse();
        fusion.explanation().forEach(System.out::println);

        // Seeded random values for every input; those with only fixed dims are the weights.
        Map<String, Tensor> all = graph.randomInputs(42, dims, Map.of());
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, Tensor> activations = new LinkedHashMap<>();
        for (TensorSpec in : graph.inputs()) {
            boolean fixed = in.dims().stream().allMatch(d -> d.chars().allMatch(Character::isDigit));
            (fixed ? weights : activations).put(in.name(), all.get(in.name()));
        }

        CompileOptions options = CompileOptions.defaults().withThreads(threads);
        try (CompiledModel fused = graph.compile(Mode.FUSED, options).withWeights(weights)) {
            CompiledModel.KernelInfo k = fused.kernels();
            System.out.printf(Locale.ROOT, "compiled %d kernel(s) %s in %.0f ms%n", k.count(),
                    k.fromCache() ? "from the cache" : "with javac", k.compileMillis() + k.loadMillis());
            Outputs first = fused.run(activations, dims);
            boolean ok = true;
            if (check) {
                try (CompiledModel reference = graph.compile(Mode.INTERP).withWeights(weights)) {
                    ok = agree(reference.run(activations, dims), first);
                }
            }
            ok &= concurrentRunsAgree(fused, activations, dims, first);
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                ms[i] = fused.run(activations, dims).millis();
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "fused %s at %s: median %.3f ms, min %.3f ms over %d runs on %d thread(s)%n",
                    graph.name(), dims, ms[runs / 2], ms[0], runs, threads);
            return ok;
        }
    }

    /** Every output of {@code got} within {@link #TOLERANCE} of the reference's. */
    private static boolean agree(Outputs want, Outputs got) {
        boolean ok = true;
        for (var e : want.asMap().entrySet()) {
            float[] w = e.getValue().data();
            float[] g = got.get(e.getKey()).data();
            double worst = 0;
            double scale = 1e-30;
            for (int i = 0; i < w.length; i++) {
                worst = Math.max(worst, Math.abs(w[i] - g[i]));
                scale = Math.max(scale, Math.abs(w[i]));
            }
            boolean fine = worst / scale <= TOLERANCE;
            System.out.printf(Locale.ROOT, "%s: fused vs interpreter, worst difference %.3g of max |value| %.3g: %s%n",
                    e.getKey(), worst, scale, fine ? "ok" : "TOO LARGE");
            ok &= fine;
        }
        return ok;
    }

    /** Four threads share the model; each run's results must equal the single-threaded ones bit for bit. */
    private static boolean concurrentRunsAgree(CompiledModel model, Map<String, Tensor> activations, Map<String, Long> dims,
                                               Outputs expected) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Outputs>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> model.run(activations, dims)));
            }
            for (Future<Outputs> f : results) {
                for (var e : expected.asMap().entrySet()) {
                    if (!Arrays.equals(e.getValue().data(), f.get().get(e.getKey()).data())) {
                        System.out.println("concurrent runs: output " + e.getKey() + " differs");
                        return false;
                    }
                }
            }
            System.out.println("concurrent runs: 8 runs on 4 threads, identical results");
            return true;
        } finally {
            pool.shutdown();
        }
    }
}
