package dev.stillpoint.repository;

/**
 * Sizes of a repository.
 *
 * @param snapshots      number of snapshots
 * @param logicalBytes   sum of image sizes of all snapshots
 * @param allocatedBytes sum of non-hole bytes of all snapshots (what a naive copy would store)
 * @param uniqueChunks   distinct chunks referenced by snapshots
 * @param uniqueBytes    plaintext bytes of those distinct chunks
 * @param storedBytes    bytes of all pack files (after compression and encryption)
 * @param packs          number of pack files
 */
public record RepositoryStats(
        int snapshots,
        long logicalBytes,
        long allocatedBytes,
        long uniqueChunks,
        long uniqueBytes,
        long storedBytes,
        int packs) {

    /** allocated / unique: how much deduplication saved (1.0 = nothing). */
    public double dedupRatio() {
        return uniqueBytes == 0 ? 1.0 : (double) allocatedBytes / uniqueBytes;
    }

    /** unique / stored: how much compression saved. */
    public double compressionRatio() {
        return storedBytes == 0 ? 1.0 : (double) uniqueBytes / storedBytes;
    }

    /** allocated / stored: overall saving. */
    public double totalRatio() {
        return storedBytes == 0 ? 1.0 : (double) allocatedBytes / storedBytes;
    }
}
