package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local cache of a remote repository's index files, manifests and backup records (restic's
 * cache), so that {@code snapshots}, {@code backups}, an incremental backup and every open do not
 * download them again: {@code CACHE/repos/<repository id>/index/...}, {@code .../snapshots/...}
 * and {@code .../records/...}, where CACHE is
 * {@code $STILLPOINT_CACHE_DIR}, else {@code $XDG_CACHE_HOME/stillpoint}, else
 * {@code /var/cache/stillpoint} for root and {@code ~/.cache/stillpoint} for others. Off with
 * {@code --no-cache} ({@code -Dstillpoint.cache=off}) or {@code STILLPOINT_NO_CACHE=1}.
 *
 * <p>The backend stays the truth. A cached file holds the object's bytes with their SHA-256 and
 * the size and modification time the backend listed for it: a file whose bytes do not match
 * their hash (damaged) is dropped; an object named by its content hash (a manifest
 * {@code snapshots/<sha256>}, a record {@code records/<sha256>}, an index set
 * {@code index/set-<sha256>}) is served only when the
 * bytes hash to its name; any other (a pack's index file {@code index/<pack id>}, which
 * {@code repair index} may replace) only when the backend's latest listing shows the same size
 * and time. Everything else is fetched from the backend and cached again. A listing of
 * {@code index/} or {@code snapshots/} removes the cached files the backend no longer has
 * (forgotten snapshots, merged index files). Writes are atomic (temp file, rename), so
 * processes share a cache; a cache that cannot be written is skipped.
 */
final class CachedStore extends ForwardingStore {
    private static final byte[] MAGIC = {'S', 'P', 'C', '1'};
    private static final int HEADER = MAGIC.length + 8 + 8 + 32;
    private static final List<String> PREFIXES = List.of("index/", "snapshots/", RecordCodec.PREFIX);

    private final Path dir;
    /** The backend's latest listing of the cached prefixes. */
    private final Map<String, Entry> listed = new ConcurrentHashMap<>();

    final AtomicLong hits = new AtomicLong();
    final AtomicLong misses = new AtomicLong();

    CachedStore(Store store, Path dir) {
        super(store);
        this.dir = dir;
    }

    /** {@code store} with a cache when it is remote and caching is on (and the cache directory can be made). */
    static Store wrap(Store store, String repositoryId) {
        if (store.localRoot() != null || !enabled() || !Hex.isHex(repositoryId, repositoryId.length())) return store;
        Path dir = baseDir().resolve("repos").resolve(repositoryId);
        try {
            Files.createDirectories(dir);
        } catch (IOException | SecurityException e) {
            return store; // no cache, the same results
        }
        return new CachedStore(store, dir);
    }

    static boolean enabled() {
        String env = System.getenv("STILLPOINT_NO_CACHE");
        return (env == null || env.isEmpty() || env.equals("0"))
                && !"off".equals(System.getProperty("stillpoint.cache", "on"));
    }

