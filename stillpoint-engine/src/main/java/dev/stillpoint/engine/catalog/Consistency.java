package dev.stillpoint.engine.catalog;

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

    Consistency(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The level with this label, or null for null (a failed backup has none). */
    public static Consistency ofLabel(String label) {
        if (label == null) return null;
        for (Consistency c : values()) if (c.label.equals(label)) return c;
        throw new IllegalArgumentException("unknown consistency '" + label + "'");
    }
}
