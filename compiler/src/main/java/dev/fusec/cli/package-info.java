/**
 * What the user types: the picocli commands of the fusec launcher, clients of dev.fusec.api where
 * it covers them.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.cli;
