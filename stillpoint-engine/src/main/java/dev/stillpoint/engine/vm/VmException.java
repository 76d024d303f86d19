package dev.stillpoint.engine.vm;

/** A hypervisor-side error with a stable code. */
public class VmException extends Exception {
    /** Stable codes; the CLI maps them to exit codes. */
    public enum Code {
        NOT_FOUND,
        /** A named snapshot of the domain does not exist. */
        SNAPSHOT_NOT_FOUND,
        AGENT_UNAVAILABLE,
        FREEZE_FAILED,
        FREEZE_TIMEOUT,
        CHECKPOINT_INVALID,
        BACKUP_FAILED,
        OPERATION_FAILED,
        CONNECTION_FAILED
    }

    private final Code code;

    public VmException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public VmException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
