/**
 * The package generated kernels are defined in (as hidden classes).
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.runtime.kernels;
