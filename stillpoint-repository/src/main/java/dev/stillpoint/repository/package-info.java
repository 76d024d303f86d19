/**
 * Stillpoint's repository: a deduplicating, compressed, optionally encrypted, verifiable store
 * for disk images. Entry points: {@link dev.stillpoint.repository.Repositories#init} and
 * {@link dev.stillpoint.repository.Repositories#open}; then {@link dev.stillpoint.repository.Repository}.
 *
 * <h2>Layers</h2>
 * {@link dev.stillpoint.repository.store.Store} (named objects: a directory, {@code LocalStore},
 * or an S3 bucket, {@link dev.stillpoint.repository.store.S3Store}) under the repository: pack
 * writing ({@code PackWriter}, which knows only a cipher and a sink), the index
 * ({@code ChunkIndex}, {@code IndexCompactor}), manifests, locks ({@code LockManager}: lease
 * objects) and the key file all go through it; {@code FileRepository} ties them together.
 *
 * <h2>Layout of a repository (directory or bucket prefix)</h2>
 * <pre>
 *   config                 plaintext JSON: format, version (3), id, encryption, chunkSize, packSize, compressionLevel, idHash
 *   keys/master.json       encrypted repositories: Argon2id parameters + salt, master key sealed with AES-256-GCM
 *   data/xx/&lt;sha256&gt;       pack files (name = SHA-256 of the file, xx = its first two hex digits)
 *   index/&lt;packId&gt;         per-pack index: chunk id -> offset, length, raw length (rebuildable from the pack header)
 *   snapshots/&lt;sha256&gt;     one manifest per image snapshot (name = SHA-256 of the file)
 *   locks/&lt;random&gt;         one file per lock holder
 *   tmp/                   temp files; renamed into place after fsync
 * </pre>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Images are cut into fixed-size chunks aligned to the image (default 1 MiB): a dirty
 *       extent maps to chunks without reading neighbours, and clones of one template dedup.</li>
 *   <li>A chunk id is BLAKE3 of the plaintext (unencrypted) or keyed BLAKE3 under a secret id
 *       key (encrypted), so ids do not reveal plaintext equality without the key; SHA-256 and
 *       HMAC-SHA256 in repositories of format versions 1 and 2 ({@code idHash sha256}). All-zero
 *       chunks are never stored: the manifest holds a hole marker (32 zero bytes).</li>
 *   <li>Blobs are zstd-compressed (level 2 by default with minMatch 7, fixed at init) when that saves at least
 *       1/64; chunks whose four 4 KiB samples all look random (order-0 entropy &gt; 7.8 bits per
 *       byte, {@code Compressibility}) are stored raw without trying. This is an encoder choice
 *       only: readers handle both blob types, the format does not change.</li>
 *   <li>Every file is written to {@code tmp/}, fsynced and renamed. A pack becomes visible to
 *       dedup only after pack and index are durable; a manifest is written only after all its
 *       chunks are. So a crash leaves at most unreferenced packs (removed by prune), never a
 *       snapshot with missing data.</li>
 *   <li>Reads verify everything: AEAD tags when encrypted, the chunk hash always. Damage is
 *       reported as {@link dev.stillpoint.repository.RepositoryException.Code#CORRUPT}; wrong data is never returned.</li>
 *   <li>Locks: shared for backup, restore and check; exclusive for forget and prune. Stale locks
 *       (expired lease, or dead process on this host) are removed by whoever finds them.</li>
 * </ul>
 * Full description: {@code docs/repository-format.md}.
 */
package dev.stillpoint.repository;
