package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** The repository on a local (or mounted) filesystem. See package-info for the layout. */
final class FileRepository implements Repository {
    static final List<String> DIRS = List.of("data", "index", "snapshots", "locks", "tmp");

    private final Path root;
    private volatile RepoConfig config;
    private final Crypto crypto;
    private final ChunkIndex index;
    private volatile boolean indexRead;
    private final LockManager locks;
    private final ExecutorService workers;
    private final int threads;

    private FileRepository(Path root, RepoConfig config, Crypto crypto, ChunkIndex index) {
        this.root = root;
        this.config = config;
        this.crypto = crypto;
        this.index = index;
        this.locks = new LockManager(root);
        this.threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "stillpoint-repo-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    static FileRepository create(Path root, RepositoryOptions o) throws IOException {
        o.validate();
        JitWarmup.startForIds(o.idHash());
        root = root.toAbsolutePath();
        if (Files.exists(root.resolve("config")))
            throw new RepositoryException(RepositoryException.Code.ALREADY_EXISTS, "a repository already exists at " + root);
        if (Files.isDirectory(root)) {
            try (var s = Files.list(root)) {
                if (s.findAny().isPresent())
                    throw new RepositoryException(RepositoryException.Code.ALREADY_EXISTS, root + " exists and is not empty; choose an empty or new directory");
            }
        } else if (Files.exists(root)) {
            throw new RepositoryException(RepositoryException.Code.ALREADY_EXISTS, root + " exists and is not a directory");
        }
        for (String d : DIRS) Files.createDirectories(root.resolve(d));
        String id = Hex.of(Crypto.random(16));
        RepoConfig config = new RepoConfig(RepoConfig.VERSION, id, o.encryption().id(), o.chunkSize(), o.packSize(), o.compressionLevel(), o.idHash());
        Crypto crypto = Crypto.none(o.idHash());
        if (o.encryption() == RepositoryOptions.Encryption.AES_256_GCM)
            crypto = Crypto.aes(KeyFile.create(root, id, o.password(), o.kdfMemoryKiB(), o.kdfIterations()), o.idHash());
        // the config is written last: its presence marks a complete repository
        AtomicFiles.write(root.resolve("tmp"), root.resolve("config"), config.toJson());
        AtomicFiles.fsyncDir(root);
        return new FileRepository(root, config, crypto, new ChunkIndex());
    }

    static FileRepository open(Path root, char[] password) throws IOException {
        root = root.toAbsolutePath();
        RepoConfig config = RepoConfig.read(root);
        JitWarmup.startForIds(config.idHash()); // overlaps the key derivation
        Crypto crypto = config.encrypted() ? Crypto.aes(KeyFile.unlock(root, config.id(), password), config.idHash()) : Crypto.none(config.idHash());
        for (String d : DIRS) {
            if (d.equals("locks") || d.equals("tmp")) { Files.createDirectories(root.resolve(d)); continue; }
            if (!Files.isDirectory(root.resolve(d)))
                throw new RepositoryException(RepositoryException.Code.CORRUPT, root.resolve(d) + ": missing directory of the repository");
        }
        // the index is read when an operation needs it (listing or forgetting snapshots does not)
        return new FileRepository(root, config, crypto, new ChunkIndex());
    }

    Path root() { return root; }

    RepoConfig config() { return config; }

    /**
     * Makes a version-1 repository version 2 (index sets allowed); exclusive lock only. Version-1
     * builds then refuse to open it ({@code UNSUPPORTED_VERSION}) instead of misreading it.
     */
    void upgradeFormat() throws IOException {
        RepoConfig c = config;
        if (c.version() >= RepoConfig.INDEX_SETS_VERSION) return;
        RepoConfig up = c.withVersion(RepoConfig.INDEX_SETS_VERSION);
        AtomicFiles.write(tmpDir(), root.resolve("config"), up.toJson());
        config = up;
    }

    Crypto crypto() { return crypto; }

    /** Brings the in-memory index up to date with {@code index/} (under the operation's lock). */
    void refreshIndex() throws IOException {
        index.refresh(root, crypto);
        indexRead = true;
    }

