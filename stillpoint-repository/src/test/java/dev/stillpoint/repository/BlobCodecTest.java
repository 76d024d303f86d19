package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdCompressCtx;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The per-thread zstd contexts of {@link BlobCodec}: native memory that must not outlive its thread. */
class BlobCodecTest {

    /** A compressible chunk: text-like bytes. */
    private static byte[] chunk() {
        byte[] raw = new byte[256 << 10];
        byte[] word = "stillpoint repository chunk ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < raw.length; i++) raw[i] = word[i % word.length];
        return raw;
    }

    /** The calling thread's zstd context (BlobCodec.COMPRESSOR), or null. */
    private static ZstdCompressCtx currentContext() throws ReflectiveOperationException {
        Field f = BlobCodec.class.getDeclaredField("COMPRESSOR");
        f.setAccessible(true);
        Object c = ((ThreadLocal<?>) f.get(null)).get();
        if (c == null) return null;
        Method ctx = c.getClass().getDeclaredMethod("ctx");
        ctx.setAccessible(true);
        return (ZstdCompressCtx) ctx.invoke(c);
    }

    private static long nativePtr(ZstdCompressCtx ctx) throws ReflectiveOperationException {
        Field f = ZstdCompressCtx.class.getDeclaredField("nativePtr");
        f.setAccessible(true);
        return f.getLong(ctx);
    }

    /**
     * Worker threads come and go with each opened repository (FileRepository's pool): the zstd
     * context a worker used (~1 MiB of native memory, no finalizer in zstd-jni) must be freed once
     * the thread has ended, or a long-running process leaks one per worker per repository handle.
     */
    @Test
    void contextOfAFinishedThreadIsFreed() throws Exception {
        byte[] raw = chunk();
        Crypto crypto = Crypto.none(RepositoryOptions.IdHash.BLAKE3);
        ChunkId id = crypto.id(raw, 0, raw.length);
        AtomicReference<ZstdCompressCtx> used = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = new Thread(
                () -> {
                    try {
                        byte[] enc = BlobCodec.encode(crypto, id, raw, raw.length, 2);
                        assertThat(enc[0]).isEqualTo(BlobCodec.ZSTD);
                        assertThat(BlobCodec.decode(crypto, id, enc, 0, enc.length, raw.length))
                                .isEqualTo(raw);
                        used.set(currentContext());
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                },
                "blobcodec-test-worker");
        t.start();
        t.join();
        assertThat(failed.get()).isNull();
        ZstdCompressCtx ctx = used.get();
        assertThat(ctx).isNotNull();
        assertThat(nativePtr(ctx)).isNotZero();
        t = null;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (nativePtr(ctx) != 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(nativePtr(ctx))
                .as("native zstd context of a finished thread is freed")
                .isZero();
    }

    /** A thread that switches level gets the new level's context and frees the old one. */
    @Test
    void levelChangeFreesThePreviousContext() throws Exception {
        byte[] raw = chunk();
        Crypto crypto = Crypto.none(RepositoryOptions.IdHash.BLAKE3);
        ChunkId id = crypto.id(raw, 0, raw.length);
        byte[] a = BlobCodec.encode(crypto, id, raw, raw.length, 2);
        ZstdCompressCtx first = currentContext();
        byte[] b = BlobCodec.encode(crypto, id, raw, raw.length, 9);
        assertThat(currentContext()).isNotSameAs(first);
        assertThat(nativePtr(first)).isZero();
        assertThat(BlobCodec.decode(crypto, id, a, 0, a.length, raw.length)).isEqualTo(raw);
        assertThat(BlobCodec.decode(crypto, id, b, 0, b.length, raw.length)).isEqualTo(raw);
        assertThat(Arrays.equals(a, b)).isFalse();
    }
}
