package dev.stillpoint.engine.catalog;

import java.util.Locale;

/** Phases of a backup, in order; their timings are recorded in the catalog. */
public enum Phase {
    PREFLIGHT,
    FREEZE,
    BEGIN,
    THAW,
    COPY,
    END;

    /** Lowercase name as used in the catalog and JSON. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
