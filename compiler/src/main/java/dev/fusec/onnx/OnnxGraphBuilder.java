package dev.fusec.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects an ONNX graph (nodes, initializers, inputs, outputs) and writes it as a ModelProto.
 * Knows the onnx.proto field numbers and nothing of fusec's IR: {@link OnnxExporter} decides what the
 * nodes are. Value and node names it makes up never collide with names it was told are taken.
 */
final class OnnxGraphBuilder {
    // onnx.proto TensorProto.DataType
    static final int FLOAT = 1;
    static final int INT64 = 7;

    // onnx.proto AttributeProto.AttributeType
    private static final int ATTR_FLOAT = 1;
    private static final int ATTR_INT = 2;
    private static final int ATTR_INTS = 7;

    /** One node attribute: an int, a float or a list of ints. */
    record Attribute(String name, int type, long i, float f, List<Long> ints) {
        static Attribute of(String name, long value) {
            return new Attribute(name, ATTR_INT, value, 0, List.of());
        }

        static Attribute of(String name, float value) {
            return new Attribute(name, ATTR_FLOAT, 0, value, List.of());
        }

        static Attribute ofInts(String name, List<Long> values) {
            return new Attribute(name, ATTR_INTS, 0, 0, List.copyOf(values));
        }
    }

    /** A dim of a graph input or output: a number, or a name such as {@code T} or {@code S*B}. */
    record DimSpec(long value, String param) {}

    private final Set<String> values = new HashSet<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final Map<String, String> constants = new HashMap<>();
    private final List<ProtoWriter> nodes = new ArrayList<>();
    private final List<ProtoWriter> initializers = new ArrayList<>();
    private final List<ProtoWriter> inputs = new ArrayList<>();
    private final List<ProtoWriter> outputs = new ArrayList<>();
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
        ProtoWriter n = new ProtoWriter();
        List<String> trimmed = new ArrayList<>(in);
        while (!trimmed.isEmpty() && trimmed.getLast().isEmpty()) {
            trimmed.removeLast();
        }
        trimmed.forEach(s -> n.string(1, s));
        out.forEach(s -> n.string(2, s));
        String name = out.getFirst() + "/" + opType;
        for (int k = 1; !nodeNames.add(name); k++) {
            name = out.getFirst() + "/" + opType + "_" + k;
        }
        n.string(3, name);
        n.string(4, opType);
        for (Attribute a : attrs) {
            ProtoWriter w = new ProtoWriter();
            w.string(1, a.name());
            switch (a.type()) {
                case ATTR_FLOAT -> w.float32(2, a.f());
                case ATTR_INT -> w.varint(3, a.i());
                case ATTR_INTS -> a.ints().forEach(v -> w.varint(8, v));
                default -> throw new IllegalStateException("attribute type " + a.type());
            }
            w.varint(20, a.type());
            n.message(5, w);
        }
        nodes.add(n);
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
            initializers.add(floatTensor(name, new long[0], new float[] {value}));
            return name;
        });
    }

    /** A 1-D int64 constant, e.g. a shape, axes or split sizes, named by its role (shared between uses in that role). */
    String int64s(String hint, List<Long> values) {
        String key = "i:" + hint + ":" + values;
        return constants.computeIfAbsent(key, k -> {
            String name = fresh(hint);
            ProtoWriter t = new ProtoWriter();
            t.varint(1, values.size());
            t.varint(2, INT64);
            t.string(8, name);
            ByteBuffer raw = ByteBuffer.allocate(8 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
            values.forEach(raw::putLong);
            t.bytes(9, raw.array());
            initializers.add(t);
            return name;
        });
    }

    /** A float32 initializer under a name already reserved (a baked graph input). */
    void initializer(String name, long[] dims, float[] data) {
        initializers.add(floatTensor(name, dims, data));
    }

    void input(String name, List<DimSpec> dims) {
        inputs.add(valueInfo(name, dims));
    }

    void output(String name, List<DimSpec> dims) {
        outputs.add(valueInfo(name, dims));
    }

    /** The ModelProto: IR version, one opset import of the default domain, producer, the graph. */
    byte[] model(String graphName, long irVersion, long opset, String producerVersion, String doc) {
        ProtoWriter g = new ProtoWriter();
        nodes.forEach(n -> g.message(1, n));
        g.string(2, graphName);
        initializers.forEach(t -> g.message(5, t));
        g.string(10, doc);
        inputs.forEach(v -> g.message(11, v));
        outputs.forEach(v -> g.message(12, v));

        ProtoWriter m = new ProtoWriter();
        m.varint(1, irVersion);
        m.message(8, new ProtoWriter().string(1, "").varint(2, opset));
        m.string(2, "fusec");
        m.string(3, producerVersion);
        m.message(7, g);
        return m.toByteArray();
    }

    private static ProtoWriter floatTensor(String name, long[] dims, float[] data) {
        ProtoWriter t = new ProtoWriter();
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, FLOAT);
        t.string(8, name);
        ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        t.bytes(9, raw.array());
        return t;
    }

    private static ProtoWriter valueInfo(String name, List<DimSpec> dims) {
        ProtoWriter shape = new ProtoWriter();
        for (DimSpec d : dims) {
            ProtoWriter dim = new ProtoWriter();
            if (d.param() == null) {
                dim.varint(1, d.value());
            } else {
                dim.string(2, d.param());
            }
            shape.message(1, dim);
        }
        ProtoWriter tensor = new ProtoWriter().varint(1, FLOAT).message(2, shape);
        ProtoWriter type = new ProtoWriter().message(1, tensor);
        return new ProtoWriter().string(1, name).message(2, type);
    }
}
