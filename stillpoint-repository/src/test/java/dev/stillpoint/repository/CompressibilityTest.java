package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CompressibilityTest {
    static final int MIB = 1 << 20;

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] text(int n, long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder(n + 64);
        while (sb.length() < n)
            sb.append("line ")
                    .append(r.nextInt(100_000))
                    .append(" of a log with words ")
                    .append(r.nextInt(50))
                    .append('\n');
        return sb.substring(0, n).getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void randomChunkIsNotWorthCompressing() {
        assertThat(Compressibility.worthCompressing(random(MIB, 1), 0, MIB)).isFalse();
    }

    @Test
    void textAndSparseDataAreWorthCompressing() {
        assertThat(Compressibility.worthCompressing(text(MIB, 2), 0, MIB)).isTrue();
        byte[] mostlyZero = new byte[MIB];
        mostlyZero[12345] = 1;
        assertThat(Compressibility.worthCompressing(mostlyZero, 0, MIB)).isTrue();
    }

    @Test
    void oneCompressibleSampleRegionIsEnough() {
        byte[] b = random(MIB, 3);
        byte[] t = text(MIB / 4, 4);
        System.arraycopy(t, 0, b, 3 * MIB / 4, t.length); // last quarter is text
        assertThat(Compressibility.worthCompressing(b, 0, MIB)).isTrue();
    }

    @Test
    void respectsOffsetAndShortInputsAreAlwaysTried() {
        byte[] b = new byte[2 * MIB];
        System.arraycopy(random(MIB, 5), 0, b, MIB, MIB); // zeros then random
        assertThat(Compressibility.worthCompressing(b, MIB, MIB)).isFalse();
        assertThat(Compressibility.worthCompressing(b, 0, MIB)).isTrue();
        assertThat(Compressibility.worthCompressing(random(1000, 6), 0, 1000)).isTrue();
    }

    @Test
    void entropyOfKnownHistograms() {
        int[] flat = new int[256];
        java.util.Arrays.fill(flat, 16);
        assertThat(Compressibility.entropyBits(flat, 4096)).isCloseTo(8.0, org.assertj.core.data.Offset.offset(1e-9));
        int[] two = new int[256];
        two['a'] = 2048;
        two['b'] = 2048;
        assertThat(Compressibility.entropyBits(two, 4096)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    /** Blob encoding: compressible chunks stay compressed, random ones are stored raw; both decode bit-exact. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void blobEncodingChoosesTypeAndRoundTrips(boolean encrypted) throws Exception {
        Crypto crypto = encrypted ? Crypto.aes(random(64, 7)) : Crypto.none();
        byte[] txt = text(MIB, 8), rnd = random(MIB, 9);
        byte[] mixed = random(MIB, 10);
        System.arraycopy(txt, 0, mixed, 0, MIB / 2);
        for (byte[] raw : new byte[][] {txt, rnd, mixed}) {
            ChunkId id = crypto.id(raw, 0, raw.length);
            byte[] enc = BlobCodec.encode(crypto, id, raw, raw.length, 2);
            byte[] plain = encrypted ? open(crypto, id, enc) : enc;
            if (raw == rnd) {
                assertThat(plain[0]).isEqualTo(BlobCodec.STORED);
                assertThat(plain.length).isEqualTo(raw.length + 1);
            } else {
                assertThat(plain[0]).isEqualTo(BlobCodec.ZSTD);
                assertThat(plain.length).isLessThan(raw.length * 3 / 4);
            }
            assertThat(BlobCodec.decode(crypto, id, enc, 0, enc.length, raw.length))
                    .isEqualTo(raw);
        }
    }

    private static byte[] open(Crypto crypto, ChunkId id, byte[] sealed) throws RepositoryException {
        int plen = sealed.length
                - Crypto.NONCE
                - Crypto.TAG
                        * ((sealed.length - Crypto.NONCE + Crypto.SEGMENT + Crypto.TAG - 1)
                                / (Crypto.SEGMENT + Crypto.TAG));
        byte[] plain = new byte[plen];
        crypto.openSegmented(sealed, 0, sealed.length, id.bytes(), plain, plen, "test");
        return plain;
    }
}
