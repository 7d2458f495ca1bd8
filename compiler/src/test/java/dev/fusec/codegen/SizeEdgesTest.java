package dev.fusec.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fusec.ir.Graph;
import dev.fusec.parse.IrParser;
import dev.fusec.pass.Pipeline;
import dev.fusec.runtime.KernelCompiler;
import dev.fusec.runtime.KernelSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Graphs at the largest sizes {@code check} accepts generate kernels that javac compiles: every
 * constant a kernel holds is a count or an offset into one array, and no array passes
 * {@code 2^31 - 9} elements, so int literals suffice. (Nothing runs: the arrays would be 8 GiB.)
 */
class SizeEdgesTest {
    static final String EDGES = """
            # each value at (or near) the largest element count one array holds: 2147483639
            graph edges(x: f32[2147483639], y: f32[1, 2147483638], w: f32[46340, 46340], a: f32[T, 46340])
                -> (s: f32[2147483639], g: f32[1, 1073741819], h: f32[T, 46340]) {
              s = silu(x)
              g = swiglu(y)
              h = matmul(a, w)
              return s, g, h
            }
            """;

    @Test
    void kernelsAtTheLargestSizesCompile() {
        for (Graph g : List.of(IrParser.parse("edges.fir", EDGES), Pipeline.fuse(IrParser.parse("edges.fir", EDGES)))) {
            List<KernelSource> sources = KernelGenerator.generate(g, Species.preferred()).sources();
            assertEquals(3, sources.size());
            assertTrue(sources.stream().anyMatch(s -> s.source().contains("2147483639")), "the count is a constant");
            KernelCompiler.Loaded loaded = KernelCompiler.load(sources, "edges", null);
            assertEquals(3, loaded.kernels().size());
        }
    }
}
