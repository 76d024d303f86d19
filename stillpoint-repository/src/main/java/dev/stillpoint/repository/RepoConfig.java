package dev.stillpoint.repository;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.repository.RepositoryOptions.IdHash;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The plaintext {@code config} file at the repository root. */
record RepoConfig(
        int version, String id, String encryption, int chunkSize, int packSize, int compressionLevel, IdHash idHash) {
    static final String FORMAT = "stillpoint-repository";
    /**
     * The version {@code init} writes: 2 adds index sets ({@code index/set-*}), 3 the field
     * {@code idHash} (chunk ids by BLAKE3; versions 1 and 2 always use SHA-256).
     */
    static final int VERSION = 3;
    /** The first version with index sets; {@code prune} upgrades version 1 to it. */
    static final int INDEX_SETS_VERSION = 2;
    /** The oldest version opened: 1 has only per-pack index files ({@code prune} upgrades it). */
    static final int MIN_VERSION = 1;

    boolean encrypted() {
        return !"none".equals(encryption);
    }

    /**
     * Whether index sets may be written. Not in a version-1 repository: a version-1 build would
     * not read them and would take the packs they list for orphans.
     */
    boolean indexSets() {
        return version >= INDEX_SETS_VERSION;
    }

    RepoConfig withVersion(int v) {
        if (v < 3 && idHash != IdHash.SHA256)
            throw new IllegalArgumentException("format version " + v + " has SHA-256 ids only");
        return new RepoConfig(v, id, encryption, chunkSize, packSize, compressionLevel, idHash);
    }

    byte[] toJson() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", version);
        m.put("id", id);
        m.put("encryption", encryption);
        m.put("chunkSize", chunkSize);
        m.put("packSize", packSize);
        m.put("compressionLevel", compressionLevel);
        if (version >= 3) m.put("idHash", idHash.id());
        return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asBytes(m);
    }

    static RepoConfig read(dev.stillpoint.repository.store.Store store) throws IOException {
        String file = where(store, "config");
        byte[] data;
        try {
            data = store.get("config");
        } catch (NoSuchFileException e) {
            throw new RepositoryException(
                    RepositoryException.Code.NOT_FOUND,
                    "no repository at " + store.location() + " (missing " + file + ")");
        }
        Map<String, Object> m;
        try {
            m = JSON.std.mapFrom(data);
        } catch (IOException | RuntimeException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    file + ": not valid JSON (damaged or truncated): " + e.getMessage(),
                    e);
        }
        if (!FORMAT.equals(m.get("format")))
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    file + ": field 'format' is " + m.get("format") + ", expected '" + FORMAT + "'");
        int version = num(m, "version", file);
        if (version < MIN_VERSION || version > VERSION)
            throw new RepositoryException(
                    RepositoryException.Code.UNSUPPORTED_VERSION,
                    file + ": repository format version " + version
                            + " is not supported by this stillpoint (it supports versions " + MIN_VERSION + " to "
                            + VERSION + ")");
        String enc = String.valueOf(m.get("encryption"));
        if (!enc.equals("none") && !enc.equals("aes-256-gcm"))
            throw new RepositoryException(
                    RepositoryException.Code.UNSUPPORTED_VERSION,
                    file + ": encryption '" + enc + "' is not supported (aes-256-gcm, none)");
        IdHash idHash = IdHash.SHA256;
        if (version >= 3) {
            idHash = IdHash.byId(String.valueOf(m.get("idHash")));
            if (idHash == null)
                throw new RepositoryException(
                        m.containsKey("idHash")
                                ? RepositoryException.Code.UNSUPPORTED_VERSION
                                : RepositoryException.Code.CORRUPT,
                        file + ": field 'idHash' is " + m.get("idHash") + " (supported: blake3, sha256)");
        }
        RepoConfig c = new RepoConfig(
                version,
                String.valueOf(m.get("id")),
                enc,
                num(m, "chunkSize", file),
                num(m, "packSize", file),
                num(m, "compressionLevel", file),
                idHash);
        if (Integer.bitCount(c.chunkSize) != 1
                || c.chunkSize < 4096
                || c.packSize < c.chunkSize
                || !Hex.isHex(c.id, 32))
            throw new RepositoryException(RepositoryException.Code.CORRUPT, file + ": invalid values " + c);
        return c;
    }

    private static int num(Map<String, Object> m, String key, String file) throws RepositoryException {
        if (m.get(key) instanceof Number n) return n.intValue();
        throw new RepositoryException(
                RepositoryException.Code.CORRUPT,
                file + ": field '" + key + "' missing or not a number: " + m.get(key));
    }

    /** How messages name object {@code name} of {@code store}: its path, or its URL. */
    static String where(dev.stillpoint.repository.store.Store store, String name) {
        return store.localRoot() != null ? store.localRoot().resolve(name).toString() : store.location() + "/" + name;
    }
}
