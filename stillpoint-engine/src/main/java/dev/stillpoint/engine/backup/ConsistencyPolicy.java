package dev.stillpoint.engine.backup;

/** What to do when the guest cannot be quiesced (agent missing, freeze error or timeout). */
public enum ConsistencyPolicy {
    /** Thaw and fail the backup. */
    REQUIRED,
    /** Thaw and continue crash-consistent, with a warning (like Azure's continueBackupOnFailure). */
    PREFERRED
}
