package dev.stillpoint.repository;

import java.util.List;

/**
 * Result of {@link Repository#check}. The repository is healthy when {@link #ok()}; warnings
 * (e.g. unreferenced packs left by an interrupted backup) do not affect restores.
 *
 * @param snapshots     snapshots examined
 * @param packs         indexed packs
 * @param packsRead     packs whose data was read and verified
 * @param bytesRead     bytes of pack data read
 * @param errors        problems that make data unreadable or the structure inconsistent
 * @param warnings      harmless findings
 * @param damagedChunks every damaged or missing chunk with the snapshots that use it
 */
public record CheckReport(
        int snapshots,
        int packs,
        int packsRead,
        long bytesRead,
        List<String> errors,
        List<String> warnings,
        List<DamagedChunk> damagedChunks) {

    /** A chunk that cannot be read back, and every snapshot (id) that needs it. */
    public record DamagedChunk(String chunkId, String packId, String reason, List<String> snapshotIds) {}

    public boolean ok() {
        return errors.isEmpty() && damagedChunks.isEmpty();
    }
}
