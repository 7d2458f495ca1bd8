/**
 * Graphviz DOT of a graph, fused nodes as clusters of what they absorbed.
 *
 * <p>Internal to fusec: no compatibility promise from one version to the next. Programs that embed
 * fusec use {@code dev.fusec.api}.
 */
package dev.fusec.viz;