    /** The in-memory index, read from {@code index/} on first use (operations refresh it under their lock). */
    ChunkIndex index() {
        if (!indexRead) {
            synchronized (this) {
                if (!indexRead) {
                    try {
                        refreshIndex();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("cannot read " + root.resolve("index") + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return index;
    }

    LockManager locks() { return locks; }

    ExecutorService workers() { return workers; }

    int threads() { return threads; }

    Path tmpDir() { return root.resolve("tmp"); }

    Path packPath(String id) { return root.resolve("data").resolve(id.substring(0, 2)).resolve(id); }

    /** Every entry of the pack directories {@code data/xx/}; callers decide which names are packs. */
    List<Path> dataFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> top = Files.newDirectoryStream(root.resolve("data"))) {
            for (Path d : top) {
                if (!Files.isDirectory(d)) continue;
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
                    for (Path p : ds) out.add(p);
                }
            }
        }
        return out;
    }

    Path indexPath(String id) { return root.resolve("index").resolve(id); }

    Path snapshotPath(String id) { return root.resolve("snapshots").resolve(id); }

    /** Open pack channels (positional reads are thread-safe), at most {@link #MAX_CHANNELS}, access order. */
    private static final int MAX_CHANNELS = 16;
    private final java.util.LinkedHashMap<String, FileChannel> channels = new java.util.LinkedHashMap<>(32, 0.75f, true);

    private FileChannel channel(String packId) throws IOException {
        synchronized (channels) {
            FileChannel c = channels.get(packId);
            if (c != null && c.isOpen()) return c;
            c = FileChannel.open(packPath(packId), StandardOpenOption.READ);
            channels.put(packId, c);
            if (channels.size() > MAX_CHANNELS) {
                var it = channels.entrySet().iterator();
                var eldest = it.next();
                it.remove();
                eldest.getValue().close(); // a reader still using it retries with a fresh channel
            }
            return c;
        }
    }

    private void forgetChannel(String packId, FileChannel c) {
        synchronized (channels) {
            if (channels.get(packId) == c) channels.remove(packId);
        }
    }

    /** Reads, decrypts, decompresses and verifies one chunk. */
    byte[] readChunk(ChunkId id) throws IOException {
        ChunkIndex.Location loc = location(id);
        byte[] raw = new byte[loc.rawLength()];
        readChunk(id, loc, new byte[loc.length()], raw);
        return raw;
    }

    /** Per-thread buffers for stored blobs of {@link #readChunkInto} (bounded: one per thread). */
    private static final ThreadLocal<byte[]> BLOB_SCRATCH = new ThreadLocal<>();

    /**
     * Reads and verifies a chunk into {@code raw} (at least its raw length; a stored blob goes
     * through a per-thread buffer, so no garbage per chunk). Returns the raw length.
     */
    int readChunkInto(ChunkId id, byte[] raw) throws IOException {
        ChunkIndex.Location loc = location(id);
        if (raw.length < loc.rawLength())
            throw new RepositoryException(RepositoryException.Code.CORRUPT, "chunk " + id.hex() + ": raw length " + loc.rawLength() + " exceeds the chunk size " + raw.length);
        byte[] blob = BLOB_SCRATCH.get();
        if (blob == null || blob.length < loc.length()) { blob = new byte[Math.max(loc.length(), Crypto.segmentedLength(raw.length + 1))]; BLOB_SCRATCH.set(blob); }
        readChunk(id, loc, blob, raw);
        return loc.rawLength();
    }

    private ChunkIndex.Location location(ChunkId id) throws RepositoryException {
        ChunkIndex.Location loc = index.get(id);
        if (loc == null)
            throw new RepositoryException(RepositoryException.Code.CORRUPT, "chunk " + id.hex() + " is missing (not in any indexed pack)");
        return loc;
    }

    /**
     * Reads the chunk from the copy at {@code loc}, or, when that copy is missing or damaged
     * (CORRUPT), from another copy (a chunk is stored twice after concurrent backups or an
     * interrupted prune, until the next prune); the first failure is thrown when none reads.
     */
    private void readChunk(ChunkId id, ChunkIndex.Location loc, byte[] blob, byte[] raw) throws IOException {
        try {
            readCopy(id, loc, blob, raw);
        } catch (RepositoryException e) {
            if (e.code() != RepositoryException.Code.CORRUPT) throw e;
            for (ChunkIndex.Location other : index.copies(id)) {
                if (other.packId().equals(loc.packId()) || other.rawLength() != loc.rawLength()) continue;
                try {
                    readCopy(id, other, blob.length >= other.length() ? blob : new byte[other.length()], raw);
                    return;
                } catch (RepositoryException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    /** Reads the stored blob into {@code blob[0, loc.length())} and decodes it into {@code raw}. */
    private void readCopy(ChunkId id, ChunkIndex.Location loc, byte[] blob, byte[] raw) throws IOException {
        for (int attempt = 0; ; attempt++) {
            FileChannel ch;
            try {
                ch = channel(loc.packId());
            } catch (NoSuchFileException e) {
                throw new RepositoryException(RepositoryException.Code.CORRUPT, "chunk " + id.hex() + ": pack " + loc.packId() + " is missing");
            } catch (IOException e) {
                throw RepositoryException.ofIo("opening pack " + loc.packId(), e);
            }
            try {
                ByteBuffer b = ByteBuffer.wrap(blob, 0, loc.length());
                while (b.hasRemaining()) {
                    if (ch.read(b, loc.offset() + b.position()) < 0)
                        throw new RepositoryException(RepositoryException.Code.CORRUPT, "chunk " + id.hex() + ": pack " + loc.packId() + " is truncated");
                }
                break;
            } catch (java.nio.channels.ClosedChannelException e) {
                forgetChannel(loc.packId(), ch);
                if (attempt >= 3 || Thread.currentThread().isInterrupted()) throw e;
            } catch (IOException e) {
                throw RepositoryException.ofIo("reading chunk " + id.hex() + " from pack " + loc.packId(), e);
            }
        }
        try {
            BlobCodec.decodeInto(crypto, id, blob, 0, loc.length(), loc.rawLength(), raw);
        } catch (RepositoryException e) {
            throw new RepositoryException(e.code(), e.getMessage() + " (pack " + loc.packId() + " offset " + loc.offset() + ")", e);
        }
    }

    Manifest loadManifest(String id) throws IOException {
        Path p = snapshotPath(id);
        byte[] data;
        try {
            data = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new RepositoryException(RepositoryException.Code.NOT_FOUND, "snapshot " + id + " not found");
        } catch (IOException e) {
            throw RepositoryException.ofIo("reading snapshot " + id, e);
        }
        if (!Hex.of(Crypto.sha256(data, 0, data.length)).equals(id))
            throw FileCodec.corrupt("snapshot " + id, "file content does not match its id (damaged or truncated)");
        return Manifest.decode(crypto, data, "snapshot " + id);
    }

    String writeManifest(Manifest m) throws IOException {
        byte[] data = m.encode(crypto);
        String id = Hex.of(Crypto.sha256(data, 0, data.length));
        AtomicFiles.write(tmpDir(), snapshotPath(id), data);
        return id;
    }

    List<String> snapshotIds() throws IOException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("snapshots"))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (Hex.isHex(n, 64)) ids.add(n);
            }
        }
        return ids;
    }

    @Override
    public ImageWriter newImage(String name, long size, String parent, Map<String, String> tags, ProgressListener progress) throws IOException {
        if (name == null || name.isBlank() || name.chars().anyMatch(ch -> ch < 0x20))
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "name: '" + name + "' is invalid (must be non-blank, no control characters)");
        long maxChunks = (Integer.MAX_VALUE - 64) / 32;
        if (size == UNKNOWN_SIZE && parent != null)
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "size: unknown size (stream) cannot be combined with a parent snapshot");
        if ((size < 0 && size != UNKNOWN_SIZE) || Manifest.chunkCount(size, config.chunkSize()) > maxChunks)
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "size: " + size + " is out of range (0.." + maxChunks * config.chunkSize() + ")");
        LockManager.Held lock = locks.shared();
        try {
            refreshIndex();
            String parentId = null;
            Manifest parentManifest = null;
            if (parent != null) {
                parentId = snapshot(parent).id();
                parentManifest = loadManifest(parentId);
                if (parentManifest.chunkSize != config.chunkSize())
                    throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "parent " + parentId + " has chunk size " + parentManifest.chunkSize + ", repository uses " + config.chunkSize());
            }
            return new RepositoryImageWriter(this, lock, name, size, parentId, parentManifest,
                    tags == null ? Map.of() : tags, progress == null ? ProgressListener.NONE : progress);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    @Override
    public List<SnapshotInfo> snapshots() throws IOException {
        List<SnapshotInfo> out = new ArrayList<>();
        for (String id : snapshotIds()) {
            try {
                out.add(loadManifest(id).info(id));
            } catch (RepositoryException e) {
                if (e.code() != RepositoryException.Code.NOT_FOUND) throw e; // NOT_FOUND: forgotten meanwhile
            }
        }
        out.sort(Comparator.comparing(SnapshotInfo::time).thenComparing(SnapshotInfo::id));
        return out;
    }

