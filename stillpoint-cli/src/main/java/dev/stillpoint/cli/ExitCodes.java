package dev.stillpoint.cli;

import picocli.CommandLine;

/**
 * The one exit-code table of {@code stillpoint}; published in docs/scripting.md.
 * Every exception that reaches the command line is mapped here and nowhere else.
 */
public final class ExitCodes {
    public static final int OK = 0;
    /** Unexpected internal error. */
    public static final int FAILURE = 1;
    /** Bad command line or bad input file (picocli's usage code). */
    public static final int USAGE = 2;
    /** Repository: no repository, snapshot or file where named. */
    public static final int REPO_NOT_FOUND = 10;
    /** Repository: wrong or missing passphrase. */
    public static final int REPO_WRONG_PASSWORD = 11;
    /** Repository: damaged data or metadata (also: check found errors). */
    public static final int REPO_CORRUPT = 12;
    /** Repository: locked by another process (e.g. prune while a backup runs). */
    public static final int REPO_LOCKED = 13;
    /** Repository: format version or feature this build does not support. */
    public static final int REPO_UNSUPPORTED_VERSION = 14;
    /** Repository (or restore target) already exists. */
    public static final int REPO_ALREADY_EXISTS = 15;

    private ExitCodes() {}

    /** Exit code of a repository error code. */
    public static int forRepository(dev.stillpoint.repository.RepositoryException.Code code) {
        return switch (code) {
            case NOT_FOUND -> REPO_NOT_FOUND;
            case WRONG_PASSWORD -> REPO_WRONG_PASSWORD;
            case CORRUPT -> REPO_CORRUPT;
            case LOCKED -> REPO_LOCKED;
            case UNSUPPORTED_VERSION -> REPO_UNSUPPORTED_VERSION;
            case INVALID_ARGUMENT -> USAGE;
            case ALREADY_EXISTS -> REPO_ALREADY_EXISTS;
        };
    }

    /** Maps exceptions thrown by commands to exit codes and prints one clear line. */
    static final class ExceptionMapper implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
            if (ex instanceof dev.stillpoint.repository.RepositoryException re) {
                cl.getErr().println("stillpoint: error: " + ex.getMessage());
                return forRepository(re.code());
            }
            if (ex instanceof dev.stillpoint.engine.diagnostics.DiagnosticsException) {
                cl.getErr().println("stillpoint: error: " + ex.getMessage());
                return USAGE; // missing, unreadable or malformed input file: the message names it
            }
            cl.getErr().println("stillpoint: error: " + ex.getMessage());
            return FAILURE;
        }
    }
}
