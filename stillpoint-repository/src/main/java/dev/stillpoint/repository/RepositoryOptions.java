package dev.stillpoint.repository;

import java.util.Objects;

/**
 * Settings for {@link Repositories#init}. Use {@link #encrypted(char[])} or {@link #unencrypted()}
 * and the {@code with*} methods; the defaults suit VM disk images.
 *
 * @param encryption       {@link Encryption#AES_256_GCM} (default) or {@link Encryption#NONE}
 * @param password         passphrase (required when encrypted; ignored otherwise)
 * @param chunkSize        fixed chunk size in bytes, a power of two in [64 KiB, 16 MiB]; default 1 MiB
 * @param packSize         target pack file size in bytes, at least one chunk; default 32 MiB
 * @param compressionLevel zstd level 1..19; default {@value #DEFAULT_COMPRESSION_LEVEL}
 * @param kdfMemoryKiB     Argon2id memory in KiB (at least 8); default 64 MiB
 * @param kdfIterations    Argon2id passes (at least 1); default 3
 * @param idHash           the hash of chunk ids: {@link IdHash#BLAKE3} (default) or {@link IdHash#SHA256}
 *                         (what format versions 1 and 2 use)
 */
public record RepositoryOptions(
        Encryption encryption,
        char[] password,
        int chunkSize,
        int packSize,
        int compressionLevel,
        int kdfMemoryKiB,
        int kdfIterations,
        IdHash idHash) {

    /** Encryption of a repository. */
    public enum Encryption {
        NONE("none"),
        AES_256_GCM("aes-256-gcm");

        private final String id;

        Encryption(String id) {
            this.id = id;
        }

        /** The name used in the config file and on the command line. */
        public String id() {
            return id;
        }

        /** Parses {@code none} or {@code aes-256-gcm}. */
        public static Encryption parse(String s) throws RepositoryException {
            for (Encryption e : values()) if (e.id.equalsIgnoreCase(s)) return e;
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "encryption: unknown value '" + s + "' (expected aes-256-gcm or none)");
        }
    }

    /**
     * The hash that names chunks: plain in unencrypted repositories, keyed with the secret id key
     * in encrypted ones (HMAC for SHA-256, BLAKE3's keyed mode).
     */
    public enum IdHash {
        /** SHA-256 / HMAC-SHA256: every repository of format versions 1 and 2. */
        SHA256("sha256"),
        /** BLAKE3 / keyed BLAKE3 (format version 3): ~4x faster per core than SHA-256 with SHA-NI. */
        BLAKE3("blake3");

        private final String id;

        IdHash(String id) {
            this.id = id;
        }

        /** The name used in the config file. */
        public String id() {
            return id;
        }

        /** The hash named {@code s} in a config file, or null. */
        static IdHash byId(String s) {
            for (IdHash h : values()) if (h.id.equals(s)) return h;
            return null;
        }
    }

    public static final int DEFAULT_CHUNK_SIZE = 1 << 20;
    public static final int DEFAULT_PACK_SIZE = 32 << 20;
    /**
     * zstd 2 (run with minMatch 7, see BlobCodec): on the 4 GiB bench image (real files, text,
     * random data) 1324 MiB; level 1 stores 7% more, higher levels less but slower.
     */
    public static final int DEFAULT_COMPRESSION_LEVEL = 2;

    public RepositoryOptions {
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(idHash, "idHash");
    }

    public static RepositoryOptions encrypted(char[] password) {
        return new RepositoryOptions(
                Encryption.AES_256_GCM,
                password,
                DEFAULT_CHUNK_SIZE,
                DEFAULT_PACK_SIZE,
                DEFAULT_COMPRESSION_LEVEL,
                64 * 1024,
                3,
                IdHash.BLAKE3);
    }

    public static RepositoryOptions unencrypted() {
        return new RepositoryOptions(
                Encryption.NONE,
                null,
                DEFAULT_CHUNK_SIZE,
                DEFAULT_PACK_SIZE,
                DEFAULT_COMPRESSION_LEVEL,
                64 * 1024,
                3,
                IdHash.BLAKE3);
    }

    public RepositoryOptions withChunkSize(int v) {
        return new RepositoryOptions(
                encryption, password, v, packSize, compressionLevel, kdfMemoryKiB, kdfIterations, idHash);
    }

    public RepositoryOptions withPackSize(int v) {
        return new RepositoryOptions(
                encryption, password, chunkSize, v, compressionLevel, kdfMemoryKiB, kdfIterations, idHash);
    }

    public RepositoryOptions withCompressionLevel(int v) {
        return new RepositoryOptions(encryption, password, chunkSize, packSize, v, kdfMemoryKiB, kdfIterations, idHash);
    }

    /** Argon2id cost; tests use small values, production keeps the defaults. */
    public RepositoryOptions withKdf(int memoryKiB, int iterations) {
        return new RepositoryOptions(
                encryption, password, chunkSize, packSize, compressionLevel, memoryKiB, iterations, idHash);
    }

    /** Chunk ids with SHA-256 (as format version 2) instead of BLAKE3; tests of both paths. */
    public RepositoryOptions withIdHash(IdHash v) {
        return new RepositoryOptions(
                encryption, password, chunkSize, packSize, compressionLevel, kdfMemoryKiB, kdfIterations, v);
    }

    void validate() throws RepositoryException {
        if (Integer.bitCount(chunkSize) != 1 || chunkSize < (64 << 10) || chunkSize > (16 << 20))
            throw invalid("chunkSize", chunkSize, "a power of two between 65536 and 16777216");
        if (packSize < chunkSize || packSize > (1 << 30))
            throw invalid("packSize", packSize, "between chunkSize and 1 GiB");
        if (compressionLevel < 1 || compressionLevel > 19) throw invalid("compressionLevel", compressionLevel, "1..19");
        if (kdfMemoryKiB < 8 || kdfIterations < 1)
            throw invalid("kdf", kdfMemoryKiB + "KiB/" + kdfIterations, "memory >= 8 KiB, iterations >= 1");
        if (encryption == Encryption.AES_256_GCM && (password == null || password.length == 0))
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "password: an encrypted repository needs a non-empty passphrase");
    }

    private static RepositoryException invalid(String field, Object value, String rule) {
        return new RepositoryException(
                RepositoryException.Code.INVALID_ARGUMENT, field + ": " + value + " is invalid (must be " + rule + ")");
    }

    @Override
    public String toString() {
        return "RepositoryOptions[encryption=" + encryption.id + ", chunkSize=" + chunkSize + ", packSize=" + packSize
                + ", compressionLevel=" + compressionLevel + ", idHash=" + idHash.id + ", kdf=" + kdfMemoryKiB + "KiB/"
                + kdfIterations + "]";
    }
}
