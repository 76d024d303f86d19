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
    /** Diagnostics: the analysis worked and found a risk ({@code analyze stun --qos-timeout}: a stun at risk or failover). */
    public static final int AT_RISK = 3;
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
    /** Repository: its filesystem is full (ENOSPC); nothing half-written became visible. */
    public static final int REPO_FULL = 16;
    /** Repository: reading or writing its files failed (an I/O error of its filesystem). */
    public static final int REPO_IO_ERROR = 17;

    // VM backup/restore (dev.stillpoint.engine, dev.stillpoint.engine.vm)
    /** Domain not found on the connection. */
    public static final int VM_NOT_FOUND = 20;
    /**
     * Guest could not be quiesced and --consistency required (agent missing, freeze failed or timed out); or the
     * guest's own policy fails the backup (Azure continueBackupOnFailure: false), whatever --consistency.
     */
    public static final int QUIESCE_FAILED = 21;
    /** The backup/restore job failed (hypervisor, NBD copy, qemu-img/qemu-nbd, domain state, no disks). */
    public static final int JOB_FAILED = 22;
    /** Cannot reach the hypervisor (no connector, connection refused). */
    public static final int HYPERVISOR_UNAVAILABLE = 23;
    /** No backup with that id in the catalog, or the prefix is ambiguous. */
    public static final int BACKUP_NOT_FOUND = 24;
    /** The catalog database cannot be read or written. */
    public static final int CATALOG_FAILED = 25;
    /** A restore target (file or domain name) already exists. */
    public static final int TARGET_EXISTS = 26;
    /** Another Stillpoint run works on the domain right now (one backup of a domain at a time). */
    public static final int DOMAIN_BUSY = 27;
    /** An NBD export could not be served ({@code export}: socket in use, cannot listen). */
    public static final int EXPORT_FAILED = 28;
    /** {@code verify --boot}: a restore point did not pass (the result names the failed check). */
    public static final int VERIFY_FAILED = 29;
    /** A guest path asked for is not in the restore point ({@code files}, {@code restore --files}). */
    public static final int PATH_NOT_FOUND = 30;
    /** Cancelled by Ctrl-C or SIGTERM (after cleanup). */
    public static final int CANCELLED = 130;

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
            case FULL -> REPO_FULL;
            case IO_ERROR -> REPO_IO_ERROR;
        };
    }

    /** Exit code for engine and VM exceptions, or -1 when {@code ex} is neither. */
    static int engineCode(Throwable ex) {
        if (ex instanceof dev.stillpoint.engine.vm.VmException v) {
            return switch (v.code()) {
                case NOT_FOUND -> VM_NOT_FOUND;
                case AGENT_UNAVAILABLE, FREEZE_FAILED, FREEZE_TIMEOUT -> QUIESCE_FAILED;
                case CONNECTION_FAILED -> HYPERVISOR_UNAVAILABLE;
                case CHECKPOINT_INVALID, BACKUP_FAILED, OPERATION_FAILED -> JOB_FAILED;
            };
        }
        if (ex instanceof dev.stillpoint.engine.EngineException e) {
            return switch (e.code()) {
                case INVALID_ARGUMENT -> USAGE;
                case QUIESCE_FAILED -> QUIESCE_FAILED;
                case DOMAIN_STATE, NO_DISKS, COPY_FAILED, TOOL_FAILED -> JOB_FAILED;
                case CANCELLED -> CANCELLED;
                case BACKUP_NOT_FOUND, AMBIGUOUS_ID -> BACKUP_NOT_FOUND;
                case CATALOG, STATE_DIR -> CATALOG_FAILED;
                case ALREADY_EXISTS -> TARGET_EXISTS;
                case DOMAIN_BUSY -> DOMAIN_BUSY;
                case EXPORT_FAILED -> EXPORT_FAILED;
                case GUEST_PATH_NOT_FOUND -> PATH_NOT_FOUND;
            };
        }
        return -1;
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
            int engine = engineCode(ex);
            if (engine >= 0) {
                cl.getErr().println("stillpoint: error: " + ex.getMessage());
                return engine;
            }
            cl.getErr().println("stillpoint: error: " + ex.getMessage());
            return FAILURE;
        }
    }
}
