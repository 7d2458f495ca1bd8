package dev.fusec.codegen;

/**
 * Rows side by side. A kernel whose rows all read one row of another operand (a bias, the {@code [N]}
 * of a broadcast add) walks a band of rows at once, so each vector of that row is loaded once for
 * the band rather than again from L2 for every row. The generated class holds the band's size as
 * {@code BAND}; a band starts at row {@code r0}.
 */
final class Bands {
    private Bands() {}

    /**
     * Rows in a band of the forward SwiGLU family and of the elementwise kernels: four shared each
     * bias vector of bias_swiglu at 0.39-0.48 ns per element from memory against 0.63-0.70 one row
     * at a time (two gained half as much, eight lost; a band whose size is a variable lost too).
     */
    static final int ROWS = 4;

    /** {@code call;} for each full band from row r up to {@code to}, leaving r at the first row past them. */
    static String whole(String call) {
        return "for (; r + BAND <= to; r += BAND) {\n    " + call + ";\n}";
    }

    /** {@code body} for each row r of the band, counted by {@code index} (0 to BAND - 1). */
    static String eachRow(String index, String body) {
        return "for (int " + index + " = 0; " + index + " < BAND; " + index + "++) {\n    final int r = r0 + " + index + ";\n    "
                + JavaText.nested(body, 4) + "\n}";
    }
}
