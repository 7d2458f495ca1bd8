package dev.fusec.cli;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.Graph;
import dev.fusec.ir.SourcePos;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.AtomicFiles;
import dev.fusec.viz.DotWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
        Graph g = file.parse();
        String dot = DotWriter.write(fused ? Pipeline.fuse(g) : g);
        if (svg == null) {
            file.out().print(dot);
            return 0;
        }
        render(dot, svg, SourcePos.startOf(file.toString()));
        file.out().println("wrote " + svg);
        return 0;
    }

    /** Runs {@code dot -Tsvg}; writes {@code out} only when it succeeded. */
    static void render(String dot, Path out, SourcePos at) throws IOException, InterruptedException {
        Path dir = out.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CompileError(SourcePos.startOf(out.toString()), "cannot write: directory " + dir + " does not exist");
        }
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
        AtomicFiles.write(out, svg);
    }
}
