/**
 * ONNX models imported as fusec graphs, their initializers written as safetensors, through the
 * classes protoc generates from onnx.proto.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.frontend.onnx;
