package dev.fusec.api;

/** How a compiled graph runs. */
public enum Mode {
    /** The reference interpreter: scalar, double accumulation, the oracle the kernels are tested against. Slow. */
    INTERP,
    /** Generated kernels, one per op of the graph as written (fusion off). */
    UNFUSED,
    /** Generated kernels for the fused graph. */
    FUSED
}
