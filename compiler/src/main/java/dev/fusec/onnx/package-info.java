/**
 * ONNX export of fusec graphs and ONNX Runtime as a benchmark peer.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.onnx;
