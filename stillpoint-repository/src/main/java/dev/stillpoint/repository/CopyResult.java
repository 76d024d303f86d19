package dev.stillpoint.repository;

import java.util.Map;

/**
 * What {@link Repositories#copy} did.
 *
 * @param snapshotsCopied  snapshots written into the target
 * @param snapshotsSkipped snapshots the target held already (copied before, or the same manifest)
 * @param recordsCopied    records written into the target
 * @param recordsSkipped   records the target held already
 * @param chunksSent       chunks the target lacked and was sent
 * @param chunkBytesSent   their plaintext bytes
 * @param bytesSent        bytes written into the target's packs (compressed, encrypted, with pack headers)
 * @param chunksRead       chunks read and decrypted from the source (ids not derivable without the data)
 * @param sameChunkIds     both repositories name chunks alike (same id key and hash): dedup by id, no reading
 *                         of chunks the target has; otherwise every chunk is re-identified under the target's key
 * @param snapshots        source snapshot id to its copy's id in the target, for every snapshot asked for
 */
public record CopyResult(
        int snapshotsCopied,
        int snapshotsSkipped,
        int recordsCopied,
        int recordsSkipped,
        long chunksSent,
        long chunkBytesSent,
        long bytesSent,
        long chunksRead,
        boolean sameChunkIds,
        Map<String, String> snapshots) {
    public CopyResult {
        snapshots = Map.copyOf(snapshots);
    }
}
