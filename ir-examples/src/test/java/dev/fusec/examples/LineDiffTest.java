package dev.fusec.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The golden-file diff marks removed, added and shared lines, and a missing final newline. */
class LineDiffTest {
    @Test
    void marksChangedLinesAndKeepsSharedOnes() {
        String golden = "graph g\n  a = silu(x)  # f32[T, 8]\n  return a\n";
        String actual = "graph g\n  a = silu(x)  # f32[T, 4]\n  return a\n";
        assertEquals("  graph g\n-   a = silu(x)  # f32[T, 8]\n+   a = silu(x)  # f32[T, 4]\n    return a\n",
                LineDiff.of(golden, actual));
    }

    @Test
    void showsAddedLinesAndAMissingFinalNewline() {
        assertEquals("  a\n- c\n+ b\n+ c  (no newline at end)\n", LineDiff.of("a\nc\n", "a\nb\nc"));
    }
}