    @Override
    public SnapshotInfo snapshot(String idOrPrefix) throws IOException {
        if (idOrPrefix == null || idOrPrefix.isEmpty() || !Hex.isHex(idOrPrefix, idOrPrefix.length()))
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "snapshot id '" + idOrPrefix + "' is invalid (lower-case hex id or prefix)");
        List<String> match = snapshotIds().stream().filter(s -> s.startsWith(idOrPrefix)).toList();
        if (match.isEmpty()) throw new RepositoryException(RepositoryException.Code.NOT_FOUND, "snapshot " + idOrPrefix + " not found in " + root);
        if (match.size() > 1)
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "snapshot prefix " + idOrPrefix + " is ambiguous (" + match.size() + " snapshots match)");
        return loadManifest(match.get(0)).info(match.get(0));
    }

    @Override
    public ImageReader openImage(String snapshotId) throws IOException {
        String id = snapshot(snapshotId).id();
        JitWarmup.start(config.idHash()); // every chunk read is decrypted and re-hashed
        LockManager.Held lock = locks.shared();
        try {
            refreshIndex(); // a prune in another process may have moved chunks
            return new RepositoryImageReader(this, loadManifest(id), lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    @Override
    public CheckReport check(int readDataPercent, ProgressListener progress) throws IOException {
        if (readDataPercent > 0) JitWarmup.start(config.idHash());
        try (LockManager.Held lock = locks.shared()) {
            return new RepositoryChecker(this).run(readDataPercent, progress == null ? ProgressListener.NONE : progress);
        }
    }

    @Override
    public ForgetResult forget(RetentionPolicy policy, boolean dryRun) throws IOException {
        if (policy.isEmpty())
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "retention policy keeps nothing; give at least one --keep-* rule (refusing to forget every snapshot)");
        try (LockManager.Held lock = locks.exclusive()) {
            ForgetResult r = new ForgetResult(Retention.decide(snapshots(), policy), dryRun);
            if (!dryRun) {
                for (SnapshotInfo s : r.removed()) Files.deleteIfExists(snapshotPath(s.id()));
                AtomicFiles.fsyncDir(root.resolve("snapshots"));
            }
            return r;
        }
    }

    @Override
    public void forget(String idOrPrefix) throws IOException {
        try (LockManager.Held lock = locks.exclusive()) {
            Files.deleteIfExists(snapshotPath(snapshot(idOrPrefix).id()));
            AtomicFiles.fsyncDir(root.resolve("snapshots"));
        }
    }

    @Override
    public PruneResult prune(ProgressListener progress) throws IOException {
        try (LockManager.Held lock = locks.exclusive()) {
            return new Pruner(this).run(progress == null ? ProgressListener.NONE : progress);
        }
    }

    /**
     * Rebuilds missing or damaged index files from the pack headers (exclusive lock). Returns
     * the number of index files written. Packs whose header is damaged are skipped (check
     * reports them).
     */
    @Override
    public int repairIndex() throws IOException {
        try (LockManager.Held lock = locks.exclusive()) {
            ChunkIndex current = ChunkIndex.load(root, crypto);
            int written = 0, unreadable = 0;
            for (Path p : dataFiles()) {
                String packId = p.getFileName().toString();
                if (!Hex.isHex(packId, 64) || current.packs().containsKey(packId)) continue;
                List<PackEntry> entries;
                try {
                    entries = PackFormat.readHeader(crypto, p);
                } catch (RepositoryException e) {
                    unreadable++;
                    continue;
                }
                AtomicFiles.write(tmpDir(), indexPath(packId), PackFormat.indexFile(crypto, Files.size(p), entries));
                written++;
            }
            if (unreadable == 0) {
                // every pack is indexed again: a damaged index set lists nothing that is not listed elsewhere
                for (String name : current.damagedFiles()) if (!Hex.isHex(name, 64)) Files.deleteIfExists(root.resolve("index").resolve(name));
                AtomicFiles.fsyncDir(root.resolve("index"));
            }
            refreshIndex();
            return written;
        }
    }

    @Override
    public RepositoryStats stats() throws IOException {
        try (LockManager.Held lock = locks.shared()) {
            refreshIndex();
            int n = 0;
            long logical = 0, allocated = 0, uniqueBytes = 0;
            // referenced chunks counted once: a bit per indexed chunk, a set only for the missing ones
            ChunkIndex.Marks unique = index.marks();
            java.util.Set<ChunkId> missing = new java.util.HashSet<>();
            for (String id : snapshotIds()) {
                Manifest m;
                try { m = loadManifest(id); } catch (RepositoryException e) { if (e.code() == RepositoryException.Code.NOT_FOUND) continue; throw e; }
                n++;
                logical += m.size;
                allocated += m.allocatedBytes;
                for (int c = 0; c < m.count(); c++) {
                    ChunkId cid = m.chunk(c);
                    if (cid != null && unique.mark(cid) < 0 && missing.add(cid)) uniqueBytes += m.chunkLength(c);
                }
            }
            for (ChunkIndex.PackInfo p : index.packs().values()) {
                for (int i = 0; i < p.size(); i++) if (unique.marked(p, i)) uniqueBytes += p.rawLengths[i];
            }
            long stored = index.packs().values().stream().mapToLong(ChunkIndex.PackInfo::length).sum();
            return new RepositoryStats(n, logical, allocated, unique.count() + missing.size(), uniqueBytes, stored, index.packs().size());
        }
    }

    @Override
    public void close() throws IOException {
        workers.shutdown();
        synchronized (channels) {
            for (FileChannel c : channels.values()) c.close();
            channels.clear();
        }
        locks.close();
    }
}