    static Path baseDir() {
        String d = System.getProperty("stillpoint.cacheDir", System.getenv("STILLPOINT_CACHE_DIR"));
        if (d != null && !d.isEmpty()) return Path.of(d);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) return Path.of(xdg, "stillpoint");
        if ("root".equals(System.getProperty("user.name"))) return Path.of("/var/cache/stillpoint");
        return Path.of(System.getProperty("user.home"), ".cache", "stillpoint");
    }

    Path dir() {
        return dir;
    }

    private static boolean cached(String name) {
        for (String p : PREFIXES)
            if (name.startsWith(p) && name.length() > p.length() && !name.contains("..")) return true;
        return false;
    }

    @Override
    public byte[] get(String name) throws IOException {
        if (!cached(name)) return store.get(name);
        byte[] b = readCache(name);
        if (b != null) {
            hits.incrementAndGet();
            return b;
        }
        misses.incrementAndGet();
        byte[] data = store.get(name);
        writeCache(name, data);
        return data;
    }

    /** The cached bytes of {@code name} when they are intact and still the backend's; else null (and a damaged file removed). */
    private byte[] readCache(String name) {
        Path f = dir.resolve(name);
        byte[] all;
        try {
            all = Files.readAllBytes(f);
        } catch (IOException e) {
            return null;
        }
        ByteBuffer h = ByteBuffer.wrap(all);
        if (all.length < HEADER || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) return drop(f);
        h.position(MAGIC.length);
        long size = h.getLong(), modified = h.getLong();
        byte[] sha = Arrays.copyOfRange(all, MAGIC.length + 16, HEADER);
        if (size != all.length - HEADER) return drop(f);
        byte[] actual = Crypto.sha256(all, HEADER, all.length - HEADER);
        if (!Arrays.equals(sha, actual)) return drop(f); // damaged
        String base = name.substring(name.lastIndexOf('/') + 1);
        String hashName =
                base.startsWith(ChunkIndex.SET_PREFIX) ? base.substring(ChunkIndex.SET_PREFIX.length()) : base;
        if (contentNamed(name)) {
            if (!Hex.of(actual).equals(hashName)) return drop(f); // not the object of that name
        } else {
            Entry e = listed.get(name);
            if (e == null
                    || e.size() != size
                    || e.modified() == null
                    || e.modified().toEpochMilli() != modified)
                return null; // not listed, or replaced since it was cached: fetched again
        }
        return Arrays.copyOfRange(all, HEADER, all.length);
    }

    private static byte[] drop(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            /* fetched again all the same */
        }
        return null;
    }

    private void writeCache(String name, byte[] data) {
        Entry e = listed.get(name);
        long modified = e != null && e.size() == data.length && e.modified() != null
                ? e.modified().toEpochMilli()
                : 0;
        Path f = dir.resolve(name);
        try {
            Files.createDirectories(f.getParent());
            Path tmp = Files.createTempFile(f.getParent(), ".cache-", ".tmp");
            try {
                ByteBuffer b = ByteBuffer.allocate(HEADER + data.length);
                b.put(MAGIC)
                        .putLong(data.length)
                        .putLong(modified)
                        .put(Crypto.sha256(data, 0, data.length))
                        .put(data);
                Files.write(tmp, b.array());
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException ignored) {
            // a cache that cannot be written costs downloads, nothing else
        }
    }

    @Override
    public List<Entry> list(String prefix) throws IOException {
        List<Entry> entries = store.list(prefix);
        if (PREFIXES.contains(prefix)) {
            Set<String> names = new HashSet<>();
            for (Entry e : entries) {
                names.add(e.name());
                listed.put(e.name(), e);
            }
            listed.keySet().removeIf(n -> n.startsWith(prefix) && !names.contains(n));
            // what the backend no longer has goes from the cache too
            try (var s = Files.walk(dir.resolve(prefix))) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    String n = dir.relativize(p).toString().replace('\\', '/');
                    if (!names.contains(n) && !p.getFileName().toString().startsWith(".cache-")) drop(p);
                }
            } catch (NoSuchFileException e) {
                // nothing cached under it yet
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // left for the next listing
            }
        }
        return entries;
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        store.put(name, data);
        if (cached(name) && contentNamed(name)) writeCache(name, data); // what this process writes it need not fetch
    }

    private static boolean contentNamed(String name) {
        return name.startsWith("snapshots/")
                || name.startsWith(RecordCodec.PREFIX)
                || name.startsWith("index/" + ChunkIndex.SET_PREFIX);
    }

    @Override
    public void replace(String name, byte[] data) throws IOException {
        if (cached(name)) drop(dir.resolve(name));
        store.replace(name, data);
    }

    @Override
    public boolean delete(String name) throws IOException {
        boolean existed = store.delete(name);
        if (cached(name)) drop(dir.resolve(name));
        return existed;
    }
}
