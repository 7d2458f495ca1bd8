package dev.fusec.cli;

import dev.fusec.ir.CompileError;
import dev.fusec.ir.SourcePos;
import dev.fusec.runtime.OutputFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files one command writes, through {@link OutputFiles}: each path is claimed (checked, its
 * temporary file made) before the work starts, and all are written together at the end, or none.
 * An error names the path as the user gave it.
 */
final class OutputPaths implements AutoCloseable {
    private final Map<Path, OutputFiles.Target> claimed = new LinkedHashMap<>();
    private final OutputFiles.Batch batch = new OutputFiles.Batch();

    /** Checks that {@code path} can be written; a second claim of the same path is the same target. */
    OutputPaths claim(Path path) {
        if (!claimed.containsKey(path)) {
            try {
                claimed.put(path, OutputFiles.check(path));
            } catch (OutputFiles.Unwritable e) {
                throw error(path, e.getMessage());
            }
        }
        return this;
    }

    /** Whether any claimed path is standard output ({@code -}). */
    boolean toStdout() {
        return claimed.keySet().stream().anyMatch(OutputFiles::isStdout);
    }

    /** Writes the content of a claimed path (to its temporary file, or held until {@link #commit}). */
    void put(Path path, OutputFiles.Content content) {
        OutputFiles.Target t = claimed.get(path);
        if (t == null) {
            throw new IllegalStateException("output " + path + " was not claimed before the work");
        }
        try {
            batch.add(t, content);
        } catch (IOException e) {
            throw error(path, "cannot write: " + e.getMessage());
        }
    }

    /** Puts every output in place. */
    void commit() {
        try {
            batch.commit();
        } catch (OutputFiles.WriteFailed e) {
            throw error(e.given(), "cannot write: " + e.getMessage());
        } catch (IOException e) {
            throw error(claimed.keySet().iterator().next(), "cannot write: " + e.getMessage());
        }
    }

    /** Removes the temporary files of whatever was not committed. */
    @Override
    public void close() {
        try {
            batch.close();
            for (OutputFiles.Target t : claimed.values()) {
                OutputFiles.discard(t);
            }
        } catch (IOException ignored) {
            // A temporary file that cannot be removed now is removed when the process ends.
        }
    }

    private static CompileError error(Path path, String message) {
        return new CompileError(SourcePos.startOf(path.toString()), message);
    }
}
