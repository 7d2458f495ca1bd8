package dev.fusec.pass.rules;

import dev.fusec.ir.Op;
import dev.fusec.pass.Match;
import dev.fusec.pass.Site;

/** For the rules rooted at a mul, which may find their pattern with the operands either way round. */
final class MulOperands {
    private MulOperands() {}

    /** What one order of the operands gives: a match, or null to try the other order. */
    interface Order {
        Match match(String first, String second);
    }

    /**
     * {@code order} at the mul's operands (a, b), then, where that gave null, at (b, a); NOT_APPLICABLE
     * where both gave null or the root is not a mul.
     */
    static Match eitherOrder(Site s, Order order) {
        Op.Binary mul = (Op.Binary) s.op();
        if (mul.kind() != Op.BinaryKind.MUL) {
            return Match.NOT_APPLICABLE;
        }
        Match m = order.match(mul.a(), mul.b());
        if (m == null) {
            m = order.match(mul.b(), mul.a());
        }
        return m == null ? Match.NOT_APPLICABLE : m;
    }
}
