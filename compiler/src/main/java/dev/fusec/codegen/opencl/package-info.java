/**
 * Graph to OpenCL C: the kernel generators of the OpenCL target, and the compiled graph that lays
 * out device programs and runs them (docs/opencl.md).
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.codegen.opencl;
