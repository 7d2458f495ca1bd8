package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.interp.Interpreter;
import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.KernelCache;
import dev.fusec.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel cache as {@code fusec run} uses it, through {@link CompiledGraph#compile}: a second
 * compile of the same graph is a hit whose kernels compute the same results, and anything that
 * changes the classes (the species, the graph) changes the key. A null cache ({@code --no-cache})
 * neither reads nor writes.
 */
class CodegenCacheTest {
    static final String FFN = """
            graph ffn(x: f32[T, 24], w_gate: f32[24, 37], w_up: f32[24, 37], w_down: f32[37, 24]) -> (y: f32[T, 24]) {
              y = matmul(mul(silu(matmul(x, w_gate)), matmul(x, w_up)), w_down)
              return y
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aSecondCompileIsACacheHitWithTheSameResults() {
        Graph g = IrParser.parse("ffn.fir", FFN);
        KernelCache cache = new KernelCache(dir);
        CompiledGraph first = CompiledGraph.compile(g, Species.preferred(), cache);
        assertFalse(first.loaded().cacheHit());
        CompiledGraph second = CompiledGraph.compile(g, Species.preferred(), cache);
        assertTrue(second.loaded().cacheHit());
        assertEquals(first.loaded().cacheKey(), second.loaded().cacheKey());
        assertEquals(first.kernels().sources().size(), second.loaded().kernels().size());

        Map<String, Long> binding = Map.of("T", 5L);
        Map<String, Tensor> in = Agreement.inputs(g, binding, 2);
        Map<String, Tensor> fromJavac = Agreement.run(first, binding, in, 1);
        Map<String, Tensor> fromCache = Agreement.run(second, binding, in, 1);
        assertEquals(List.of(), Agreement.identical("cache hit vs javac", fromJavac, fromCache));
        assertEquals(List.of(), Agreement.compare("cache hit", Interpreter.run(g, in), fromCache, Agreement.F32));
    }

    @Test
    void speciesAndGraphAreInTheKey() {
        Graph g = IrParser.parse("ffn.fir", FFN);
        KernelCache cache = new KernelCache(dir);
        String at8 = CompiledGraph.compile(g, new Species(8), cache).loaded().cacheKey();
        CompiledGraph at16 = CompiledGraph.compile(g, new Species(16), cache);
        assertFalse(at16.loaded().cacheHit(), "another vector width is another set of classes");
        assertNotEquals(at8, at16.loaded().cacheKey());
        CompiledGraph fused = CompiledGraph.compile(Pipeline.fuse(g), new Species(8), cache);
        assertFalse(fused.loaded().cacheHit());
        assertNotEquals(at8, fused.loaded().cacheKey());
        assertTrue(CompiledGraph.compile(g, new Species(8), cache).loaded().cacheHit());
    }

    @Test
    void noCacheWritesNothing() throws IOException {
        Graph g = IrParser.parse("ffn.fir", FFN);
        assertFalse(CompiledGraph.compile(g, Species.preferred(), null).loaded().cacheHit());
        assertFalse(CompiledGraph.compile(g, Species.preferred(), null).loaded().cacheHit());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }
}
