package dev.stillpoint.engine;

/** An engine (job or catalog) error with a stable code the CLI maps to an exit code. */
public class EngineException extends Exception {

    /** Stable codes; see docs/scripting.md for the exit codes they map to. */
    public enum Code {
        /** A value given by the caller breaks a rule (the message names it). */
        INVALID_ARGUMENT,
        /** Domain in a state the job cannot work with (e.g. crashed). */
        DOMAIN_STATE,
        /** The domain has no disk that can be backed up. */
        NO_DISKS,
        /** Consistency "required" and the guest could not be quiesced. */
        QUIESCE_FAILED,
        /** Reading a disk or writing the repository failed. */
        COPY_FAILED,
        /** An external program (qemu-img, qemu-nbd) failed. */
        TOOL_FAILED,
        /** The job was cancelled (Ctrl-C, SIGTERM). */
        CANCELLED,
        /** No backup in the catalog matches the given id. */
        BACKUP_NOT_FOUND,
        /** The id prefix matches more than one backup. */
        AMBIGUOUS_ID,
        /** The catalog database cannot be read or written. */
        CATALOG,
        /** A restore target file already exists. */
        ALREADY_EXISTS,
        /** Another live Stillpoint run works on the domain (one backup of a domain at a time). */
        DOMAIN_BUSY,
        /** The state directory (run journals, domain locks) cannot be read or written. */
        STATE_DIR,
        /** An NBD export could not be served (socket in use, cannot listen). */
        EXPORT_FAILED,
        /** A guest path asked for is not in the restore point (files, restore --files). */
        GUEST_PATH_NOT_FOUND
    }

    private final Code code;

    public EngineException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public EngineException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
