package dev.stillpoint.repository;

/**
 * Result of {@link Repository#prune}.
 *
 * @param packsDeleted   packs removed (unreferenced, unindexed orphans, and repacked originals)
 * @param packsRepacked  partly used packs whose live chunks were copied to new packs
 * @param packsWritten   new packs written by repacking
 * @param chunksRemoved  unreferenced chunks dropped
 * @param bytesFreed     net bytes of pack files removed
 * @param tmpFilesRemoved leftovers of interrupted writes removed from {@code tmp/}
 */
public record PruneResult(
        int packsDeleted,
        int packsRepacked,
        int packsWritten,
        long chunksRemoved,
        long bytesFreed,
        int tmpFilesRemoved) {}
