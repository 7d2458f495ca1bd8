/**
 * Source to running kernels: tensors, the in-memory compiler and loader, the kernel cache, the
 * executor and its liveness planner, the thread pool. Knows nothing of the IR.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.runtime;
