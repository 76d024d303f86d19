package dev.stillpoint.repository;

import java.io.IOException;
import java.io.InterruptedIOException;

/** A repository error with a stable code the CLI maps to an exit code. */
public class RepositoryException extends IOException {
    /** Stable error codes. */
    public enum Code {
        NOT_FOUND,
        WRONG_PASSWORD,
        CORRUPT,
        LOCKED,
        UNSUPPORTED_VERSION,
        INVALID_ARGUMENT,
        ALREADY_EXISTS,
        /** The repository's filesystem is full ({@code ENOSPC}, or a quota: {@code EDQUOT}); nothing was published. */
        FULL,
        /** Reading or writing the repository's files failed for another reason (an I/O error of its filesystem). */
        IO_ERROR,
        /**
         * The backend refused the request: wrong credentials, or a key without the permission
         * (an append-only key asked to delete or overwrite data, a bucket policy, Object Lock).
         */
        ACCESS_DENIED,
        /** The backend did not answer usefully after the retries (network errors, 5xx, throttling, timeouts). */
        UNAVAILABLE
    }

    private final Code code;

    public RepositoryException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public RepositoryException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    /**
     * {@code e}, met while {@code doing} something with the repository's files, as a repository
     * error: unchanged when it already is one (or an interruption); {@link Code#FULL} when the
     * filesystem is out of space; {@link Code#IO_ERROR} otherwise.
     */
    static IOException ofIo(String doing, IOException e) {
        if (e instanceof RepositoryException || e instanceof InterruptedIOException) return e;
        Code code = outOfSpace(e) ? Code.FULL : Code.IO_ERROR;
        String what = code == Code.FULL ? "repository filesystem full while " : "I/O error while ";
        return new RepositoryException(code, what + doing + ": " + e.getMessage(), e);
    }

    private static boolean outOfSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }
}
