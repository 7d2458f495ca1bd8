/**
 * What a graph is: ops as records under one sealed interface, types, shapes, dims, shape inference.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.ir;
