package dev.stillpoint.repository;

import dev.stillpoint.repository.store.S3Store;
import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The repository over a {@link Store}: a local (or mounted) directory or an S3 bucket. See
 * package-info for the layout; every object is read and written through the store.
 */
final class FileRepository implements Repository {
    static final List<String> DIRS = List.of("data", "index", "snapshots", "locks", "tmp");

    private final Store store;
    private volatile RepoConfig config;
    private final Crypto crypto;
    private final ChunkIndex index;
    private volatile boolean indexRead;
    private final LockManager locks;
    private final ExecutorService workers;
    private final int threads;

    private FileRepository(Store store, RepoConfig config, Crypto crypto, ChunkIndex index) {
        this.store = store;
        this.config = config;
        this.crypto = crypto;
        this.index = index;
        this.locks = new LockManager(store);
        this.spool = store.localRoot() == null ? new PackSpool(store) : null;
        this.threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "stillpoint-repo-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The store a user names: {@code s3:...} ({@link S3Store}) or a directory ({@link LocalStore}). */
    static Store openStore(String location) throws IOException {
        if (Store.isRemote(location)) return S3Store.open(location);
        return new LocalStore(Path.of(location));
    }

    static FileRepository create(Path root, RepositoryOptions o) throws IOException {
        return create(new LocalStore(root), o);
    }

    static FileRepository create(Store store, RepositoryOptions o) throws IOException {
        try {
            o.validate();
            JitWarmup.startForIds(o.idHash());
            Path root = store.localRoot();
            if (store.stat("config") != null)
                throw new RepositoryException(
                        RepositoryException.Code.ALREADY_EXISTS, "a repository already exists at " + store.location());
            if (root == null) {
                if (!store.list("").isEmpty())
                    throw new RepositoryException(
                            RepositoryException.Code.ALREADY_EXISTS,
                            store.location() + " is not empty; choose an empty bucket or a new prefix");
            } else if (Files.isDirectory(root)) {
                try (var s = Files.list(root)) {
                    if (s.findAny().isPresent())
                        throw new RepositoryException(
                                RepositoryException.Code.ALREADY_EXISTS,
                                root + " exists and is not empty; choose an empty or new directory");
                }
            } else if (Files.exists(root)) {
                throw new RepositoryException(
                        RepositoryException.Code.ALREADY_EXISTS, root + " exists and is not a directory");
            }
            if (root != null) for (String d : DIRS) Files.createDirectories(root.resolve(d));
            String id = Hex.of(Crypto.random(16));
            RepoConfig config = new RepoConfig(
                    RepoConfig.VERSION,
                    id,
                    o.encryption().id(),
                    o.chunkSize(),
                    o.packSize(),
                    o.compressionLevel(),
                    o.idHash());
            Crypto crypto = Crypto.none(o.idHash());
            if (o.encryption() == RepositoryOptions.Encryption.AES_256_GCM)
                crypto = Crypto.aes(
                        KeyFile.create(store, id, o.password(), o.kdfMemoryKiB(), o.kdfIterations()), o.idHash());
            // the config is written last: its presence marks a complete repository
            store.put("config", config.toJson());
            store.sync("config");
            return new FileRepository(store, config, crypto, new ChunkIndex());
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    static FileRepository open(Path root, char[] password) throws IOException {
        return open(new LocalStore(root), password);
    }

    static FileRepository open(Store store, char[] password) throws IOException {
        try {
            RepoConfig config = RepoConfig.read(store);
            JitWarmup.startForIds(config.idHash()); // overlaps the key derivation
            Crypto crypto = config.encrypted()
                    ? Crypto.aes(KeyFile.unlock(store, config.id(), password), config.idHash())
                    : Crypto.none(config.idHash());
            Path root = store.localRoot();
            if (root != null) {
                for (String d : DIRS) {
                    if (d.equals("locks") || d.equals("tmp")) {
                        Files.createDirectories(root.resolve(d));
                        continue;
                    }
                    if (!Files.isDirectory(root.resolve(d)))
                        throw new RepositoryException(
                                RepositoryException.Code.CORRUPT,
                                root.resolve(d) + ": missing directory of the repository");
                }
            }
            // the index is read when an operation needs it (listing or forgetting snapshots does not);
            // a remote repository's index files and manifests come from the local cache when it has them
            return new FileRepository(CachedStore.wrap(store, config.id()), config, crypto, new ChunkIndex());
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    Store store() {
        return store;
    }

    /** Publishes a content-addressed object: one that exists already holds the same content. */
    void putOnce(String name, byte[] data) throws IOException {
        try {
            store.put(name, data);
        } catch (RepositoryException e) {
            if (e.code() != RepositoryException.Code.ALREADY_EXISTS) throw e;
        }
    }

    /**
     * Whether this key may delete data objects: deletes a name that never exists (a store
     * answers a permitted delete of a missing object with success, a refused one with
     * ACCESS_DENIED whether the object exists or not). False for an append-only key.
     */
    boolean mayDelete() throws IOException {
        try {
            store.delete("data/delete-probe-" + Hex.of(Crypto.random(8)));
            return true;
        } catch (RepositoryException e) {
            if (e.code() == RepositoryException.Code.ACCESS_DENIED) return false;
            throw e;
        }
    }

    /** ACCESS_DENIED before {@code op} starts when this key may not delete (an append-only key): nothing was changed. */
    void requireDelete(String op) throws IOException {
        if (!mayDelete())
            throw new RepositoryException(
                    RepositoryException.Code.ACCESS_DENIED,
                    op + " cannot run with these credentials: " + store.location()
                            + " refuses deletes (an append-only key, a bucket policy or Object Lock); run " + op
                            + " where a key may delete. Nothing was changed.");
    }

    RepoConfig config() {
        return config;
    }

    /**
     * Makes a version-1 repository version 2 (index sets allowed); exclusive lock only. Version-1
     * builds then refuse to open it ({@code UNSUPPORTED_VERSION}) instead of misreading it.
     */
    void upgradeFormat() throws IOException {
        RepoConfig c = config;
        if (c.version() >= RepoConfig.INDEX_SETS_VERSION) return;
        RepoConfig up = c.withVersion(RepoConfig.INDEX_SETS_VERSION);
        store.replace("config", up.toJson());
        config = up;
    }

    Crypto crypto() {
        return crypto;
    }

    /** Brings the in-memory index up to date with {@code index/} (under the operation's lock). */
    void refreshIndex() throws IOException {
        index.refresh(store, crypto);
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
                        throw new java.io.UncheckedIOException(
                                "cannot read " + RepoConfig.where(store, "index") + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return index;
    }

    LockManager locks() {
        return locks;
    }

    ExecutorService workers() {
        return workers;
    }

    /** Chunk reads a remote store keeps in flight during restore: each is a ranged GET, latency to hide. */
    static final int REMOTE_READS = 16;

    private volatile ExecutorService remoteReaders;
    /** Whole packs fetched from a remote store for chunk reads (null for a local one). */
    private final PackSpool spool;

    /** Chunks a restore reads ahead: {@code 2 x cores} locally, {@link #REMOTE_READS} from a remote store. */
    int readAhead() {
        return store.localRoot() != null ? 2 * threads : Math.max(2 * threads, REMOTE_READS);
    }

    /** Where restore reads chunks: the workers locally; a wider pool for a remote store (its threads mostly wait). */
    ExecutorService readers() {
        if (store.localRoot() != null) return workers;
        if (remoteReaders == null) {
            synchronized (this) {
                if (remoteReaders == null) {
                    AtomicInteger n = new AtomicInteger();
                    remoteReaders = Executors.newFixedThreadPool(REMOTE_READS, r -> {
                        Thread t = new Thread(r, "stillpoint-repo-reader-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
                }
            }
        }
        return remoteReaders;
    }

    int threads() {
        return threads;
    }

    static String packName(String id) {
        return "data/" + id.substring(0, 2) + "/" + id;
    }

    static String indexName(String id) {
        return "index/" + id;
    }

    static String snapshotName(String id) {
        return "snapshots/" + id;
    }

    /** Every object under {@code data/}; callers decide which names are packs. */
    List<Store.Entry> dataFiles() throws IOException {
        return store.list("data/");
    }

    /** A new pack writer publishing into this repository's store and index. */
    PackWriter newPackWriter() {
        return new PackWriter(crypto, config.packSize(), new PackWriter.Sink() {
            @Override
            public Store.Upload begin() throws IOException {
                return store.upload();
            }

            @Override
            public void publish(Store.Upload pack, String packId, long length, List<PackEntry> entries)
                    throws IOException {
                pack.commit(packName(packId), length); // false: that pack exists (same tail hash, same chunks)
                putOnce(indexName(packId), PackFormat.indexFile(crypto, length, entries));
                index().add(packId, length, entries);
            }

            @Override
            public int publishers() {
                return store.localRoot() == null ? REMOTE_UPLOADS : 1;
            }
        });
    }

    /** Packs uploaded at once to a remote store (each is a temp file on disk until its PUT ends, not heap). */
    static final int REMOTE_UPLOADS = 4;

    /**
     * Starts fetching the pack that holds chunk {@code id} (remote stores; a local one reads in
     * place). False when the spool has as many fetches running as it allows: ask again later.
     */
    boolean prefetch(ChunkId id) {
        if (spool == null) return true;
        ChunkIndex.Location loc = index.get(id);
        return loc == null || spool.prefetch(packName(loc.packId()));
    }

    /** Chunks a restore looks ahead to fetch their packs early: half the spool's packs' worth. */
    int prefetchChunks() {
        return spool == null
                ? 0
                : (int) Math.max(1, (long) PackSpool.MAX_PACKS / 2 * config.packSize() / config.chunkSize());
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
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    "chunk " + id.hex() + ": raw length " + loc.rawLength() + " exceeds the chunk size " + raw.length);
        byte[] blob = BLOB_SCRATCH.get();
        if (blob == null || blob.length < loc.length()) {
            blob = new byte[Math.max(loc.length(), Crypto.segmentedLength(raw.length + 1))];
            BLOB_SCRATCH.set(blob);
        }
        readChunk(id, loc, blob, raw);
        return loc.rawLength();
    }

    private ChunkIndex.Location location(ChunkId id) throws RepositoryException {
        ChunkIndex.Location loc = index.get(id);
        if (loc == null)
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT, "chunk " + id.hex() + " is missing (not in any indexed pack)");
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
        int n;
        try {
            n = spool != null
                    ? spool.read(packName(loc.packId()), loc.offset(), blob, loc.length())
                    : store.read(packName(loc.packId()), loc.offset(), blob, 0, loc.length());
        } catch (NoSuchFileException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT, "chunk " + id.hex() + ": pack " + loc.packId() + " is missing");
        } catch (IOException e) {
            throw RepositoryException.ofIo("reading chunk " + id.hex() + " from pack " + loc.packId(), e);
        }
        if (n < loc.length())
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT, "chunk " + id.hex() + ": pack " + loc.packId() + " is truncated");
        try {
            BlobCodec.decodeInto(crypto, id, blob, 0, loc.length(), loc.rawLength(), raw);
        } catch (RepositoryException e) {
            throw new RepositoryException(
                    e.code(), e.getMessage() + " (pack " + loc.packId() + " offset " + loc.offset() + ")", e);
        }
    }

    Manifest loadManifest(String id) throws IOException {
        byte[] data;
        try {
            data = store.get(snapshotName(id));
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
        putOnce(snapshotName(id), data);
        return id;
    }

    List<String> snapshotIds() throws IOException {
        List<String> ids = new ArrayList<>();
        for (Store.Entry e : store.list("snapshots/")) {
            String n = e.name().substring("snapshots/".length());
            if (Hex.isHex(n, 64)) ids.add(n);
        }
        return ids;
    }

    @Override
    public RepositoryRecord putRecord(String name, Map<String, String> snapshots, String body) throws IOException {
        if (name == null || name.isBlank() || body == null || snapshots == null)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT, "a record needs a name, snapshots and a body");
        try (LockManager.Held lock = locks.shared()) {
            java.util.Set<String> have = new java.util.HashSet<>(snapshotIds());
            for (Map.Entry<String, String> e : snapshots.entrySet())
                if (!have.contains(e.getValue()))
                    throw new RepositoryException(
                            RepositoryException.Code.NOT_FOUND,
                            "record " + name + ": snapshot " + e.getValue() + " (" + e.getKey() + ") is not in "
                                    + store.location());
            lock.verify();
            return writeRecord(name, java.time.Instant.now(), snapshots, body);
        }
    }

    /** Publishes a record (the caller holds a lock and has checked its snapshots). */
    RepositoryRecord writeRecord(String name, java.time.Instant time, Map<String, String> snapshots, String body)
            throws IOException {
        byte[] data = RecordCodec.encode(crypto, name, time, snapshots, body);
        String id = Hex.of(Crypto.sha256(data, 0, data.length));
        putOnce(RecordCodec.objectName(id), data);
        return new RepositoryRecord(id, name, time, snapshots, body);
    }

    @Override
    public List<RepositoryRecord> records() throws IOException {
        List<RepositoryRecord> out = new ArrayList<>();
        for (String id : recordIds()) {
            RepositoryRecord r = loadRecord(id);
            if (r != null) out.add(r);
        }
        out.sort(Comparator.comparing(RepositoryRecord::time).thenComparing(RepositoryRecord::id));
        return out;
    }

    /** The ids of the objects under {@code records/}. */
    List<String> recordIds() throws IOException {
        List<String> ids = new ArrayList<>();
        for (Store.Entry e : store.list(RecordCodec.PREFIX)) {
            String id = e.name().substring(RecordCodec.PREFIX.length());
            if (Hex.isHex(id, 64)) ids.add(id);
        }
        return ids;
    }

    /** One record, verified; null when it was removed meanwhile. */
    RepositoryRecord loadRecord(String id) throws IOException {
        try {
            return RecordCodec.decode(crypto, id, store.get(RecordCodec.objectName(id)));
        } catch (NoSuchFileException gone) {
            return null;
        } catch (RepositoryException e) {
            throw e;
        } catch (IOException io) {
            throw RepositoryException.ofIo("reading record " + id, io);
        }
    }

    /** Deletes the records none of whose snapshots is left (under the exclusive lock). */
    private void dropOrphanRecords() throws IOException {
        List<Store.Entry> files = store.list(RecordCodec.PREFIX);
        if (files.isEmpty()) return;
        java.util.Set<String> have = new java.util.HashSet<>(snapshotIds());
        boolean deleted = false;
        for (RepositoryRecord r : records()) {
            if (r.snapshots().values().stream().noneMatch(have::contains)) {
                store.delete(RecordCodec.objectName(r.id()));
                deleted = true;
            }
        }
        if (deleted) store.sync(RecordCodec.PREFIX);
    }

    @Override
    public ImageWriter newImage(
            String name, long size, String parent, Map<String, String> tags, ProgressListener progress)
            throws IOException {
        if (name == null || name.isBlank() || name.chars().anyMatch(ch -> ch < 0x20))
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "name: '" + name + "' is invalid (must be non-blank, no control characters)");
        long maxChunks = (Integer.MAX_VALUE - 64) / 32;
        if (size == UNKNOWN_SIZE && parent != null)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "size: unknown size (stream) cannot be combined with a parent snapshot");
        if ((size < 0 && size != UNKNOWN_SIZE) || Manifest.chunkCount(size, config.chunkSize()) > maxChunks)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "size: " + size + " is out of range (0.." + maxChunks * config.chunkSize() + ")");
        LockManager.Held lock = locks.shared();
        try {
            refreshIndex();
            String parentId = null;
            Manifest parentManifest = null;
            if (parent != null) {
                parentId = snapshot(parent).id();
                parentManifest = loadManifest(parentId);
                if (parentManifest.chunkSize != config.chunkSize())
                    throw new RepositoryException(
                            RepositoryException.Code.INVALID_ARGUMENT,
                            "parent " + parentId + " has chunk size " + parentManifest.chunkSize + ", repository uses "
                                    + config.chunkSize());
            }
            return new RepositoryImageWriter(
                    this,
                    lock,
                    name,
                    size,
                    parentId,
                    parentManifest,
                    tags == null ? Map.of() : tags,
                    progress == null ? ProgressListener.NONE : progress);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    @Override
    public List<SnapshotInfo> snapshots() throws IOException {
        List<SnapshotInfo> out = new ArrayList<>();
        List<String> ids = snapshotIds();
        if (store.localRoot() == null && ids.size() > 1) {
            // a remote store: the manifests not in the cache are GETs, latency to overlap
            List<java.util.concurrent.Future<SnapshotInfo>> loads = new ArrayList<>();
            for (String id : ids) loads.add(readers().submit(() -> snapshotInfo(id)));
            for (var f : loads) {
                try {
                    SnapshotInfo i = f.get();
                    if (i != null) out.add(i);
                } catch (InterruptedException e) {
                    for (var g : loads) g.cancel(true);
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while reading the snapshots");
                } catch (java.util.concurrent.ExecutionException e) {
                    for (var g : loads) g.cancel(true);
                    if (e.getCause() instanceof IOException io) throw io;
                    throw new IOException("reading the snapshots failed: " + e.getCause(), e.getCause());
                }
            }
        } else {
            for (String id : ids) {
                SnapshotInfo i = snapshotInfo(id);
                if (i != null) out.add(i);
            }
        }
        out.sort(Comparator.comparing(SnapshotInfo::time).thenComparing(SnapshotInfo::id));
        return out;
    }

    /** The snapshot's info, or null when it was forgotten meanwhile. */
    private SnapshotInfo snapshotInfo(String id) throws IOException {
        try {
            return loadManifest(id).info(id);
        } catch (RepositoryException e) {
            if (e.code() != RepositoryException.Code.NOT_FOUND) throw e;
            return null;
        }
    }

    @Override
    public SnapshotInfo snapshot(String idOrPrefix) throws IOException {
        if (idOrPrefix == null || idOrPrefix.isEmpty() || !Hex.isHex(idOrPrefix, idOrPrefix.length()))
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "snapshot id '" + idOrPrefix + "' is invalid (lower-case hex id or prefix)");
        List<String> match =
                snapshotIds().stream().filter(s -> s.startsWith(idOrPrefix)).toList();
        if (match.isEmpty())
            throw new RepositoryException(
                    RepositoryException.Code.NOT_FOUND, "snapshot " + idOrPrefix + " not found in " + store.location());
        if (match.size() > 1)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "snapshot prefix " + idOrPrefix + " is ambiguous (" + match.size() + " snapshots match)");
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
            return new RepositoryChecker(this)
                    .run(readDataPercent, progress == null ? ProgressListener.NONE : progress);
        }
    }

    @Override
    public ForgetResult forget(RetentionPolicy policy, boolean dryRun) throws IOException {
        if (policy.isEmpty())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "retention policy keeps nothing; give at least one --keep-* rule (refusing to forget every snapshot)");
        try (LockManager.Held lock = locks.exclusive()) {
            ForgetResult r = new ForgetResult(Retention.decide(snapshots(), policy), dryRun);
            if (!dryRun && !r.removed().isEmpty()) requireDelete("forget");
            if (!dryRun) {
                for (SnapshotInfo s : r.removed()) store.delete(snapshotName(s.id()));
                store.sync("snapshots/");
                dropOrphanRecords();
            }
            return r;
        }
    }

