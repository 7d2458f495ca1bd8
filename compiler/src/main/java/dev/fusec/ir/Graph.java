package dev.fusec.ir;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A graph: inputs, statements in definition order, declared outputs. Immutable; passes build new
 * graphs. Every value has one definition (an input or one node's result) that precedes its uses.
 */
public record Graph(String name, List<Param> inputs, List<Node> nodes, List<Param> outputs, SourcePos pos) {
    public Graph {
        inputs = List.copyOf(inputs);
        nodes = List.copyOf(nodes);
        outputs = List.copyOf(outputs);
    }

    public Graph withNodes(List<Node> newNodes) {
        return new Graph(name, inputs, newNodes, outputs, pos);
    }

    /** The same graph with every source position dropped: what round-trip equality compares. */
    public Graph withoutPositions() {
        return new Graph(name,
                inputs.stream().map(Param::withoutPosition).toList(),
                nodes.stream().map(Node::withoutPositions).toList(),
                outputs.stream().map(Param::withoutPosition).toList(),
                SourcePos.NONE);
    }

    /** Value name to the node defining it (inputs have none). */
    public Map<String, Node> producers() {
        Map<String, Node> map = new HashMap<>();
        for (Node n : nodes) {
            for (String r : n.results()) {
                map.put(r, n);
            }
        }
        return map;
    }

    public Optional<Param> input(String value) {
        return inputs.stream().filter(p -> p.name().equals(value)).findFirst();
    }

    public boolean isOutput(String value) {
        return outputs.stream().anyMatch(p -> p.name().equals(value));
    }
}
