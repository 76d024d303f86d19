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

    private ExitCodes() {}

    /** Maps exceptions thrown by commands to exit codes and prints one clear line. */
    static final class ExceptionMapper implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
            if (ex instanceof dev.stillpoint.engine.diagnostics.DiagnosticsException) {
                cl.getErr().println("stillpoint: error: " + ex.getMessage());
                return USAGE; // missing, unreadable or malformed input file: the message names it
            }
            cl.getErr().println("stillpoint: error: " + ex.getMessage());
            return FAILURE;
        }
    }
}
