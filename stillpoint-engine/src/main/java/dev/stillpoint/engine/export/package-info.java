/**
 * Serving backups as NBD exports. {@link dev.stillpoint.engine.export.BackupExport} opens the
 * disks of one catalog backup (one repository snapshot each) and serves them read-only through the
 * protocol server of {@code dev.stillpoint.qemu.nbd} (which knows nothing of repositories), one
 * export per disk named by its target.
 *
 * <p>{@code ImageExportSource} adapts an {@link dev.stillpoint.repository.ImageReader}: the
 * snapshot's chunk map gives {@code base:allocation} (a chunk without data, including one that was
 * all zeroes at backup time, is {@code NBD_STATE_HOLE | NBD_STATE_ZERO}; holes read as zeroes
 * without touching the repository); data is decoded per chunk with
 * {@link dev.stillpoint.repository.ImageReader#readChunk}, in parallel on the server's workers.
 * Partial-chunk reads (a booting guest, {@code qemu-io}) go through {@code ChunkCache}, a bounded
 * LRU of decoded chunks that decodes a chunk once however many readers wait for it; whole-chunk
 * reads (a sequential copy) bypass it through one scratch chunk per worker, so a copy neither
 * evicts the cache nor allocates per chunk. Memory: the cache size plus the server's bounded reads
 * in flight, whatever the disk size.
 *
 * <p>The repository stays open with a shared lock while serving: {@code prune} (exclusive) waits.
 */
package dev.stillpoint.engine.export;
