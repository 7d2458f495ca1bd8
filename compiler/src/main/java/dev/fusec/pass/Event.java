package dev.fusec.pass;

import dev.fusec.ir.SourcePos;

/** One line of {@code --explain}: a rule fired at a site, or did not and why. */
public record Event(String pass, String rule, SourcePos pos, String opName, boolean fired, String detail) {
    public String render() {
        return String.format("%-6s %-16s %-22s %-9s %s", pos.lineCol(), pass, rule, fired ? "fired" : "not fired",
                (fired ? "" : "(" + opName + ") ") + detail);
    }
}
