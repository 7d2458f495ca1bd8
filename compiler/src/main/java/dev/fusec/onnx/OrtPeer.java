package dev.fusec.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Param;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ONNX Runtime (CPU) as a benchmark peer: one session over a model {@link OnnxExporter} wrote, in its
 * best configuration for a fair comparison (all graph optimisations, a fixed intra-op thread count,
 * no spinning threads that would steal cores from whatever runs next). Never used by {@code fusec run}.
 *
 * <p>Inputs are float32 tensors; an input passed again as the same array (same shape) reuses the
 * OnnxTensor made the first time, so a timing loop measures the session run and not the copy into
 * native memory. That tensor holds the values the array had then: pass a new array for new values.
 *
 * <p>{@link #run} returns fresh arrays. {@link #runBound} is for timing loops, as ORT's own IO
 * binding is: its outputs are tensors allocated once in native memory and written in place, so a
 * run allocates nothing. Reading results through {@code getFloatBuffer} allocates a direct buffer
 * per output per run, and the JVM frees those only in a full collection: with a few GB of weights
 * on the heap that added over 100 ms to every 20 MB output.
 */
public final class OrtPeer implements AutoCloseable {
    static {
        // Before OrtEnvironment initialises: ORT then loads its libraries from fusec's cache (see OrtLibraries).
        OrtLibraries.useCache(KernelCache.defaultDir());
    }

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final Optional<Path> optimizedModel;
    private final Map<String, CachedInput> inputs = new HashMap<>();

    private record CachedInput(float[] array, int[] shape, OnnxTensor tensor) {}

    /** The bound outputs of {@link #runBound}, by name, and the shapes they were made for. */
    private final Map<String, OnnxTensor> bound = new LinkedHashMap<>();
    private final Map<String, FloatBuffer> boundData = new LinkedHashMap<>();
    private final Map<String, int[]> boundShapes = new LinkedHashMap<>();
    /**
     * Outputs that are inputs of the graph, fed or baked in ({@link #constants}): ORT hands such an
     * output back as the input itself and never writes it into a bound buffer, so they are not bound
     * but read from the input (the bound buffer stayed zero: a max relative difference of 1.0).
     */
    private final Map<String, int[]> passedThrough = new LinkedHashMap<>();
    /** The inputs baked into the model as initializers, by name. */
    private Map<String, Tensor> constants = Map.of();
    private Map<String, Tensor> lastFed = Map.of();

    /** A session over {@code model} with {@code threads} intra-op threads. */
    public OrtPeer(byte[] model, int threads) {
        this(model, threads, null);
    }

    /**
     * A session over {@code model}; when {@code optimizedModelPath} is given, ORT writes the model it
     * actually runs there (after its fusions) as .onnx, which {@link #optimizedOpTypes()} reads. That
     * file may hold layouts specific to this machine's CPU (NCHWc): it is for inspection, not for shipping.
     */
    public OrtPeer(byte[] model, int threads, Path optimizedModelPath) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.optimizedModel = Optional.ofNullable(optimizedModelPath);
        try (SessionOptions opts = new SessionOptions()) {
            opts.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.addConfigEntry("session.intra_op.allow_spinning", "0");
            opts.addConfigEntry("session.inter_op.allow_spinning", "0");
            // Errors only: saving the optimised model otherwise warns on stderr, on every session, that it
            // may hold layouts specific to this CPU (true, and said in the constructor's documentation).
            opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            if (optimizedModelPath != null) {
                opts.setOptimizedModelFilePath(optimizedModelPath.toString());
            }
            this.session = env.createSession(model, opts);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime refused the model: " + e.getMessage(), e);
        }
    }

    /** A session over a graph, and the inputs each of its runs feeds (the rest are baked in). */
    public record OnGraph(OrtPeer peer, Map<String, Tensor> fed) {}

    /**
     * ORT on {@code g} as a benchmark peer: the weights among {@code inputs} (every dim static, see
     * {@link OnnxExporter#isWeight}) baked in as initializers, so ORT pre-packs them; the other
     * inputs are fed on every run. {@code optimizedModelPath} as in the constructor, or null.
     *
     * @throws dev.fusec.ir.CompileError when ONNX cannot express {@code g}
     */
    public static OnGraph onGraph(Graph g, Map<String, Tensor> inputs, int threads, Path optimizedModelPath) {
        Map<String, Tensor> weights = new HashMap<>();
        Map<String, Tensor> fed = new LinkedHashMap<>();
        for (Param p : g.inputs()) {
            (OnnxExporter.isWeight(p) ? weights : fed).put(p.name(), inputs.get(p.name()));
        }
        OrtPeer peer = new OrtPeer(OnnxExporter.export(g, weights), threads, optimizedModelPath);
        peer.constants = Map.copyOf(weights);
        return new OnGraph(peer, fed);
    }

    /** Runs the model; every graph input must be given. Outputs by name, in the model's order. */
    public Map<String, Tensor> run(Map<String, Tensor> in) {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : in.entrySet()) {
                feed.put(e.getKey(), tensorFor(e.getKey(), e.getValue()));
            }
            try (OrtSession.Result result = session.run(feed)) {
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    long[] dims = ((TensorInfo) t.getInfo()).getShape();
                    int[] shape = Arrays.stream(dims).mapToInt(Math::toIntExact).toArray();
                    FloatBuffer fb = t.getFloatBuffer();
                    float[] data = new float[fb.remaining()];
                    fb.get(data);
                    out.put(e.getKey(), new Tensor(shape, data));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime run failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the model writing into outputs bound once (the first call runs plainly to learn their
     * shapes); read them with {@link #boundOutputs}. Inputs must keep the shapes of the first call.
     */
    public void runBound(Map<String, Tensor> in) {
        if (bound.isEmpty() && passedThrough.isEmpty()) {
            for (Map.Entry<String, Tensor> e : run(in).entrySet()) {
                int[] shape = e.getValue().shape();
                if (in.containsKey(e.getKey()) || constants.containsKey(e.getKey())) {
                    passedThrough.put(e.getKey(), shape);
                    continue;
                }
                long[] dims = Arrays.stream(shape).asLongStream().toArray();
                // Direct and in native order, so ORT writes into it rather than into a copy.
                FloatBuffer data = ByteBuffer.allocateDirect(4 * e.getValue().size()).order(ByteOrder.nativeOrder()).asFloatBuffer();
                try {
                    bound.put(e.getKey(), OnnxTensor.createTensor(env, data, dims));
                } catch (OrtException ex) {
                    throw new IllegalStateException("ONNX Runtime refused an output tensor: " + ex.getMessage(), ex);
                }
                boundData.put(e.getKey(), data);
                boundShapes.put(e.getKey(), shape);
            }
        }
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : in.entrySet()) {
                feed.put(e.getKey(), tensorFor(e.getKey(), e.getValue()));
            }
            if (!bound.isEmpty()) {
                session.run(feed, bound).close();
            }
            lastFed = in;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime run failed: " + e.getMessage(), e);
        }
    }

    /** Copies of the outputs {@link #runBound} last wrote. */
    public Map<String, Tensor> boundOutputs() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : outputNames()) {
            FloatBuffer fb = boundData.get(name);
            if (fb != null) {
                float[] data = new float[fb.capacity()];
                fb.get(0, data);
                out.put(name, new Tensor(boundShapes.get(name), data));
            } else if (passedThrough.containsKey(name)) {
                Tensor src = lastFed.containsKey(name) ? lastFed.get(name) : constants.get(name);
                out.put(name, new Tensor(passedThrough.get(name), src.data().clone()));
            }
        }
        return out;
    }

    private List<String> outputNames() {
        return List.copyOf(session.getOutputNames());
    }

    private OnnxTensor tensorFor(String name, Tensor t) throws OrtException {
        CachedInput c = inputs.get(name);
        if (c != null && c.array() == t.data() && Arrays.equals(c.shape(), t.shape())) {
            return c.tensor();
        }
        long[] dims = Arrays.stream(t.shape()).asLongStream().toArray();
        OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), dims);
        if (c != null) {
            c.tensor().close();
        }
        inputs.put(name, new CachedInput(t.data(), t.shape(), tensor));
        return tensor;
    }

    /**
     * The distinct op types of the model ORT runs after its optimisations, in node order (a fused op of
     * the com.microsoft domain shows as e.g. {@code FusedMatMul}); needs an optimised-model path.
     */
    public List<String> optimizedOpTypes() {
        Path p = optimizedModel.orElseThrow(() -> new IllegalStateException(
                "no optimised model path was given to this OrtPeer"));
        try {
            return List.copyOf(new LinkedHashSet<>(OnnxOpTypes.of(Files.readAllBytes(p))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        inputs.values().forEach(c -> c.tensor().close());
        inputs.clear();
        bound.values().forEach(OnnxTensor::close);
        bound.clear();
        boundData.clear();
        passedThrough.clear();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to close the session: " + e.getMessage(), e);
        }
    }
}
