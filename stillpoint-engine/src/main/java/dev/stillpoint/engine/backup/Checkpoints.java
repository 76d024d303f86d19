package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.function.BiConsumer;

/**
 * Stillpoint's libvirt checkpoints: their names ({@code stillpoint-<UTC time>-<4 hex>}), the
 * chain (only the tip, the newest checkpoint a finished backup recorded, is kept) and pruning
 * (older ones the catalog knows are deleted; other tools' checkpoints never).
 */
final class Checkpoints {
    static final String PREFIX = "stillpoint-";
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Checkpoints() {}

    /** A new checkpoint name for a backup started at {@code startedAt}. */
    static String newName(Instant startedAt) {
        byte[] b = new byte[2];
        RANDOM.nextBytes(b);
        return PREFIX + TIME.format(startedAt) + "-" + HexFormat.of().formatHex(b);
    }

    /**
     * Keeps only the chain tip {@code tip}: deletes older checkpoints the catalog knows (never
     * others'). Problems are warnings ({@code checkpoint-prune}): the backup itself succeeded.
     */
    static void pruneOlder(VmDomain domain, Catalog catalog, String tip, BiConsumer<String, String> warn) {
        if (tip == null) return;
        try {
            for (String cp : domain.checkpoints()) {
                if (cp.equals(tip) || !catalog.knowsCheckpoint(cp)) continue;
                try {
                    domain.deleteCheckpoint(cp);
                } catch (VmException e) {
                    warn.accept("checkpoint-prune", "could not delete older checkpoint " + cp + ": " + e.getMessage());
                }
            }
        } catch (VmException | EngineException e) {
            warn.accept("checkpoint-prune", "could not list checkpoints to prune: " + e.getMessage());
        }
    }

    /**
     * Deletes {@code checkpoint} when the domain has it and no backup recorded it (the cleanup of
     * a failed backup).
     */
    static void deleteUnrecorded(VmDomain domain, Catalog catalog, String checkpoint)
            throws VmException, EngineException {
        if (domain.checkpoints().contains(checkpoint) && !catalog.knowsCheckpoint(checkpoint)) {
            domain.deleteCheckpoint(checkpoint);
        }
    }
}
