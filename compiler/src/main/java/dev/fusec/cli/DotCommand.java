package dev.fusec.cli;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.SourcePos;
import dev.fusec.pass.Pipeline;
import dev.fusec.viz.DotWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusec dot FILE [--fused] [--svg OUT.svg]}: the graph as Graphviz DOT, or rendered to SVG. */
@Command(name = "dot", description = "Print the graph as Graphviz DOT (fused nodes as clusters of what they absorbed).")
final class DotCommand implements Callable<Integer> {
    @Mixin
    GraphFile file;

    @Option(names = "--fused", description = "draw the graph after the fusion passes")
    boolean fused;

    @Option(names = "--svg", paramLabel = "OUT.svg", description = "render to SVG with Graphviz's dot instead of printing DOT")
    Path svg;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (svg == null) {
            Graph g = file.parse();
            file.out().print(DotWriter.write(fused ? Pipeline.fuse(g) : g));
            return 0;
        }
        try (OutputPaths written = new OutputPaths().claim(svg)) {
            Graph g = file.parse();
            byte[] picture = render(DotWriter.write(fused ? Pipeline.fuse(g) : g), SourcePos.startOf(file.toString()));
            written.put(svg, out -> out.write(picture));
            written.commit();
            (written.toStdout() ? file.err() : file.out()).println("wrote " + svg);
        }
        return 0;
    }

    /** Runs {@code dot -Tsvg}: the SVG, or an error when Graphviz is missing or fails. */
    static byte[] render(String dot, SourcePos at) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(List.of("dot", "-Tsvg")).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException notFound) {
            throw new CompileError(at, "--svg needs Graphviz's `dot`, which is not installed; install it "
                    + "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or omit --svg to get DOT text");
        }
        p.getOutputStream().write(dot.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] svg = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || svg.length == 0) {
            p.destroyForcibly();
            throw new CompileError(at, "Graphviz dot failed to render the graph");
        }
        return svg;
    }
}
