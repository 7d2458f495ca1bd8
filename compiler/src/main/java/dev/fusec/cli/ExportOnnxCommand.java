package dev.fusec.cli;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.SourcePos;
import dev.fusec.onnx.OnnxExporter;
import dev.fusec.onnx.OnnxOpTypes;
import dev.fusec.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
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
        Graph g = file.parse();
        byte[] model = OnnxExporter.export(g);
        SourcePos where = SourcePos.startOf(output.toString());
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CompileError(where, "cannot write: directory " + dir + " does not exist");
        }
        if (Files.isDirectory(output)) {
            throw new CompileError(where, "cannot write: is a directory");
        }
        try {
            AtomicFiles.write(output, model);
        } catch (IOException e) {
            throw new CompileError(where, "cannot write: " + e.getMessage());
        }
        file.out().printf("wrote %s: graph %s, %d ONNX nodes, %d bytes, IR version %d, opset %d%n",
                output, g.name(), OnnxOpTypes.of(model).size(), model.length, OnnxExporter.IR_VERSION, OnnxExporter.OPSET);
        return 0;
    }
}
