package dev.fusec.onnx;

import com.google.protobuf.ByteString;
import dev.fusec.onnx.proto.Onnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects an ONNX graph (nodes, initializers, inputs, outputs) and writes it as a ModelProto, with the
 * classes protoc generates from onnx.proto ({@link Onnx}). Knows nothing of fusec's IR:
 * {@link OnnxExporter} decides what the nodes are. Value and node names it makes up never collide with
 * names it was told are taken.
 */
final class OnnxGraphBuilder {
    static final int FLOAT = Onnx.TensorProto.DataType.FLOAT_VALUE;
    static final int INT64 = Onnx.TensorProto.DataType.INT64_VALUE;

    /** One node attribute: an int, a float or a list of ints. */
    record Attribute(String name, Onnx.AttributeProto.AttributeType type, long i, float f, List<Long> ints) {
        static Attribute of(String name, long value) {
            return new Attribute(name, Onnx.AttributeProto.AttributeType.INT, value, 0, List.of());
        }

        static Attribute of(String name, float value) {
            return new Attribute(name, Onnx.AttributeProto.AttributeType.FLOAT, 0, value, List.of());
        }

        static Attribute ofInts(String name, List<Long> values) {
            return new Attribute(name, Onnx.AttributeProto.AttributeType.INTS, 0, 0, List.copyOf(values));
        }

        Onnx.AttributeProto proto() {
            Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name).setType(type);
            switch (type) {
                case FLOAT -> a.setF(f);
                case INT -> a.setI(i);
                case INTS -> a.addAllInts(ints);
                default -> throw new IllegalStateException("attribute type " + type);
            }
            return a.build();
        }
    }

    /** A dim of a graph input or output: a number, or a name such as {@code T} or {@code S*B}. */
    record DimSpec(long value, String param) {}

    private final Set<String> values = new HashSet<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final Map<String, String> constants = new HashMap<>();
    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private int nodeCount;

    /** Marks names as taken (the source graph's values), so made-up names avoid them. */
    void reserve(Iterable<String> names) {
        names.forEach(values::add);
    }

    /** A new value name starting with {@code base}. */
    String fresh(String base) {
        String name = base;
        for (int k = 1; !values.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    int nodeCount() {
        return nodeCount;
    }

    /** Adds a node of the default domain; an empty input name is an omitted optional input. */
    void node(String opType, List<String> in, List<String> out, Attribute... attrs) {
        List<String> trimmed = new ArrayList<>(in);
        while (!trimmed.isEmpty() && trimmed.getLast().isEmpty()) {
            trimmed.removeLast();
        }
        String name = out.getFirst() + "/" + opType;
        for (int k = 1; !nodeNames.add(name); k++) {
            name = out.getFirst() + "/" + opType + "_" + k;
        }
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().addAllInput(trimmed).addAllOutput(out).setName(name).setOpType(opType);
        for (Attribute a : attrs) {
            n.addAttribute(a.proto());
        }
        graph.addNode(n);
        nodeCount++;
    }

    /** A node with one result under a new name from {@code base}; returns that name. */
    String node(String opType, String base, List<String> in, Attribute... attrs) {
        String out = fresh(base);
        node(opType, in, List.of(out), attrs);
        return out;
    }

    /** A float32 scalar constant (shared between uses). */
    String scalar(float value) {
        String key = "f:" + Float.floatToRawIntBits(value);
        return constants.computeIfAbsent(key, k -> {
            String name = fresh("const_" + Float.toString(value).replace('-', 'm').replace('.', '_'));
            graph.addInitializer(floatTensor(name, new long[0], new float[] {value}));
            return name;
        });
    }

    /** A 1-D int64 constant, e.g. a shape, axes or split sizes, named by its role (shared between uses in that role). */
    String int64s(String hint, List<Long> values) {
        String key = "i:" + hint + ":" + values;
        return constants.computeIfAbsent(key, k -> {
            String name = fresh(hint);
            ByteBuffer raw = ByteBuffer.allocate(8 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
            values.forEach(raw::putLong);
            graph.addInitializer(Onnx.TensorProto.newBuilder().addDims(values.size()).setDataType(INT64).setName(name)
                    .setRawData(ByteString.copyFrom(raw.array())));
            return name;
        });
    }

    /** A float32 initializer under a name already reserved (a baked graph input). */
    void initializer(String name, long[] dims, float[] data) {
        graph.addInitializer(floatTensor(name, dims, data));
    }

    void input(String name, List<DimSpec> dims) {
        graph.addInput(valueInfo(name, dims));
    }

    void output(String name, List<DimSpec> dims) {
        graph.addOutput(valueInfo(name, dims));
    }

    /** The ModelProto: IR version, one opset import of the default domain, producer, the graph. */
    byte[] model(String graphName, long irVersion, long opset, String producerVersion, String doc) {
        graph.setName(graphName).setDocString(doc);
        return Onnx.ModelProto.newBuilder().setIrVersion(irVersion)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setProducerName("fusec").setProducerVersion(producerVersion).setGraph(graph).build().toByteArray();
    }

    private static Onnx.TensorProto floatTensor(String name, long[] dims, float[] data) {
        ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setDataType(FLOAT).setName(name).setRawData(ByteString.copyFrom(raw.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static Onnx.ValueInfoProto valueInfo(String name, List<DimSpec> dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (DimSpec d : dims) {
            shape.addDim(d.param() == null ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d.value())
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(d.param()));
        }
        Onnx.TypeProto.Tensor tensor = Onnx.TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape).build();
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(tensor)).build();
    }
}
