package dev.fusec.onnx;

import java.util.ArrayList;
import java.util.List;

/** Reads which ops an ONNX model holds: the op_type of every node of its main graph. */
public final class OnnxOpTypes {
    private OnnxOpTypes() {}

    /**
     * ModelProto.graph (7) -> GraphProto.node (1) -> NodeProto.op_type (4), in node order, duplicates kept.
     *
     * @throws IllegalArgumentException if the bytes are not a well-formed protobuf message (a length or
     *     varint running past its message, a group or unknown wire type); nothing else, whatever the bytes
     */
    public static List<String> of(byte[] model) {
        List<String> ops = new ArrayList<>();
        ProtoReader m = new ProtoReader(model);
        while (m.next()) {
            if (m.field() != 7 || m.wireType() != ProtoWriter.LEN) {
                continue;
            }
            ProtoReader g = m.message();
            while (g.next()) {
                if (g.field() != 1 || g.wireType() != ProtoWriter.LEN) {
                    continue;
                }
                ProtoReader node = g.message();
                while (node.next()) {
                    if (node.field() == 4 && node.wireType() == ProtoWriter.LEN) {
                        ops.add(node.string());
                    }
                }
            }
        }
        return ops;
    }
}
