/**
 * Model readers in front of the IR: binding a graph's {@code weight("...")} inputs to a checkpoint's
 * tensors; {@code frontend.hf} turns Hugging Face folders into graphs.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.frontend;
