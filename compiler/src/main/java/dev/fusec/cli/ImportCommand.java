package dev.fusec.cli;

import dev.fusec.frontend.hf.HfImport;
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
 * each weight bound to its checkpoint name ({@link HfImport}); the file appears whole or not at all.
 */
@Command(name = "import", description = "Make the FFN graph of a Hugging Face model folder (config.json + safetensors), weights bound by name.")
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "a Hugging Face model folder (config.json, model.safetensors or a sharded set)")
    Path source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.fir", description = "the graph to write")
    Path output;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
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
}
