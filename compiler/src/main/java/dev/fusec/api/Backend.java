package dev.fusec.api;

/** Where a compiled graph's kernels run. */
public enum Backend {
    /** Java Vector API kernels on this machine's cores. */
    JAVA,
    /** OpenCL C kernels on an OpenCL device (a GPU through its driver, or a CPU through PoCL). */
    OPENCL
}
