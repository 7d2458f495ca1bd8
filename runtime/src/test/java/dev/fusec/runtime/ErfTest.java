package dev.fusec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The double erf and erfc, and the activations built on them (the interpreter's, and the kernels'
 * cold lanes'), against values computed to 40 digits (mpmath) and rounded to double: within 2e-15 relative (a few units in the last place), both sides of
 * the series/continued-fraction switches at 1 and 1.5, and deep in the tail where erfc is tiny.
 */
class ErfTest {
    static final double REL = 2e-15;

    /** x, erf(x), erfc(x). */
    static final double[][] KNOWN = {
        {0.0, 0.0, 1.0},
        {1e-10, 1.1283791670955126e-10, 0.999999999887162},
        {0.1, 0.1124629160182849, 0.887537083981715},
        {0.5, 0.5204998778130465, 0.4795001221869535},
        {0.99, 0.8385080695553698, 0.1614919304446302},
        {1.0, 0.8427007929497149, 0.15729920705028513},
        {1.4999, 0.9660932516622953, 0.03390674833770473},
        {1.5, 0.9661051464753108, 0.033894853524689274},
        {2.0, 0.9953222650189527, 0.004677734981047266},
        {2.5, 0.999593047982555, 0.0004069520174449589},
        {3.0, 0.9999779095030014, 2.209049699858544e-05},
        {4.0, 0.9999999845827421, 1.541725790028002e-08},
        {5.0, 0.9999999999984626, 1.537459794428035e-12},
        {7.5, 1.0, 2.776649386030569e-26},
        {10.0, 1.0, 2.088487583762545e-45},
        {15.0, 1.0, 7.212994172451207e-100},
        {26.0, 1.0, 5.663192408856143e-296},
        {-0.3, -0.3286267594591274, 1.3286267594591274},
        {-1.0, -0.8427007929497149, 1.8427007929497148},
        {-2.0, -0.9953222650189527, 1.9953222650189528},
        {-5.0, -0.9999999999984626, 1.9999999999984626},
    };

    private static void close(String what, double want, double got) {
        double err = want == 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
        assertTrue(err <= REL, what + " = " + got + ", want " + want + " (relative error " + err + ")");
    }

    @Test
    void erfAndErfcAgreeWithHighPrecisionValues() {
        for (double[] k : KNOWN) {
            close("erf(" + k[0] + ")", k[1], Erf.erf(k[0]));
            close("erfc(" + k[0] + ")", k[2], Erf.erfc(k[0]));
        }
    }

    @Test
    void edges() {
        assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, Erf.erfc(30));
        assertTrue(Double.isNaN(Erf.erf(Double.NaN)) && Double.isNaN(Erf.erfc(Double.NaN)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(Erf.erf(-0.0)), "erf(-0) = -0");
    }

    /** erf(-x) = -erf(x) and erf + erfc = 1 on a fine grid, across the switch at 1.5. */
    @Test
    void symmetryAndComplement() {
        for (double x = 0; x < 6; x += 1.0 / 64) {
            assertEquals(-Erf.erf(x), Erf.erf(-x), "erf(-" + x + ")");
            assertEquals(1.0, Erf.erf(x) + Erf.erfc(x), 4.5e-16, "erf + erfc at " + x);
            assertEquals(2.0, Erf.erfc(-x) + Erf.erfc(x), 4e-16, "erfc(-x) + erfc(x) at " + x);
        }
    }

    /** gelu, gelu_tanh and their derivatives at known points (mpmath; the derivative of the tanh form numerically). */
    @Test
    void geluValues() {
        // x, gelu, gelu', gelu_tanh, gelu_tanh'
        double[][] known = {
            {1, 0.8413447460685429, 1.0833154705876864, 0.8411919906082768, 1.0829640838457826},
            {-1, -0.15865525393145705, -0.0833154705876863, -0.1588080093917233, -0.08296408384578255},
            {3, 2.99595030590511, 1.011945647204184, 2.996362607918227, 1.0115841666309697},
            {-3, -0.0040496940948902835, -0.011945647204183927, -0.003637392081773019, -0.011584166630969726},
            {0.5, 0.34573123063700656, 0.8674951246561629, 0.34571400982514394, 0.8673699035346423},
            {-6, -5.9195258702261885e-09, -3.5468709453902015e-08, -8.439646700762297e-11, -7.709973930953696e-10},
        };
        for (double[] k : known) {
            close("gelu(" + k[0] + ")", k[1], Activations.gelu(k[0]));
            close("gelu'(" + k[0] + ")", k[2], Activations.geluGrad(k[0]));
            close("gelu_tanh(" + k[0] + ")", k[3], Activations.geluTanh(k[0]));
            assertEquals(k[4], Activations.geluTanhGrad(k[0]), 1e-13 * Math.abs(k[4]), "gelu_tanh'(" + k[0] + ")");
        }
    }

    /** The functions and their derivatives, as pairs. */
    private static final DoubleUnaryOperator[][] PAIRS = {
        {Activations::silu, Activations::siluGrad},
        {Activations::gelu, Activations::geluGrad},
        {Activations::geluTanh, Activations::geluTanhGrad},
    };

    /**
     * PyTorch's values where its formulas meet infinity times zero: NaN for the functions at -inf and
     * for the derivatives at both infinities; far out, the derivatives are 1 and -0 (the sign of the truth).
     */
    @Test
    void activationEdges() {
        for (DoubleUnaryOperator[] p : PAIRS) {
            assertTrue(Double.isNaN(p[0].applyAsDouble(Double.NEGATIVE_INFINITY)));
            assertEquals(Double.POSITIVE_INFINITY, p[0].applyAsDouble(Double.POSITIVE_INFINITY));
            assertTrue(Double.isNaN(p[0].applyAsDouble(Double.NaN)));
            assertTrue(Double.isNaN(p[1].applyAsDouble(Double.NEGATIVE_INFINITY)));
            assertTrue(Double.isNaN(p[1].applyAsDouble(Double.POSITIVE_INFINITY)));
            assertTrue(Double.isNaN(p[1].applyAsDouble(Double.NaN)));
            assertEquals(1.0, p[1].applyAsDouble(1e30));
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(p[1].applyAsDouble(-1e30)));
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(p[0].applyAsDouble(-1000)));
        }
        assertEquals(0.0, Activations.sigmoid(Double.NEGATIVE_INFINITY));
        assertEquals(1.0, Activations.sigmoid(Double.POSITIVE_INFINITY));
    }

    /** The derivatives are the derivatives: central differences of the values, on a grid. */
    @Test
    void derivativesMatchFiniteDifferences() {
        double h = 1e-5;
        for (double x = -8; x <= 8; x += 0.125) {
            for (DoubleUnaryOperator[] p : PAIRS) {
                double fd = (p[0].applyAsDouble(x + h) - p[0].applyAsDouble(x - h)) / (2 * h);
                assertEquals(fd, p[1].applyAsDouble(x), 1e-9, "at " + x);
            }
        }
    }
}
