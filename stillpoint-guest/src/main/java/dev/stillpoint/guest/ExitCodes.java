package dev.stillpoint.guest;

/**
 * Exit codes of {@code stillpoint-guest}, defined only here and published in docs/hooks.md.
 * <pre>
 *   0       success (thaw with nothing frozen is a success)
 *   1       unexpected internal error
 *   2       bad command line or bad input (config file, Azure JSON, --mount); message names file/field
 *   3       doctor found at least one error
 *   4       filesystem freeze failed; hooks and filesystems were undone
 *   5       thaw finished, but a thaw hook or a filesystem thaw failed
 *   6       freeze refused: already frozen, or another stillpoint-guest holds the lock
 *   64-125  freeze hook number (code - 63) in freeze order failed; everything was undone
 *           (125 = hook 62 or later); the report and stderr name the hook
 * </pre>
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int INTERNAL = 1;
    public static final int BAD_INPUT = 2;
    public static final int DOCTOR_ERRORS = 3;
    public static final int FSFREEZE_FAILED = 4;
    public static final int THAW_INCOMPLETE = 5;
    public static final int BUSY = 6;
    public static final int HOOK_BASE = 64;

    private ExitCodes() {}

    /** Exit code for a failed freeze hook at 1-based position {@code index} in freeze order. */
    public static int hookFailed(int index) {
        return Math.min(HOOK_BASE + index - 1, 125);
    }

    public static int of(GuestException e) {
        if (e.exitCode() >= 0) return e.exitCode();
        switch (e.code()) {
            case CONFIG_SYNTAX:
            case CONFIG_UNKNOWN_KEY:
            case CONFIG_BAD_VALUE:
            case AZURE_CONFIG:
            case MOUNT_NOT_FOUND:
            case USAGE:
            case STATE_CORRUPT:
                return BAD_INPUT;
            case ALREADY_FROZEN:
            case LOCKED:
                return BUSY;
            case FSFREEZE_FAILED:
                return FSFREEZE_FAILED;
            case THAW_INCOMPLETE:
                return THAW_INCOMPLETE;
            default:
                return INTERNAL;
        }
    }
}
