/**
 * fusec bench: timing fused against unfused and peers, the machine's measured limits, reports.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.bench;
