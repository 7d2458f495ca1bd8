package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class PackingTest {
    private static float[] matrix(int rows, int k, float base) {
        float[] a = new float[rows * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = base + i;
        }
        return a;
    }

    private static void assertStrided(float[] a, float[] out, int rows, int k, int stride) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < k; c++) {
                assertEquals(a[r * k + c], out[r * stride + c], "row " + r + ", column " + c);
            }
        }
    }

    @Test
    void stridedRowsHoldTheMatrixOnEveryThreadCount() {
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel par = new Parallel(threads)) {
                float[] a = matrix(200, 48, 0.5f);
                assertStrided(a, Packing.strideRows(a, 200, 48, 64, par), 200, 48, 64);
            }
        }
    }

    @Test
    void theBufferIsReusedAndOverwrittenByTheNextCall() {
        try (Parallel par = new Parallel(1)) {
            float[] first = Packing.strideRows(matrix(30, 16, 1f), 30, 16, 32, par);
            float[] b = matrix(20, 16, -1000f);
            float[] second = Packing.strideRows(b, 20, 16, 32, par);
            assertSame(first, second, "a smaller copy reuses the thread's buffer");
            assertStrided(b, second, 20, 16, 32);
            float[] c = matrix(40, 16, 7f);
            float[] third = Packing.strideRows(c, 40, 16, 32, par);
            assertEquals(40 * 32, third.length, "a larger copy grows the buffer");
            assertStrided(c, third, 40, 16, 32);
        }
    }
}