    @Override
    public void forget(String idOrPrefix) throws IOException {
        try (LockManager.Held lock = locks.exclusive()) {
            String id = snapshot(idOrPrefix).id();
            requireDelete("forget");
            store.delete(snapshotName(id));
            store.sync("snapshots/");
            dropOrphanRecords();
        }
    }

    @Override
    public PruneResult prune(ProgressListener progress) throws IOException {
        try (LockManager.Held lock = locks.exclusive()) {
            requireDelete("prune");
            dropOrphanRecords(); // left by a forget that stopped between manifests and records
            return new Pruner(this).run(progress == null ? ProgressListener.NONE : progress);
        }
    }

    @Override
    public List<Map<String, Object>> removeLocks(boolean all) throws IOException {
        return locks.removeLocks(all);
    }

    /**
     * Rebuilds missing or damaged index files from the pack headers (exclusive lock). Returns
     * the number of index files written. Packs whose header is damaged are skipped (check
     * reports them).
     */
    @Override
    public int repairIndex() throws IOException {
        try (LockManager.Held lock = locks.exclusive()) {
            ChunkIndex current = ChunkIndex.load(store, crypto);
            int written = 0, unreadable = 0;
            for (Store.Entry p : dataFiles()) {
                String packId = p.name().substring(p.name().lastIndexOf('/') + 1);
                if (!Hex.isHex(packId, 64) || current.packs().containsKey(packId)) continue;
                List<PackEntry> entries;
                try {
                    entries = PackFormat.readHeader(crypto, store, p.name());
                } catch (RepositoryException e) {
                    unreadable++;
                    continue;
                }
                store.replace(
                        indexName(packId), PackFormat.indexFile(crypto, p.size(), entries)); // replaces a damaged one
                written++;
            }
            if (unreadable == 0) {
                // every pack is indexed again: a damaged index set lists nothing that is not listed elsewhere
                for (String name : current.damagedFiles()) if (!Hex.isHex(name, 64)) store.delete("index/" + name);
                store.sync("index/");
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
                try {
                    m = loadManifest(id);
                } catch (RepositoryException e) {
                    if (e.code() == RepositoryException.Code.NOT_FOUND) continue;
                    throw e;
                }
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
            long stored = index.packs().values().stream()
                    .mapToLong(ChunkIndex.PackInfo::length)
                    .sum();
            return new RepositoryStats(
                    n,
                    logical,
                    allocated,
                    unique.count() + missing.size(),
                    uniqueBytes,
                    stored,
                    index.packs().size());
        }
    }

    @Override
    public void close() throws IOException {
        workers.shutdown();
        if (remoteReaders != null) remoteReaders.shutdown();
        if (spool != null) spool.close();
        try {
            locks.close();
        } finally {
            store.close();
        }
    }
}
