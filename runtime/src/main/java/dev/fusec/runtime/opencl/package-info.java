/**
 * The OpenCL host: bindings to libOpenCL.so.1 through java.lang.foreign, devices, contexts with one
 * profiling queue, program builds and their binary cache, and the device executor. Knows nothing of
 * the IR.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.runtime.opencl;
