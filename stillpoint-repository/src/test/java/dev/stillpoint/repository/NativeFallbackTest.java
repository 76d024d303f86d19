package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

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
        assertThat(out).contains("sha=false argon2=false nativeIds=false").contains(expected());
    }

    @Test
    void propertyForcesJava() throws Exception {
        String out = child("--enable-native-access=ALL-UNNAMED", "-Dstillpoint.nativeCrypto=false");
        assertThat(out).contains("nativeIds=false").contains(expected());
        if (NativeCryptoTest.libraryPresent("libcrypto.so.3")) assertThat(out).contains("sha=true");
    }

    private static String expected() {
        byte[] d = data();
        return " id=" + Crypto.aes(master(), false).id(d, 3, d.length - 3).hex()
                + " kek=" + Hex.of(KeyFile.derive("pw".toCharArray(), new byte[16], 64, 2, 2, false));
    }

    private static String child(String... jvmArgs) throws Exception {
        String javaCmd = ProcessHandle.current().info().command().orElse(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new java.util.ArrayList<>(List.of(javaCmd, "-Xmx64m", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", cp, NativeFallbackChild.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            byte[] all = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
            String out = new String(all, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("child exit; output: %s", out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }
}
