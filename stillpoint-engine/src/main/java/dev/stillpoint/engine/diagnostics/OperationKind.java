package dev.stillpoint.engine.diagnostics;

/** The snapshot operation a group of stuns belongs to. */
public enum OperationKind {
    /** Taking a snapshot: the VM is stunned to create the redo logs (delta disks). */
    CREATE,
    /** Removing a snapshot: the delta disks are consolidated into their parents, usually one stun per disk or more. */
    CONSOLIDATE;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
