package dev.stillpoint.engine.diagnostics;

import java.nio.file.Path;

/** A diagnostics input could not be used. The message names the file (and field or line) and the rule. */
public final class DiagnosticsException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Stable codes; the CLI maps them to exit codes (all are "bad input", exit 2). */
    public enum Code {
        /** A named input file does not exist. */
        FILE_NOT_FOUND,
        /** A named input exists but is not a regular file (e.g. a directory). */
        NOT_A_FILE,
        /** Reading failed (permission, I/O error). */
        UNREADABLE,
        /** The file was read but its content breaks the documented format (e.g. a report without freezeWindowMs). */
        BAD_FORMAT,
        /** An option value is out of range. */
        BAD_OPTION
    }

    private final Code code;

    public DiagnosticsException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public DiagnosticsException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    static DiagnosticsException notFound(Path file) {
        return new DiagnosticsException(Code.FILE_NOT_FOUND, file + ": no such file");
    }
}
