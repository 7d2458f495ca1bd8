package dev.fusec.frontend.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.SourcePos;
import dev.fusec.ir.TensorType;
import dev.fusec.ir.WeightRef;
import dev.fusec.onnx.proto.Onnx;
import dev.fusec.parse.IrParser;
import dev.fusec.runtime.BoundedInput;
import dev.fusec.runtime.Json;
import dev.fusec.runtime.SafeTensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model (an exported MLP or FFN subgraph) becomes a fusec graph and a safetensors file of its
 * initializers, each bound by its ONNX name ({@code = weight("gate_proj.weight")}).
 *
 * <ol>
 *   <li>The model is read with the classes protoc generates from onnx.proto; initializers come from
 *       raw data, the typed fields, or external data files beside the model (a relative path inside
 *       the model's folder, mapped, bounds checked).</li>
 *   <li>Nodes are translated in order: MatMul, Gemm, Add, Mul, Sigmoid, Split, Slice (halves, and
 *       step 2 for interleaved gate/up), Concat, Reshape, Transpose, Clip. An op outside these is one
 *       error naming the node and its type. The three ways exporters write a linear layer all become
 *       one matmul on the weight as stored: Gemm(transB=1) and Transpose-then-MatMul read [out, in]
 *       ({@code linear} or {@code transpose_b=true}, the Transpose folded away), MatMul on a
 *       pre-transposed [in, out] initializer reads it as it is.</li>
 *   <li>Scalar initializers (the 1.702 and 1 of gpt-oss, Clip's bounds) become {@code const} values or
 *       attributes, int64 ones (shapes, axes, split sizes) attributes; the rest are weights.</li>
 *   <li>Value names are made identifiers; the graph is parsed and type-checked like any other file.</li>
 * </ol>
 */
public final class OnnxImport {
    private OnnxImport() {}

    /** Most bytes of a model file (protobuf's own limit for one message is 2 GiB). */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;
    /** The ops imported; the message for any other names them. */
    public static final List<String> OPS = List.of("MatMul", "Gemm", "Add", "Mul", "Sigmoid", "Split", "Slice", "Concat", "Reshape",
            "Transpose", "Clip");

    /** The imported graph (IR text), its weights to write as safetensors, and what it came from. */
    public record Result(String graphName, String ir, List<SafeTensors.Item> weights, int nodes, long weightBytes) {}

    /** Reads {@code model}; {@code weightsFile} is the name the header comment tells to pass as --weights. */
    public static Result read(Path model, String weightsFile) {
        SourcePos at = SourcePos.startOf(model.toString());
        byte[] bytes;
        try {
            bytes = BoundedInput.readAll(model, MAX_BYTES, "an ONNX model");
        } catch (NoSuchFileException e) {
            throw new CompileError(at, "no such file");
        } catch (IOException e) {
            throw new CompileError(at, "cannot read: " + e.getMessage());
        }
        return read(model, bytes, weightsFile);
    }

    /** Translates {@code bytes}, the model at {@code model} (its folder holds any external data); the fuzzer's entry point. */
    public static Result read(Path model, byte[] bytes, String weightsFile) {
        SourcePos at = SourcePos.startOf(model.toString());
        Onnx.ModelProto m;
        try {
            m = Onnx.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new CompileError(at, "not an ONNX model: " + oneLine(e.getMessage()));
        }
        // External data stays mapped until the weights are written (the GC unmaps it afterwards).
        try {
            return new Translation(model, m, Arena.ofAuto()).run(weightsFile);
        } catch (ArithmeticException overflow) {
            throw new CompileError(at, "a size or offset in the model overflows 64 bits");
        }
    }

    /** One model being translated. */
    private static final class Translation {
        final Path model;
        final Onnx.ModelProto m;
        final Onnx.GraphProto g;
        final Arena arena;
        final SourcePos at;
        final Map<String, Onnx.TensorProto> initializers = new LinkedHashMap<>();
        /** ONNX value name -> IR identifier. */
        final Map<String, String> names = new HashMap<>();
        final Set<String> taken = new HashSet<>();
        final List<String> params = new ArrayList<>();
        final List<String> lines = new ArrayList<>();
        final List<SafeTensors.Item> weights = new ArrayList<>();
        long weightBytes;
        /** Transposes of [out, in] initializers folded into the matmuls that read them. */
        final Map<String, String> transposedWeights = new HashMap<>();
        /** Per (value, axis): the IR names of its interleaved or halved parts, made once. */
        final Map<String, String[]> parts = new HashMap<>();
        final Map<String, String> consts = new HashMap<>();
        String dtype = "f32";
        int temp;

        Translation(Path model, Onnx.ModelProto m, Arena arena) {
            this.model = model;
            this.m = m;
            this.g = m.getGraph();
            this.arena = arena;
            this.at = SourcePos.startOf(model.toString());
        }

        CompileError error(String message) {
            return new CompileError(at, message);
        }

        Result run(String weightsFile) {
            for (Onnx.OperatorSetIdProto o : m.getOpsetImportList()) {
                if ((o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) && o.getVersion() < 11) {
                    throw error("opset " + o.getVersion() + " is older than 11, the oldest fusec imports");
                }
            }
            for (Onnx.TensorProto t : g.getInitializerList()) {
                initializers.put(t.getName(), t);
            }
            String first = null;
            for (Onnx.ValueInfoProto v : g.getInputList()) {
                if (initializers.containsKey(v.getName())) {
                    continue; // older exporters list initializers as inputs too
                }
                String id = name(v.getName());
                params.add(id + ": " + type(v));
                first = first == null ? id : first;
            }
            if (first == null) {
                throw error("the graph has no input that is not an initializer");
            }
            Map<String, Integer> uses = new HashMap<>();
            g.getNodeList().forEach(n -> n.getInputList().forEach(i -> uses.merge(i, 1, Integer::sum)));
            for (Onnx.NodeProto n : g.getNodeList()) {
                node(n, uses);
            }
            List<String> outputs = new ArrayList<>();
            List<String> returned = new ArrayList<>();
            Map<String, TensorType> types = types();
            for (Onnx.ValueInfoProto v : g.getOutputList()) {
                String id = names.get(v.getName());
                if (id == null) {
                    throw error("graph output " + Json.quote(v.getName()) + " is not computed by any node fusec imported");
                }
                outputs.add(id + ": " + types.get(id));
                returned.add(id);
            }
            String graphName = identifier(g.getName().isEmpty() ? "onnx_model" : g.getName());
            StringBuilder ir = new StringBuilder("# Imported by fusec import from " + oneLine(model.toString()) + " (" + g.getNodeCount()
                    + " nodes, opset " + opset() + ", producer " + oneLine(m.getProducerName() + " " + m.getProducerVersion()).strip()
                    + "); weights by their ONNX names,\n# written to " + oneLine(weightsFile) + ": fusec run THIS.fir --weights "
                    + oneLine(weightsFile) + " --dim T=1\n");
            ir.append("graph ").append(graphName).append("(\n");
            params.forEach(p -> ir.append("    ").append(p).append(",\n"));
            ir.append(") -> (").append(String.join(", ", outputs)).append(") {\n");
            lines.forEach(l -> ir.append("  ").append(l).append('\n'));
            ir.append("  return ").append(String.join(", ", returned)).append("\n}\n");
            Graph parsed = checked(() -> {
                Graph p = IrParser.parse("imported.fir", ir.toString());
                ShapeInference.infer(p);
                return p;
            });
            return new Result(parsed.name(), ir.toString(), weights, g.getNodeCount(), weightBytes);
        }

        long opset() {
            return m.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                    .mapToLong(Onnx.OperatorSetIdProto::getVersion).findFirst().orElse(0);
        }

        /** The types of every value so far: the graph drafted with its first input as output. */
        Map<String, TensorType> types() {
            String first = params.get(0).substring(0, params.get(0).indexOf(':'));
            String draft = "graph draft(" + String.join(", ", params) + ") -> (" + params.get(0).replaceAll(" = weight\\(.*\\)$", "") + ") {\n"
                    + String.join("\n", lines) + "\nreturn " + first + "\n}\n";
            return checked(() -> ShapeInference.infer(IrParser.parse("draft.fir", draft)));
        }

        /**
         * The graph made so far, parsed and typed: a model whose nodes do not fit together (shapes that
         * do not broadcast, a split of a symbolic dim) is an error of the model, placed at its file.
         */
        <T> T checked(java.util.function.Supplier<T> body) {
            try {
                return body.get();
            } catch (CompileError e) {
                throw error("the model's nodes do not type-check as a fusec graph: " + e.getMessage());
            }
        }

        TensorType typeOf(String onnxName) {
            return types().get(operand(onnxName));
        }

        String type(Onnx.ValueInfoProto v) {
            if (!v.getType().hasTensorType()) {
                throw error("input " + Json.quote(v.getName()) + " is not a tensor");
            }
            Onnx.TypeProto.Tensor t = v.getType().getTensorType();
            String dt = dtype(t.getElemType(), "input " + Json.quote(v.getName()));
            dtype = dt;
            List<String> dims = new ArrayList<>();
            for (Onnx.TensorShapeProto.Dimension d : t.getShape().getDimList()) {
                if (d.hasDimValue() && d.getDimValue() > 0) {
                    dims.add(Long.toString(d.getDimValue()));
                } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                    dims.add(identifier(d.getDimParam()));
                } else {
                    throw error("input " + Json.quote(v.getName()) + " has a dim with neither a positive size nor a name");
                }
            }
            return dt + "[" + String.join(", ", dims) + "]";
        }

        String dtype(int elem, String what) {
            return switch (elem) {
                case Onnx.TensorProto.DataType.FLOAT_VALUE -> "f32";
                case Onnx.TensorProto.DataType.BFLOAT16_VALUE -> "bf16";
                case Onnx.TensorProto.DataType.FLOAT16_VALUE -> "f16";
                default -> throw error(what + " has element type " + elemName(elem) + "; fusec imports FLOAT, FLOAT16 and BFLOAT16 tensors");
            };
        }

        static String elemName(int elem) {
            Onnx.TensorProto.DataType d = Onnx.TensorProto.DataType.forNumber(elem);
            return d == null ? Integer.toString(elem) : d.name();
        }

        /** An IR identifier for an ONNX name, unique. */
        String name(String onnx) {
            String id = names.get(onnx);
            if (id != null) {
                return id;
            }
            String base = identifier(onnx);
            id = base;
            for (int k = 1; !taken.add(id); k++) {
                id = base + "_" + k;
            }
            names.put(onnx, id);
            return id;
        }

        String fresh(String base) {
            String id = base;
            for (int k = 1; !taken.add(id); k++) {
                id = base + "_" + k;
            }
            return id;
        }

        /**
         * The IR value for a node input: a value computed so far, a scalar initializer as a const, or
         * an initializer as a weight input (declared at its first use).
         */
        String operand(String onnx) {
            String known = names.get(onnx);
            if (known != null) {
                return known;
            }
            Onnx.TensorProto t = initializers.get(onnx);
            if (t == null) {
                throw error("value " + Json.quote(onnx) + " is used before any node computes it");
            }
            if (t.getDimsCount() == 0 || (t.getDimsCount() == 1 && t.getDims(0) == 1)) {
                float[] v = floats(t);
                String c = consts.computeIfAbsent(onnx + "|" + v[0], k -> {
                    String id = fresh("c_" + identifier(onnx));
                    lines.add(id + " = const(value=" + Float.toString(v[0]) + (dtype.equals("f32") ? "" : ", dtype=" + dtype) + ")");
                    return id;
                });
                return c;
            }
            return weight(onnx, t);
        }

        String weight(String onnx, Onnx.TensorProto t) {
            String dt = dtype(t.getDataType(), "initializer " + Json.quote(onnx));
            String id = name(onnx);
            String key = WeightRef.problem(onnx).isEmpty() && !onnx.contains("{") && !onnx.endsWith("]") ? onnx : id;
            List<String> dims = new ArrayList<>();
            long[] shape = new long[t.getDimsCount()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.getDims(i);
                dims.add(Long.toString(t.getDims(i)));
            }
            params.add(id + ": " + dt + "[" + String.join(", ", dims) + "] = weight(\"" + key + "\")");
            SafeTensors.DType st = switch (dt) {
                case "f32" -> SafeTensors.DType.F32;
                case "bf16" -> SafeTensors.DType.BF16;
                default -> SafeTensors.DType.F16;
            };
            MemorySegment data = data(onnx, t, st.bytes(), shape);
            weights.add(new SafeTensors.Item(key, st, shape, out -> {
                byte[] chunk = new byte[1 << 16];
                for (long off = 0; off < data.byteSize(); off += chunk.length) {
                    int n = (int) Math.min(chunk.length, data.byteSize() - off);
                    MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            }));
            weightBytes += data.byteSize();
            return id;
        }

        /** An initializer's little-endian bytes: raw data, a typed field, or an external file's range. */
        MemorySegment data(String onnx, Onnx.TensorProto t, int width, long[] shape) {
            long count = 1;
            for (long s : shape) {
                if (s < 0) {
                    throw error("initializer " + Json.quote(onnx) + " has a negative extent");
                }
                count = Math.multiplyExact(count, s);
            }
            long bytes = Math.multiplyExact(count, width);
            if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
                return external(onnx, t, bytes);
            }
            if (t.hasRawData()) {
                ByteString raw = t.getRawData();
                if (raw.size() != bytes) {
                    throw error("initializer " + Json.quote(onnx) + " has " + raw.size() + " bytes of raw data; its shape needs " + bytes);
                }
                return MemorySegment.ofArray(raw.toByteArray());
            }
            ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (width == 4 && t.getFloatDataCount() == count) {
                t.getFloatDataList().forEach(b::putFloat);
            } else if (width == 2 && t.getInt32DataCount() == count) {
                t.getInt32DataList().forEach(v -> b.putShort((short) (int) v));
            } else {
                throw error("initializer " + Json.quote(onnx) + " holds " + Math.max(t.getFloatDataCount(), t.getInt32DataCount())
                        + " values; its shape needs " + count);
            }
            return MemorySegment.ofArray(b.array());
        }

        /** External data: {@code location} a relative path in the model's folder, {@code offset} and {@code length} inside the file. */
        MemorySegment external(String onnx, Onnx.TensorProto t, long bytes) {
            String location = null;
            long offset = 0;
            long length = -1;
            for (Onnx.StringStringEntryProto e : t.getExternalDataList()) {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = number(onnx, e);
                    case "length" -> length = number(onnx, e);
                    default -> { }
                }
            }
            if (location == null) {
                throw error("initializer " + Json.quote(onnx) + " is external but names no location");
            }
            Path dir = model.toAbsolutePath().getParent();
            Path file = null;
            if (location.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
                try {
                    file = Path.of(location).isAbsolute() ? null : dir.resolve(location).normalize();
                } catch (java.nio.file.InvalidPathException bad) {
                    file = null;
                }
            }
            if (file == null || !file.startsWith(dir)) {
                throw error("initializer " + Json.quote(onnx) + ": external data " + Json.quote(location)
                        + " is not a relative path inside the model's folder");
            }
            if (length >= 0 && length != bytes) {
                throw error("initializer " + Json.quote(onnx) + ": external data of " + length + " bytes; its shape needs " + bytes);
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                if (Math.addExact(offset, bytes) > ch.size()) {
                    throw error("initializer " + Json.quote(onnx) + ": bytes " + offset + " to " + (offset + bytes) + " of "
                            + Json.quote(location) + ", which has " + ch.size());
                }
                return bytes == 0 ? MemorySegment.ofArray(new byte[0]) : ch.map(FileChannel.MapMode.READ_ONLY, offset, bytes, arena);
            } catch (NoSuchFileException e) {
                throw error("initializer " + Json.quote(onnx) + ": external data file " + Json.quote(location) + " is missing");
            } catch (IOException e) {
                throw error("initializer " + Json.quote(onnx) + ": cannot read external data " + Json.quote(location) + ": " + e.getMessage());
            }
        }

        long number(String onnx, Onnx.StringStringEntryProto e) {
            if (!e.getValue().matches("[0-9]{1,18}")) {
                throw error("initializer " + Json.quote(onnx) + ": external data " + e.getKey() + " " + Json.quote(e.getValue())
                        + " is not a whole number");
            }
            return Long.parseLong(e.getValue());
        }

        /** A scalar or small float initializer's values. */
        float[] floats(Onnx.TensorProto t) {
            long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
            String dt = dtype(t.getDataType(), "initializer " + Json.quote(t.getName()));
            MemorySegment d = data(t.getName(), t, dt.equals("f32") ? 4 : 2, shape);
            float[] out = new float[(int) (d.byteSize() / (dt.equals("f32") ? 4 : 2))];
            for (int i = 0; i < out.length; i++) {
                short bits = dt.equals("f32") ? 0 : d.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i);
                out[i] = switch (dt) {
                    case "f32" -> d.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
                    case "bf16" -> Float.intBitsToFloat((bits & 0xffff) << 16);
                    default -> Float.float16ToFloat(bits);
                };
            }
            return out;
        }

        /** An int64 initializer's values (shapes, axes, split sizes, slice bounds). */
        long[] ints(Onnx.NodeProto n, String onnx, String what) {
            Onnx.TensorProto t = initializers.get(onnx);
            if (t == null || t.getDataType() != Onnx.TensorProto.DataType.INT64_VALUE) {
                throw error(node(n) + ": " + what + " must be an int64 initializer");
            }
            long count = 1;
            for (long d : t.getDimsList()) {
                if (d < 0) {
                    throw error(node(n) + ": " + what + " has a negative extent");
                }
                count = Math.multiplyExact(count, d);
            }
            if (count > 64) {
                throw error(node(n) + ": " + what + " has " + count + " values, more than 64");
            }
            long[] out = new long[(int) count];
            if (t.hasRawData() || t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
                MemorySegment d = data(onnx, t, 8, t.getDimsList().stream().mapToLong(Long::longValue).toArray());
                for (int i = 0; i < count; i++) {
                    out[i] = d.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i);
                }
            } else if (t.getInt64DataCount() == count) {
                for (int i = 0; i < count; i++) {
                    out[i] = t.getInt64Data(i);
                }
            } else {
                throw error(node(n) + ": " + what + " holds " + t.getInt64DataCount() + " values; its shape needs " + count);
            }
            return out;
        }

        static String node(Onnx.NodeProto n) {
            String name = n.getName().isEmpty() ? (n.getOutputCount() > 0 ? n.getOutput(0) : "?") : n.getName();
            return "node " + Json.quote(name) + " (" + Json.quote(n.getOpType()).replace("'", "") + ")";
        }

        Onnx.AttributeProto attr(Onnx.NodeProto n, String key) {
            for (Onnx.AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals(key)) {
                    return a;
                }
            }
            return null;
        }

        long intAttr(Onnx.NodeProto n, String key, long dflt) {
            Onnx.AttributeProto a = attr(n, key);
            return a == null ? dflt : a.getI();
        }

        float floatAttr(Onnx.NodeProto n, String key, float dflt) {
            Onnx.AttributeProto a = attr(n, key);
            return a == null ? dflt : a.getF();
        }

        String input(Onnx.NodeProto n, int i) {
            return i < n.getInputCount() ? n.getInput(i) : "";
        }

        void define(Onnx.NodeProto n, String expr) {
            if (n.getOutputCount() != 1) {
                throw error(node(n) + ": expected one output, has " + n.getOutputCount());
            }
            lines.add(name(n.getOutput(0)) + " = " + expr);
        }

        void node(Onnx.NodeProto n, Map<String, Integer> uses) {
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
                throw error(node(n) + " is of domain " + Json.quote(n.getDomain()) + "; fusec imports the standard ops ("
                        + String.join(", ", OPS) + ")");
            }
            switch (n.getOpType()) {
                case "MatMul" -> define(n, "matmul(" + operand(input(n, 0)) + ", " + matmulB(input(n, 1)) + ")");
                case "Gemm" -> gemm(n);
                case "Add" -> define(n, "add(" + operand(input(n, 0)) + ", " + operand(input(n, 1)) + ")");
                case "Mul" -> define(n, "mul(" + operand(input(n, 0)) + ", " + operand(input(n, 1)) + ")");
                case "Sigmoid" -> define(n, "sigmoid(" + operand(input(n, 0)) + ")");
                case "Split" -> split(n);
                case "Slice" -> slice(n);
                case "Concat" -> {
                    List<String> in = new ArrayList<>();
                    n.getInputList().forEach(i -> in.add(operand(i)));
                    define(n, "concat(" + String.join(", ", in) + ", axis=" + intAttr(n, "axis", 0) + ")");
                }
                case "Reshape" -> reshape(n);
                case "Transpose" -> transpose(n, uses);
                case "Clip" -> clip(n);
                default -> throw error(node(n) + " is not an op fusec imports (" + String.join(", ", OPS) + ")");
            }
        }

        /** MatMul's B: a folded Transpose of an [out, in] weight reads it as stored, with transpose_b. */
        String matmulB(String onnx) {
            String w = transposedWeights.get(onnx);
            return w != null ? w + ", transpose_b=true" : operand(onnx);
        }

        void gemm(Onnx.NodeProto n) {
            if (floatAttr(n, "alpha", 1f) != 1f || intAttr(n, "transA", 0) != 0) {
                throw error(node(n) + ": only alpha=1 and transA=0 are imported");
            }
            String c = input(n, 2);
            if (!c.isEmpty() && floatAttr(n, "beta", 1f) != 1f) {
                throw error(node(n) + ": only beta=1 is imported");
            }
            String a = operand(input(n, 0));
            boolean transB = intAttr(n, "transB", 0) != 0;
            String b = transB ? operand(input(n, 1)) : matmulB(input(n, 1));
            if (transB) {
                long out = typeOf(input(n, 1)).shape().dim(0).value();
                if (c.isEmpty()) {
                    define(n, "linear(" + a + ", " + b + ")");
                    return;
                }
                String bias = operand(c);
                TensorType bt = types().get(bias);
                if (bt.shape().rank() == 1 && bt.shape().dim(0).value() == out) {
                    define(n, "linear(" + a + ", " + b + ", " + bias + ")");
                    return;
                }
                define(n, "add(matmul(" + a + ", " + b + ", transpose_b=true), " + bias + ")");
                return;
            }
            define(n, c.isEmpty() ? "matmul(" + a + ", " + b + ")" : "add(matmul(" + a + ", " + b + "), " + operand(c) + ")");
        }

        void split(Onnx.NodeProto n) {
            long axis = intAttr(n, "axis", 0);
            String x = operand(input(n, 0));
            List<String> outs = new ArrayList<>();
            n.getOutputList().forEach(o -> outs.add(name(o)));
            String sizes;
            if (!input(n, 1).isEmpty()) {
                sizes = "sizes=" + java.util.Arrays.toString(ints(n, input(n, 1), "split"));
            } else if (attr(n, "split") != null) {
                sizes = "sizes=" + attr(n, "split").getIntsList();
            } else {
                sizes = "parts=" + outs.size();
            }
            lines.add(String.join(", ", outs) + " = split(" + x + ", " + sizes + ", axis=" + axis + ")");
        }

        /**
         * Slice on one axis, the last: a half ([0, D/2) or [D/2, D)), or every other element from 0 or 1
         * (step 2: gpt-oss's interleaved gate and up). Both halves, or both interleaves, of one value
         * come from one split, as the SwiGLU rules expect.
         */
        void slice(Onnx.NodeProto n) {
            long[] starts = ints(n, input(n, 1), "starts");
            long[] ends = ints(n, input(n, 2), "ends");
            long[] axes = input(n, 3).isEmpty() ? new long[] {0} : ints(n, input(n, 3), "axes");
            long[] steps = input(n, 4).isEmpty() ? new long[] {1} : ints(n, input(n, 4), "steps");
            if (starts.length != 1 || ends.length != 1 || axes.length != 1 || steps.length != 1) {
                throw error(node(n) + ": only a slice of one axis is imported");
            }
            String x = operand(input(n, 0));
            TensorType t = types().get(x);
            int rank = t.shape().rank();
            long axis = axes[0] < 0 ? axes[0] + rank : axes[0];
            if (axis != rank - 1 || !t.shape().last().isStatic()) {
                throw error(node(n) + ": only slices of the last axis, of static size, are imported");
            }
            long d = t.shape().last().value();
            long start = starts[0] < 0 ? starts[0] + d : starts[0];
            long end = Math.min(ends[0] < 0 ? ends[0] + d : ends[0], d);
            String[] p;
            int which;
            if (steps[0] == 2 && (start == 0 || start == 1) && end >= d - 1 && d % 2 == 0) {
                p = parts.computeIfAbsent(x + "|interleaved", k -> interleaved(x, t, d));
                which = (int) start;
            } else if (steps[0] == 1 && d % 2 == 0 && ((start == 0 && end == d / 2) || (start == d / 2 && end == d))) {
                p = parts.computeIfAbsent(x + "|halves", k -> {
                    String a = fresh(x + "_lo");
                    String b = fresh(x + "_hi");
                    lines.add(a + ", " + b + " = split(" + x + ", parts=2, axis=-1)");
                    return new String[] {a, b};
                });
                which = start == 0 ? 0 : 1;
            } else {
                throw error(node(n) + ": only a half of the last axis, or every other element of it from 0 or 1 (step 2), is imported");
            }
            names.put(n.getOutput(0), p[which]);
        }

        /** [.., 2I] -> the even and the odd elements: reshape to [.., I, 2] pairs, split them, reshape each back. */
        String[] interleaved(String x, TensorType t, long d) {
            List<String> lead = new ArrayList<>();
            for (int i = 0; i < t.shape().rank() - 1; i++) {
                lead.add(t.shape().dim(i).toString());
            }
            String half = String.join(", ", lead) + (lead.isEmpty() ? "" : ", ") + d / 2;
            String pairs = fresh(x + "_pairs");
            String e = fresh(x + "_even");
            String o = fresh(x + "_odd");
            lines.add(pairs + " = reshape(" + x + ", shape=[" + half + ", 2])");
            lines.add(e + "3, " + o + "3 = split(" + pairs + ", parts=2, axis=-1)");
            taken.add(e + "3");
            taken.add(o + "3");
            lines.add(e + " = reshape(" + e + "3, shape=[" + half + "])");
            lines.add(o + " = reshape(" + o + "3, shape=[" + half + "])");
            return new String[] {e, o};
        }

        void reshape(Onnx.NodeProto n) {
            if (intAttr(n, "allowzero", 0) != 0) {
                throw error(node(n) + ": allowzero=1 is not imported");
            }
            String x = operand(input(n, 0));
            long[] shape = ints(n, input(n, 1), "shape");
            TensorType t = types().get(x);
            List<String> dims = new ArrayList<>();
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == 0) {
                    if (i >= t.shape().rank()) {
                        throw error(node(n) + ": shape entry " + i + " is 0 (copy) but the input has rank " + t.shape().rank());
                    }
                    dims.add(t.shape().dim(i).toString());
                } else if (shape[i] == -1 || shape[i] > 0) {
                    dims.add(Long.toString(shape[i]));
                } else {
                    throw error(node(n) + ": shape entry " + shape[i] + " is not a size, 0 or -1");
                }
            }
            define(n, "reshape(" + x + ", shape=[" + String.join(", ", dims) + "])");
        }

        /**
         * Transpose; of a 2-D initializer read only as MatMul's B (or Gemm's, transB=0), it is folded:
         * the matmuls read the weight as stored, with transpose_b (no copy of the weight every run).
         */
        void transpose(Onnx.NodeProto n, Map<String, Integer> uses) {
            List<Long> perm = attr(n, "perm") == null ? null : attr(n, "perm").getIntsList();
            String in = input(n, 0);
            Onnx.TensorProto w = initializers.get(in);
            String out = n.getOutput(0);
            if (w != null && w.getDimsCount() == 2 && (perm == null || perm.equals(List.of(1L, 0L))) && onlyMatmulB(out, uses)) {
                transposedWeights.put(out, operand(in));
                return;
            }
            String x = operand(in);
            int rank = types().get(x).shape().rank();
            List<Long> p = new ArrayList<>();
            if (perm == null) {
                for (int i = rank - 1; i >= 0; i--) {
                    p.add((long) i);
                }
            } else {
                p.addAll(perm);
            }
            define(n, "transpose(" + x + ", perm=" + p + ")");
        }

        boolean onlyMatmulB(String value, Map<String, Integer> uses) {
            int matmuls = 0;
            for (Onnx.NodeProto n : g.getNodeList()) {
                for (int i = 0; i < n.getInputCount(); i++) {
                    if (!n.getInput(i).equals(value)) {
                        continue;
                    }
                    boolean b = i == 1 && (n.getOpType().equals("MatMul") || (n.getOpType().equals("Gemm") && intAttr(n, "transB", 0) == 0));
                    if (!b) {
                        return false;
                    }
                    matmuls++;
                }
            }
            boolean output = g.getOutputList().stream().anyMatch(o -> o.getName().equals(value));
            return !output && matmuls > 0 && matmuls == uses.getOrDefault(value, 0);
        }

        void clip(Onnx.NodeProto n) {
            Double min = null;
            Double max = null;
            if (!input(n, 1).isEmpty()) {
                min = Double.parseDouble(Float.toString(scalar(n, input(n, 1), "min")));
            } else if (attr(n, "min") != null) {
                min = (double) attr(n, "min").getF();
            }
            if (!input(n, 2).isEmpty()) {
                max = Double.parseDouble(Float.toString(scalar(n, input(n, 2), "max")));
            } else if (attr(n, "max") != null) {
                max = (double) attr(n, "max").getF();
            }
            if (min == null && max == null) {
                throw error(node(n) + ": a Clip with neither min nor max");
            }
            define(n, "clamp(" + operand(input(n, 0)) + (min != null ? ", min=" + min : "") + (max != null ? ", max=" + max : "") + ")");
        }

        float scalar(Onnx.NodeProto n, String onnx, String what) {
            Onnx.TensorProto t = initializers.get(onnx);
            if (t == null) {
                throw error(node(n) + ": " + what + " must be a scalar initializer");
            }
            float[] v = floats(t);
            if (v.length != 1) {
                throw error(node(n) + ": " + what + " has " + v.length + " values, not one");
            }
            return v[0];
        }
    }

    /** An IR identifier from an ONNX name: letters, digits and _ kept, the rest _, a letter first. */
    static String identifier(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_') ? c : '_');
        }
        String id = sb.toString().replaceAll("_+", "_").replaceAll("^_|_$", "");
        if (id.isEmpty() || !Character.isLetter(id.charAt(0))) {
            id = "v_" + id;
        }
        if (id.length() > 64) {
            id = id.substring(0, 48) + "_" + Integer.toHexString(s.hashCode());
        }
        return id;
    }

    static String oneLine(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(200).forEach(cp -> sb.append(cp < 0x20 || cp == 0x7f ? "?" : new String(Character.toChars(cp))));
        return sb.toString();
    }

    /** Whether {@code p} names an ONNX model (by its extension). */
    public static boolean isOnnx(Path p) {
        return p.getFileName() != null && p.getFileName().toString().endsWith(".onnx") && !Files.isDirectory(p);
    }
}
