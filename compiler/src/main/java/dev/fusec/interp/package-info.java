/**
 * The reference interpreter (the oracle), input binding and seeded random inputs.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.interp;
