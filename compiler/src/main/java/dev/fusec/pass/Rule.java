package dev.fusec.pass;

import dev.fusec.ir.Op;

/**
 * One rewrite: a root op kind, a match function over a {@link Site}, and the algebra it implements as
 * one line ({@code mul(silu(split(y).0), split(y).1) -> swiglu(y)}). A rule never mutates; the
 * {@link RewriteDriver} applies what it returns.
 */
public interface Rule {
    /** Short, stable name, used by {@code --disable-rule} and in explanations. */
    String name();

    /** The rewrite in one line of algebra. */
    String algebra();

    /** The op kind at the root of the pattern; the driver offers the rule only those nodes. */
    Class<? extends Op> root();

    Match match(Site site);
}
