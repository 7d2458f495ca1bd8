package dev.fusec.cli;

import dev.fusec.frontend.hf.HfImport;
import dev.fusec.frontend.onnx.OnnxImport;
import dev.fusec.runtime.OutputFiles;
import dev.fusec.runtime.SafeTensors;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code fusec import DIR -o OUT.fir}: a Hugging Face model folder becomes the .fir graph of its FFN,
 * each weight bound to its checkpoint name ({@link HfImport}). {@code fusec import model.onnx -o OUT.fir}:
 * an ONNX model becomes a graph and OUT.safetensors, its initializers by their ONNX names
 * ({@link OnnxImport}). What is written appears whole, together, or not at all.
 */
@Command(name = "import", description = "Make the FFN graph of a Hugging Face model folder (config.json + safetensors) or of an ONNX model,"
        + " weights bound by name.")
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR|MODEL.onnx",
            description = "a Hugging Face model folder (config.json, model.safetensors or a sharded set), or an ONNX model")
    Path source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.fir", description = "the graph to write")
    Path output;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (OnnxImport.isOnnx(source)) {
            return onnx();
        }
        try (OutputPaths written = new OutputPaths().claim(output)) {
            HfImport.Result r = HfImport.read(source);
            byte[] text = r.ir().getBytes(StandardCharsets.UTF_8);
            written.put(output, out -> out.write(text));
            written.commit();
            (written.toStdout() ? spec.commandLine().getErr() : spec.commandLine().getOut()).printf(
                    "wrote %s: graph %s (model_type %s, %d layers, %s weights, %.1f MiB a layer); run it with --weights %s --layer N|all%n",
                    output, r.graphName(), r.modelType(), r.layers(), r.dtype(), r.weightBytesPerLayer() / 1048576.0, source);
        }
        return 0;
    }

    /** The graph to {@code output}, the initializers to the .safetensors beside it. */
    private int onnx() {
        if (OutputFiles.isStdout(output)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "-o - is not possible for an ONNX model: its weights go to a .safetensors file beside the graph");
        }
        String stem = output.getFileName().toString().replaceFirst("\\.fir$", "");
        Path weights = output.resolveSibling(stem + ".safetensors");
        try (OutputPaths written = new OutputPaths().claim(output).claim(weights)) {
            OnnxImport.Result r = OnnxImport.read(source, weights.toString());
            written.put(weights, SafeTensors.content(r.weights(), Map.of("format", "fusec import of an ONNX model")));
            byte[] text = r.ir().getBytes(StandardCharsets.UTF_8);
            written.put(output, out -> out.write(text));
            written.commit();
            spec.commandLine().getOut().printf("wrote %s: graph %s from %d ONNX nodes, and %s: %d weight(s), %.1f MiB; run it with --weights %s%n",
                    output, r.graphName(), r.nodes(), weights, r.weights().size(), r.weightBytes() / 1048576.0, weights);
        }
        return 0;
    }
}
