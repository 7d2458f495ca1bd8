/**
 * The fusion rules, one small class each, with its algebra in one line.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.pass.rules;
