package dev.stillpoint.guest;

/** Stable error codes of the guest runner. Names never change; new codes are only added. */
public enum ErrorCode {
    /** guest.conf cannot be parsed (line given). */
    CONFIG_SYNTAX,
    /** guest.conf names an unknown section or key. */
    CONFIG_UNKNOWN_KEY,
    /** guest.conf value has the wrong type or is out of range. */
    CONFIG_BAD_VALUE,
    /** The Azure plugin config failed Azure's own checks; {@link GuestException#azureCode()} has 302-317. */
    AZURE_CONFIG,
    /** A --mount path is not a mount point. */
    MOUNT_NOT_FOUND,
    /** freeze was asked while a freeze is active. */
    ALREADY_FROZEN,
    /** Another stillpoint-guest holds the state lock. */
    LOCKED,
    /** fsfreeze -f failed on a mount (everything was undone). */
    FSFREEZE_FAILED,
    /** A freeze hook failed (everything was undone). */
    HOOK_FAILED,
    /** Thaw completed but a thaw hook or a filesystem thaw failed. */
    THAW_INCOMPLETE,
    /** The state file is unreadable. */
    STATE_CORRUPT,
    /** install/uninstall could not do its work. */
    INSTALL_FAILED,
    /** Bad command-line usage. */
    USAGE,
    /** Unexpected I/O error. */
    IO,
    /** A hook was not run: a file it runs (or a directory above it) is writable by group/others or not root's. */
    HOOK_INSECURE
}
