package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that may not load native code ({@code --illegal-native-access=deny}) falls back to the
 * Java paths and produces the same id and key; so does {@code -Dstillpoint.nativeCrypto=false}.
 */
class NativeFallbackTest {
    static byte[] data() {
        byte[] b = new byte[100_003];
        new SplittableRandom(77).nextBytes(b);
        return b;
    }

    static byte[] master() {
        byte[] m = new byte[64];
        new SplittableRandom(78).nextBytes(m);
        return m;
    }

    @Test
    void deniedNativeAccessFallsBackToJava() throws Exception {
        String out = child("--illegal-native-access=deny");
        assertThat(out)
                .contains("sha=false argon2=false nativeIds=false b3native=false")
                .contains(expected())
                .contains(expectedBlake3());
    }

    @Test
    void propertyForcesJava() throws Exception {
        String out = child("--enable-native-access=ALL-UNNAMED", "-Dstillpoint.nativeCrypto=false");
        assertThat(out)
                .contains("nativeIds=false b3native=false")
                .contains(expected())
                .contains(expectedBlake3());
        if (NativeCryptoTest.libraryPresent("libcrypto.so.3")) assertThat(out).contains("sha=true");
    }

    private static String expected() {
        byte[] d = data();
        return " id=" + Crypto.aes(master(), false).id(d, 3, d.length - 3).hex() + " kek="
                + Hex.of(KeyFile.derive("pw".toCharArray(), new byte[16], 64, 2, 2, false));
    }

    @Test
    void nativeBlake3GivesTheJavaId() throws Exception {
        String out = child("--enable-native-access=ALL-UNNAMED");
        if (NativeBlake3.available()) assertThat(out).contains("b3native=true");
        assertThat(out).contains(expectedBlake3());
    }

    /**
     * The library is copied to a temporary file to be loaded; where {@code java.io.tmpdir} cannot
     * serve (mounted noexec, as /tmp often is, or missing) it must still load from elsewhere,
     * or every chunk id silently runs in Java at a tenth of the speed (C1 only under ./stillpoint).
     */
    @Test
    void unusableTmpdirStillLoadsNativeBlake3(@TempDir Path tmp) throws Exception {
        if (!NativeBlake3.available())
            return; // builtAndLoadedWhereRequired (NativeBlake3Test) says whether that is allowed
        String out = child("--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp.resolve("missing"));
        assertThat(out).contains("b3native=true").contains(expectedBlake3());
    }

    private static String expectedBlake3() {
        byte[] d = data();
        return " b3id="
                + Crypto.of(RepositoryOptions.IdHash.BLAKE3, master(), false)
                        .id(d, 3, d.length - 3)
                        .hex();
    }

    private static String child(String... jvmArgs) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1"));
        args.addAll(List.of(jvmArgs));
        return ChildJvm.run(60, args, NativeFallbackChild.class);
    }
}
