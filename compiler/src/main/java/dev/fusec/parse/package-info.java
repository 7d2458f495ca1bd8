/**
 * IR text to graph and back: the ANTLR parser (its tree never leaves this package) and the printer.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.parse;
