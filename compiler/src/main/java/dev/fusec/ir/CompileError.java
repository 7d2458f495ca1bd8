package dev.fusec.ir;

/**
 * Bad input, with the place it was found. The CLI prints {@link #render()} as one line and exits 1;
 * nothing else reaches the user, so every check that can fail on user input throws this.
 */
public final class CompileError extends RuntimeException {
    private final SourcePos pos;

    public CompileError(SourcePos pos, String message) {
        super(message, null, false, false);
        this.pos = pos;
    }

    public SourcePos pos() {
        return pos;
    }

    /** {@code FILE:LINE:COL: error: MESSAGE}, on one line whatever the message holds. */
    public String render() {
        // The file name too: a path may hold a newline, and the line must stay one line.
        return (pos + ": error: " + getMessage()).replace('\n', ' ').replace('\r', ' ');
    }
}
