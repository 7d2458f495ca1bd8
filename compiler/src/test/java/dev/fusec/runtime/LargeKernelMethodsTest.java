package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.fusec.codegen.KernelGenerator;
import dev.fusec.codegen.Species;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import java.io.IOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every large method of the kernels generated for ir-examples and bench/graphs (fused) is one that
 * {@link JitDirectives} keeps C1 off in a JVM without -XX:Tier3DelayOn: C1's profiling tier runs out of
 * virtual registers on some such methods (the smallest seen failing had 680 bytes of bytecode; the
 * panel dispatchers, 505-586 bytes, compile there), and one that got C1's tier 2 first would stay C1
 * code for good. In package dev.fusec.runtime, beside the
 * runtime's classes, to see {@link JitDirectives#C1_EXCLUDED} and {@link KernelCompiler#compile}.
 */
class LargeKernelMethodsTest {
    /** Bytes of bytecode from which a method counts as large: below the smallest one seen failing. */
    private static final int LARGE = 600;

    @Test
    void everyLargeKernelMethodIsKeptOffC1() throws IOException {
        Path root = Path.of(System.getProperty("basedir", ".")).resolve("..").normalize();
        List<Path> graphs = new ArrayList<>();
        for (String dir : List.of("ir-examples", "bench/graphs")) {
            try (Stream<Path> files = Files.list(root.resolve(dir))) {
                files.filter(p -> p.toString().endsWith(".fir")).sorted().forEach(graphs::add);
            }
        }
        assertFalse(graphs.isEmpty());
        List<String> uncovered = new ArrayList<>();
        int large = 0;
        for (Path file : graphs) {
            Graph g = Pipeline.fuse(IrParser.parseFile(file));
            for (byte[] bytes : KernelCompiler.compile(KernelGenerator.generate(g, Species.preferred()).sources()).values()) {
                ClassModel c = ClassFile.of().parse(bytes);
                for (MethodModel m : c.methods()) {
                    int size = m.findAttribute(Attributes.code()).map(code -> code.codeLength()).orElse(0);
                    String name = m.methodName().stringValue();
                    if (size >= LARGE) {
                        large++;
                        if (JitDirectives.C1_EXCLUDED.stream().noneMatch(p -> name.startsWith(p.substring(0, p.length() - 1)))) {
                            uncovered.add(file.getFileName() + ": " + c.thisClass().asInternalName() + "." + name + " (" + size + " bytes)");
                        }
                    }
                }
            }
        }
        assertFalse(large == 0, "no kernel method of " + LARGE + " bytes or more: the check checks nothing");
        assertEquals(List.of(), uncovered, "large kernel methods that C1 may compile (add their names to JitDirectives.C1_EXCLUDED"
                + " if they are register tiles, or keep them under " + LARGE + " bytes)");
    }
}
