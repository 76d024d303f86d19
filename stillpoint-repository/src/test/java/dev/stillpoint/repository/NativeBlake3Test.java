package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.repository.RepositoryOptions.IdHash;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The native BLAKE3 library gives {@link Blake3}'s bytes, is really built into the jar where the
 * build had a compiler and the sources (required in CI), and is what version-3 ids use.
 */
class NativeBlake3Test {
    static final int MIB = 1 << 20;
    static final int[] LENGTHS = {
        0,
        1,
        63,
        64,
        65,
        1023,
        1024,
        1025,
        2047,
        2048,
        2049,
        3 * 1024 + 1,
        8 * 1024,
        16 * 1024 + 5,
        65536 + 3,
        100_003,
        MIB - 1,
        MIB,
        MIB + 17
    };

    @Test
    void builtAndLoadedWhereRequired() {
        boolean built = NativeBlake3.class.getResource("/native/linux-x86_64/" + NativeBlake3.LIBRARY) != null
                || NativeBlake3.class.getResource("/native/linux-aarch64/" + NativeBlake3.LIBRARY) != null;
        if (Boolean.getBoolean("stillpoint.it.required"))
            assertThat(built).as("the build made no " + NativeBlake3.LIBRARY).isTrue();
        if (!built) return;
        assertThat(NativeBlake3.available())
                .as("in the jar but not loaded: %s", NativeBlake3.loadFailure())
                .isTrue();
        String old = System.clearProperty(NativeSha256.PROPERTY);
        try {
            assertThat(Crypto.none(IdHash.BLAKE3).nativeIds()).isTrue();
            assertThat(Crypto.aes(new byte[64], IdHash.BLAKE3).nativeIds()).isTrue();
            System.setProperty(NativeSha256.PROPERTY, "false");
            assertThat(Crypto.none(IdHash.BLAKE3).nativeIds()).isFalse();
        } finally {
            if (old == null) System.clearProperty(NativeSha256.PROPERTY);
            else System.setProperty(NativeSha256.PROPERTY, old);
        }
    }

    @Test
    void nativeMatchesJavaForManyLengthsOffsetsAndKeys() {
        if (!NativeBlake3.available()) return; // builtAndLoadedWhereRequired says whether that is allowed
        SplittableRandom rnd = new SplittableRandom(7);
        byte[] big = new byte[2 * MIB + 100];
        rnd.nextBytes(big);
        byte[] key = new byte[32];
        rnd.nextBytes(key);
        int[] words = Blake3.keyWords(key);
        for (int len : LENGTHS) {
            for (int off : new int[] {0, 3, 64}) {
                byte[] n = new byte[32], j = new byte[32];
                NativeBlake3.hash(null, big, off, len, n, 0);
                Blake3.hash(null, big, off, len, j, 0);
                assertThat(Hex.of(n)).as("plain, len %d off %d", len, off).isEqualTo(Hex.of(j));
                NativeBlake3.hash(key, big, off, len, n, 0);
                Blake3.hash(words, big, off, len, j, 0);
                assertThat(Hex.of(n)).as("keyed, len %d off %d", len, off).isEqualTo(Hex.of(j));
            }
        }
    }

    @Test
    void idsOfBothPathsAgreeAndDependOnTheKey() {
        SplittableRandom rnd = new SplittableRandom(8);
        byte[] master = new byte[64], data = new byte[MIB + 5];
        rnd.nextBytes(master);
        rnd.nextBytes(data);
        Crypto plainJ = Crypto.of(IdHash.BLAKE3, null, false), aesJ = Crypto.of(IdHash.BLAKE3, master, false);
        byte[] expect = new byte[32];
        Blake3.hash(Blake3.keyWords(java.util.Arrays.copyOfRange(master, 32, 64)), data, 5, MIB, expect, 0);
        assertThat(aesJ.id(data, 5, MIB).hex()).isEqualTo(Hex.of(expect));
        assertThat(aesJ.id(data, 5, MIB)).isNotEqualTo(plainJ.id(data, 5, MIB));
        assertThat(aesJ.id(data, 5, MIB))
                .isNotEqualTo(Crypto.aes(master, false).id(data, 5, MIB)); // not the SHA-256 id
        byte[] other = master.clone();
        other[40] ^= 1;
        assertThat(Crypto.of(IdHash.BLAKE3, other, false).id(data, 5, MIB)).isNotEqualTo(aesJ.id(data, 5, MIB));
        if (!NativeBlake3.available()) return;
        assertThat(Crypto.of(IdHash.BLAKE3, master, true).id(data, 5, MIB)).isEqualTo(aesJ.id(data, 5, MIB));
        assertThat(Crypto.of(IdHash.BLAKE3, null, true).id(data, 5, MIB)).isEqualTo(plainJ.id(data, 5, MIB));
    }
}
