/**
 * Hugging Face model folders (config.json and safetensors) imported as FFN graphs: Llama, Mistral,
 * Qwen2, Phi-3, Mixtral and gpt-oss.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.frontend.hf;
