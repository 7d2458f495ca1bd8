package dev.fusec.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.fusec.onnx.proto.Onnx;
import java.util.ArrayList;
import java.util.List;

/** Reads which ops an ONNX model holds: the op_type of every node of its main graph. */
public final class OnnxOpTypes {
    private OnnxOpTypes() {}

    /**
     * ModelProto.graph.node[*].op_type, in node order, duplicates kept.
     *
     * @throws IllegalArgumentException if the bytes are not a well-formed ModelProto (protobuf's own
     *     reader: a length or varint running past its message, a bad wire type, nesting past its limit);
     *     nothing else, whatever the bytes
     */
    public static List<String> of(byte[] model) {
        Onnx.ModelProto m;
        try {
            m = Onnx.ModelProto.parseFrom(model);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
        List<String> ops = new ArrayList<>();
        for (Onnx.NodeProto n : m.getGraph().getNodeList()) {
            ops.add(n.getOpType());
        }
        return ops;
    }
}
