package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScratchTest {

    @Test
    void sumsComeBackZeroedAfterACallDirtiedThem() {
        float[] first = Scratch.zeroed(1000);
        Arrays.fill(first, 7f);
        float[] second = Scratch.zeroed(600);
        assertSame(first, second, "the thread's buffer is reused");
        for (int i = 0; i < 600; i++) {
            assertEquals(0f, second[i], "element " + i);
        }
    }

    @Test
    void aLargerRequestGetsALargerBuffer() {
        float[] small = Scratch.zeroed(10);
        float[] large = Scratch.zeroed(small.length + 1);
        assertTrue(large.length > small.length);
        assertSame(large, Scratch.zeroed(5));
    }

    @Test
    void rowsSumsAndStridedCopiesAreSeparateBuffersSoAThreadCanHoldAll() {
        float[] sums = Scratch.zeroed(100);
        float[] rows = Scratch.rows(100);
        float[] strided = Scratch.strided(100);
        assertNotSame(sums, rows);
        assertNotSame(strided, rows);
        assertNotSame(strided, sums);
        assertTrue(rows.length >= 100);
        assertSame(rows, Scratch.rows(50));
    }

    @Test
    void eachThreadHasItsOwn() throws InterruptedException {
        float[] here = Scratch.rows(64);
        float[][] other = new float[1][];
        Thread t = new Thread(() -> other[0] = Scratch.rows(64));
        t.start();
        t.join();
        assertNotSame(here, other[0]);
        assertSame(here, Scratch.rows(64));
    }
}
