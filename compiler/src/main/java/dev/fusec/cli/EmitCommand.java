package dev.fusec.cli;

import dev.fusec.codegen.KernelGenerator;
import dev.fusec.codegen.Species;
import dev.fusec.codegen.opencl.OpenClKernels;
import dev.fusec.ir.Graph;
import dev.fusec.ir.ShapeInference;
import dev.fusec.parse.IrPrinter;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.OutputFiles;
import dev.fusec.runtime.KernelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusec emit FILE -o DIR}: the generated kernel sources of the fused (or unfused) graph, and its IR. */
@Command(name = "emit", description = "Write the generated kernel sources (and the IR they implement) to a directory.")
final class EmitCommand implements Callable<Integer> {
    enum Target { java, opencl }

    @Mixin
    GraphFile file;

    @Option(names = {"-o", "--output-dir"}, required = true, paramLabel = "DIR", description = "directory to write into (created if missing)")
    Path dir;

    @Option(names = "--target", defaultValue = "java", description = "java (Vector API kernels) or opencl. Default: ${DEFAULT-VALUE}")
    Target target;

    @Option(names = "--unfused", description = "emit the graph as written, one kernel per op, instead of the fused graph")
    boolean unfused;

    @Override
    public Integer call() throws IOException {
        Graph g = file.parse();
        Graph emitted = unfused ? g : Pipeline.fuse(g);
        Map<String, String> files = new LinkedHashMap<>();
        // The graph's name is the user's: bounded and made safe before it names a file.
        files.put(OutputFiles.fileName(emitted.name(), unfused ? ".unfused.fir" : ".fused.fir"),
                "# The graph the kernels beside this file implement (fusec emit" + (unfused ? " --unfused" : "") + ").\n"
                        + IrPrinter.print(emitted, ShapeInference.infer(emitted)));
        String what;
        if (target == Target.opencl) {
            // One program: the kernels of a graph share their helper functions and are built together.
            OpenClKernels cl = OpenClKernels.generate(emitted);
            files.put(OutputFiles.fileName(emitted.name(), unfused ? ".unfused.cl" : ".fused.cl"), cl.source());
            what = "an OpenCL C program of " + cl.kernelCount() + " kernel(s)";
        } else {
            KernelGenerator.Kernels kernels = KernelGenerator.generate(emitted, Species.preferred());
            for (KernelSource s : kernels.sources()) {
                files.put(s.className() + ".java", s.source());
            }
            what = kernels.sources().size() + " kernel source(s)";
        }
        boolean made = !Files.exists(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw GraphFile.error(dir, "cannot create directory: " + e.getMessage());
        }
        boolean done = false;
        try (OutputPaths written = new OutputPaths()) {
            files.keySet().forEach(name -> written.claim(dir.resolve(name)));
            files.forEach((name, text) -> written.put(dir.resolve(name), out -> out.write(text.getBytes(StandardCharsets.UTF_8))));
            written.commit();
            done = true;
        } finally {
            if (made && !done) {
                Files.deleteIfExists(dir); // the folder this command made, left empty
            }
        }
        file.out().printf("wrote %s and %s to %s%n", what, files.keySet().iterator().next(), dir);
        return 0;
    }
}
