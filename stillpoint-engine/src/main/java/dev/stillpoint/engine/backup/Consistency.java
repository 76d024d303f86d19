package dev.stillpoint.engine.backup;

/** Consistency level a backup reached. */
public enum Consistency {
    /** Frozen and the guest reports its application hooks ran and succeeded. */
    APPLICATION("application"),
    /** Filesystems frozen, no (successful) application hooks. */
    FILESYSTEM("filesystem"),
    /** Not quiesced: like pulling the plug. */
    CRASH("crash"),
    /** Domain was shut off: disks read at rest. */
    CLEAN_SHUTDOWN("clean-shutdown");

    private final String label;

    Consistency(String label) { this.label = label; }

    public String label() { return label; }
}
