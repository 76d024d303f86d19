package dev.stillpoint.repository;

import dev.stillpoint.repository.RepositoryOptions.IdHash;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets HotSpot to compile the SHA-256/HMAC and AES-GCM paths with their CPU intrinsics before
 * the data arrives. Those paths are entered once per chunk (or per 64 KiB segment), far too
 * rarely for the JIT's invocation thresholds: without this the first few hundred MiB are
 * hashed and encrypted by interpreted Java loops at a fraction of the speed. Many tiny calls
 * (a few MB of work in total) on a daemon thread, overlapping the key derivation, fix that.
 * Runs once per JVM, for the id hash of the first repository opened. When ids are hashed in
 * native code ({@link NativeSha256}, {@link NativeBlake3}) there is nothing to
 * compile for them: a few calls only link the native functions (~50 ms of FFM set-up) off the
 * data path, and the warm-up is for AES-GCM alone; when AES-GCM runs on libcrypto too ({@link
 * NativeAesGcm}) the same few calls are all it does.
 */
final class JitWarmup {
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private JitWarmup() {}

    /**
     * At open: warms up only when chunk ids are hashed by the JDK. With native ids, a backup
     * gains nothing measurable from warming AES-GCM (its 64 KiB segments compile soon enough:
     * full ingest of a 4 GiB image 6.13 s without against 6.46 s with, 4 runs each), and a
     * re-read of unchanged data (no encryption at all) lost 0.15 s to it; reads call
     * {@link #start()} themselves (check --read-data: 3.30 s with, 3.45 s without).
     */
    static void startForIds(IdHash idHash) {
        if (!(idHash == IdHash.BLAKE3 ? NativeBlake3.enabled() : NativeSha256.enabled())) start(idHash);
    }

    /** Warms the id hash {@code idHash} (the repository's) and AES-GCM. */
    static void start(IdHash idHash) {
        if (!STARTED.compareAndSet(false, true) || Boolean.getBoolean("stillpoint.noWarmup")) return;
        Thread t = new Thread(() -> run(idHash), "stillpoint-jit-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private static void run(IdHash idHash) {
        try {
            Crypto none = Crypto.none(idHash);
            Crypto aes = Crypto.aes(new byte[64], idHash);
            byte[] small = new byte[128];
            int idRounds = none.nativeIds() && aes.nativeIds() ? 2 : 12_000;
            for (int i = 0; i < idRounds; i++) {
                none.id(small, 0, small.length);
                aes.id(small, 0, small.length);
            }
            byte[] seg = new byte[1024];
            byte[] aad = new byte[32];
            byte[] back = new byte[seg.length];
            int gcmRounds = aes.nativeGcm() ? 2 : 12_000;
            for (int i = 0; i < gcmRounds; i++) {
                byte[] sealed = aes.sealSegmented(seg, 0, seg.length, aad);
                aes.openSegmented(sealed, 0, sealed.length, aad, back, seg.length, "warmup");
            }
        } catch (RuntimeException | RepositoryException e) {
            // only an optimisation
        }
    }
}
