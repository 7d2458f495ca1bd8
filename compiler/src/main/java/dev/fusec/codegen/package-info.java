/**
 * Graph to kernel source: the JavaPoet generators and the compiled graph that lays out programs.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.codegen;
