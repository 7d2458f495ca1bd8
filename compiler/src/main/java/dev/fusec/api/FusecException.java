package dev.fusec.api;

import dev.fusec.ir.CompileError;

/**
 * Bad input to fusec, with the place it was found: a line and column of an IR file, or the start of
 * the file, model or tensor the message names. Never thrown for a bug in fusec itself.
 */
public final class FusecException extends RuntimeException {
    private final String file;
    private final int line;
    private final int column;

    FusecException(CompileError e) {
        super(e.getMessage(), null, false, false);
        this.file = e.pos().file();
        this.line = e.pos().line();
        this.column = e.pos().col();
    }

    /** The file (or source name given to {@link FusecGraph#parse(String, String)}) the error is in. */
    public String file() {
        return file;
    }

    /** 1-based line. */
    public int line() {
        return line;
    }

    /** 1-based column. */
    public int column() {
        return column;
    }

    /** {@code FILE:LINE:COL: error: MESSAGE}, on one line. */
    public String render() {
        return (file + ":" + line + ":" + column + ": error: " + getMessage()).replace('\n', ' ').replace('\r', ' ');
    }

    /** Runs {@code body}, turning fusec's internal error type into this one at the API's edge. */
    static <T> T translate(java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (CompileError e) {
            throw new FusecException(e);
        }
    }
}
