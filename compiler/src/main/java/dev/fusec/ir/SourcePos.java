package dev.fusec.ir;

/** A place in an IR source file, 1-based, as compilers print it: {@code file:line:col}. */
public record SourcePos(String file, int line, int col) {
    public static final SourcePos NONE = new SourcePos("<unknown>", 1, 1);

    public static SourcePos startOf(String file) {
        return new SourcePos(file, 1, 1);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + col;
    }

    /** {@code line:col}, for explanations that already name the file. */
    public String lineCol() {
        return line + ":" + col;
    }
}
