/**
 * Graph to graph: the pass pipeline, the generic rewrite driver, dead code and common
 * subexpressions.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.pass;
