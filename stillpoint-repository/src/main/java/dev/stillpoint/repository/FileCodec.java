package dev.stillpoint.repository;

import com.fasterxml.jackson.jr.ob.JSON;
import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encoding of small metadata files (index, snapshot manifests, pack headers).
 * Payload is zstd-compressed with its length in front: {@code rawLength(4) || zstd}. Then:
 * encrypted repositories seal it with AES-256-GCM, the file kind as associated data;
 * unencrypted ones prefix {@code SHA-256(payload)} so damage and truncation are detected.
 */
final class FileCodec {
    private FileCodec() {}

    static byte[] encode(Crypto crypto, String kind, byte[] plain) {
        byte[] z = Zstd.compress(plain, 3);
        byte[] payload =
                ByteBuffer.allocate(4 + z.length).putInt(plain.length).put(z).array();
        if (crypto.encrypted()) return crypto.seal(payload, 0, payload.length, Crypto.aad(kind));
        byte[] out = new byte[32 + payload.length];
        System.arraycopy(Crypto.sha256(payload, 0, payload.length), 0, out, 0, 32);
        System.arraycopy(payload, 0, out, 32, payload.length);
        return out;
    }

    static byte[] decode(Crypto crypto, String kind, byte[] file, int off, int len, String what)
            throws RepositoryException {
        byte[] payload;
        if (crypto.encrypted()) {
            payload = crypto.open(file, off, len, Crypto.aad(kind), what);
        } else {
            if (len < 36) throw corrupt(what, "truncated (" + len + " bytes)");
            byte[] sum = Crypto.sha256(file, off + 32, len - 32);
            if (!MessageDigest.isEqual(sum, java.util.Arrays.copyOfRange(file, off, off + 32)))
                throw corrupt(what, "checksum mismatch (damaged or truncated)");
            payload = java.util.Arrays.copyOfRange(file, off + 32, off + len);
        }
        if (payload.length < 4) throw corrupt(what, "truncated payload");
        int raw = ByteBuffer.wrap(payload).getInt();
        if (raw < 0 || raw > (1 << 30)) throw corrupt(what, "implausible length " + raw);
        try {
            byte[] out = new byte[raw];
            long n = Zstd.decompressByteArray(out, 0, raw, payload, 4, payload.length - 4);
            if (Zstd.isError(n) || n != raw) throw corrupt(what, "cannot decompress");
            return out;
        } catch (RuntimeException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT, what + ": cannot decompress: " + e.getMessage(), e);
        }
    }

    /**
     * Decodes a metadata file holding one JSON object with {@code version} 1 (manifests, records):
     * {@code label} names the object in messages ("manifest version 2 is not supported (1)",
     * "malformed manifest: ...").
     */
    static Map<String, Object> decodeJson(Crypto crypto, String kind, String label, byte[] file, String what)
            throws RepositoryException {
        byte[] json = decode(crypto, kind, file, 0, file.length, what);
        int version;
        Map<String, Object> m;
        try {
            m = JSON.std.mapFrom(json);
            version = ((Number) m.get("version")).intValue();
        } catch (IOException | RuntimeException e) {
            throw malformed(label, what, e);
        }
        if (version != 1)
            throw new RepositoryException(
                    RepositoryException.Code.UNSUPPORTED_VERSION,
                    what + ": " + label + " version " + version + " is not supported (1)");
        return m;
    }

    /** A JSON object of strings (tags, snapshot roles) as an ordered map; empty when absent. */
    static Map<String, String> strings(Object json) {
        Map<String, String> out = new LinkedHashMap<>();
        if (json instanceof Map<?, ?> m) m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        return out;
    }

    static RepositoryException malformed(String label, String what, Exception e) {
        return new RepositoryException(RepositoryException.Code.CORRUPT, what + ": malformed " + label + ": " + e, e);
    }

    static RepositoryException corrupt(String what, String why) {
        return new RepositoryException(RepositoryException.Code.CORRUPT, what + ": " + why);
    }
}
