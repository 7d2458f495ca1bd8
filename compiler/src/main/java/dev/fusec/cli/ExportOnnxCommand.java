package dev.fusec.cli;

import dev.fusec.ir.Graph;
import dev.fusec.onnx.OnnxExporter;
import dev.fusec.onnx.OnnxOpTypes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fusec export-onnx FILE -o model.onnx}: the graph as written (unfused), every input a graph
 * input, as an ONNX model (IR 8, opset 17); fused ops in the file are decomposed into standard ops.
 * The file appears whole or not at all.
 */
@Command(name = "export-onnx", description = "Write the graph as an ONNX model (opset 17), every input a graph input.")
final class ExportOnnxCommand implements Callable<Integer> {
    @Mixin
    GraphFile file;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "MODEL.onnx", description = "the ONNX file to write")
    Path output;

    @Override
    public Integer call() {
        try (OutputPaths written = new OutputPaths().claim(output)) {
            Graph g = file.parse();
            byte[] model = OnnxExporter.export(g);
            written.put(output, out -> out.write(model));
            written.commit();
            (written.toStdout() ? file.err() : file.out()).printf("wrote %s: graph %s, %d ONNX nodes, %d bytes, IR version %d, opset %d%n",
                    output, g.name(), OnnxOpTypes.of(model).size(), model.length, OnnxExporter.IR_VERSION, OnnxExporter.OPSET);
        }
        return 0;
    }
}
