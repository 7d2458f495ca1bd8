package dev.fusec.runtime;

/** One generated kernel: its simple class name (in the kernels package) and its Java source. */
public record KernelSource(String className, String source) {}
