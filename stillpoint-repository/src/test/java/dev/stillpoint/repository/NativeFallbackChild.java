package dev.stillpoint.repository;

/** Child JVM of {@link NativeFallbackTest}: reports which paths it took and their results. */
public final class NativeFallbackChild {
    private NativeFallbackChild() {}

    public static void main(String[] args) {
        byte[] data = NativeFallbackTest.data();
        Crypto aes = Crypto.aes(NativeFallbackTest.master());
        Crypto b3 = Crypto.aes(NativeFallbackTest.master(), RepositoryOptions.IdHash.BLAKE3);
        System.out.println("sha=" + NativeSha256.available() + " argon2=" + NativeArgon2.available() + " nativeIds="
                + aes.nativeIds()
                + " b3native=" + b3.nativeIds() + " id="
                + aes.id(data, 3, data.length - 3).hex()
                + " kek=" + Hex.of(KeyFile.derive("pw".toCharArray(), new byte[16], 64, 2, 2))
                + " b3id=" + b3.id(data, 3, data.length - 3).hex());
    }
}
