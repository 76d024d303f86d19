package dev.stillpoint.repository;

import java.io.IOException;

/** A repository error with a stable code the CLI maps to an exit code. */
public class RepositoryException extends IOException {
    /** Stable error codes. */
    public enum Code { NOT_FOUND, WRONG_PASSWORD, CORRUPT, LOCKED, UNSUPPORTED_VERSION, INVALID_ARGUMENT, ALREADY_EXISTS }

    private final Code code;

    public RepositoryException(Code code, String message) { super(message); this.code = code; }

    public RepositoryException(Code code, String message, Throwable cause) { super(message, cause); this.code = code; }

    public Code code() { return code; }
}
