package dev.stillpoint.testkit.lab;

/** A lab operation failed; {@link #code()} says which kind of failure. */
public final class GuestLabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Stable failure kinds. */
    public enum Code {
        /** The repository root or {@code scripts/lab} was not found. */
        ROOT_NOT_FOUND,
        /** A lab script or host program exited unsuccessfully. */
        SCRIPT_FAILED,
        /** A guest command exited with a non-zero status where success was required. */
        GUEST_COMMAND_FAILED,
        /** Waiting for a script, a guest command or the guest agent took too long. */
        TIMEOUT,
        /** The calling thread was interrupted while waiting. */
        INTERRUPTED,
        /** Local I/O failed (temp files, process pipes). */
        IO
    }

    private final Code code;

    GuestLabException(Code code, String message) {
        super(message);
        this.code = code;
    }

    GuestLabException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
