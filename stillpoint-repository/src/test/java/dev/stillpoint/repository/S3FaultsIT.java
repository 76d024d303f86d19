package dev.stillpoint.repository;

import static dev.stillpoint.repository.TestImages.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.testkit.FaultProxy;
import dev.stillpoint.testkit.FaultProxy.Fault;
import dev.stillpoint.testkit.S3Proxy;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of a real S3 server (s3proxy, its own process) injected by an HTTP proxy in front of it
 * ({@link FaultProxy}): 500s and slow answers are retried with backoff, then fail naming the
 * object (UNAVAILABLE, exit 19); an append-only bucket policy (deletes and overwrites refused
 * with 403, lock objects excepted): backup succeeds, prune and forget say they cannot
 * (ACCESS_DENIED, exit 18) and change nothing.
 */
class S3FaultsIT {
    @TempDir
    static Path work;

    static S3Proxy s3;
    static FaultProxy proxy;
    static final char[] PW = "repo-secret".toCharArray();
    private static int n;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Proxy.start(work);
        s3.useInThisJvm();
        s3.createBucket("faults");
        proxy = FaultProxy.start(s3);
        System.setProperty("stillpoint.cacheDir", work.resolve("cache").toString());
        System.setProperty("stillpoint.s3.attempts", "4");
        System.setProperty("stillpoint.s3.backoffMillis", "50");
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("stillpoint.s3.attempts");
        System.clearProperty("stillpoint.s3.backoffMillis");
        System.clearProperty("stillpoint.s3.socketTimeoutMillis");
        if (proxy != null) proxy.close();
        if (s3 != null) s3.close();
    }

    @BeforeEach
    @AfterEach
    void pass() {
        proxy.reset();
    }

    private static String fresh() {
        return proxy.location("faults", "r" + n++);
    }

    @Test
    void fiveHundredsAndSlowAnswersAreRetriedAndTheBackupAndRestoreSucceed(@TempDir Path tmp) throws Exception {
        String loc = fresh();
        byte[] img = TestImages.image(4, 24 * CHUNK + 77);
        AtomicInteger count = new AtomicInteger();
        // every third request fails (500 or 503 SlowDown) and every fifth is slow: each retried request passes
        proxy.rule(r -> {
            int i = count.incrementAndGet();
            if (i % 3 == 0) return Fault.error(i % 2 == 0 ? 500 : 503, i % 2 == 0 ? "InternalError" : "SlowDown");
            if (i % 5 == 0) return Fault.delay(300);
            return Fault.PASS;
        });
        String id;
        try (Repository repo = Repositories.init(loc, TestImages.options(true))) {
            id = TestImages.backup(repo, "disk", img).id();
        }
        try (Repository repo = Repositories.open(loc, PW)) {
            assertThat(TestImages.restore(repo, id, tmp.resolve("out"))).isEqualTo(img);
            assertThat(repo.check(100, null).ok()).isTrue();
        }
        assertThat(proxy.injected()).as("faults were injected and retried").hasSizeGreaterThan(10);
    }

    @Test
    void aPackThatKeepsFailingIsNamedAfterTheRetries(@TempDir Path tmp) throws Exception {
        String loc = fresh();
        byte[] img = TestImages.image(5, 12 * CHUNK);
        String id;
        try (Repository repo = Repositories.init(loc, TestImages.options(true))) {
            id = TestImages.backup(repo, "disk", img).id();
        }
        proxy.rule(r -> r.method().equals("GET") && r.key().contains("/data/")
                ? Fault.error(500, "InternalError")
                : Fault.PASS);
        try (Repository repo = Repositories.open(loc, PW)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> TestImages.restore(repo, id, tmp.resolve("out")))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.UNAVAILABLE))
                    .hasMessageMatching("(?s).*GET data/[0-9a-f]{2}/[0-9a-f]{64} failed after 4 attempts: 500.*");
            assertThat(System.nanoTime() - t0).as("backed off 50+100+200 ms").isGreaterThan(350_000_000L);
        }
        assertThat(proxy.injected())
                .allMatch(s -> s.startsWith("500 GET /faults/"))
                .hasSizeGreaterThanOrEqualTo(4);
    }

    /**
     * Every answer is cut after ~1 MiB: a download that started again from its first byte would
     * never finish (4 attempts); one that asks for the rest where it stopped does, in 3.
     */
    @Test
    void aDownloadCutOffInTheMiddleResumesWhereItStopped(@TempDir Path tmp) throws Exception {
        byte[] pack = new byte[2 * (1 << 20) + 1000];
        new java.util.Random(9).nextBytes(pack);
        try (dev.stillpoint.repository.store.Store s = dev.stillpoint.repository.store.S3Store.open(fresh())) {
            s.put("data/ab/pack", pack);
            proxy.rule(r ->
                    r.method().equals("GET") && r.key().endsWith("/data/ab/pack") ? Fault.cut(1 << 20) : Fault.PASS);
            Path f = tmp.resolve("pack");
            try (var out = java.nio.channels.FileChannel.open(
                    f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                assertThat(s.copyTo("data/ab/pack", out)).isEqualTo(pack.length);
            }
            assertThat(java.nio.file.Files.readAllBytes(f)).isEqualTo(pack);
            assertThat(proxy.injected()).hasSizeBetween(2, 3).allMatch(x -> x.startsWith("cut GET /faults/"));
        }
    }

    @Test
    void anAnswerSlowerThanTheTimeoutIsRetriedThenNamed() throws Exception {
        String loc = fresh();
        try (Repository repo = Repositories.init(loc, TestImages.options(false))) {
            TestImages.backup(repo, "disk", TestImages.image(6, 3 * CHUNK));
        }
        System.setProperty("stillpoint.s3.socketTimeoutMillis", "400");
        proxy.rule(r -> r.key().contains("/snapshots/") && r.method().equals("GET") ? Fault.delay(1500) : Fault.PASS);
        try (Repository repo = Repositories.open(loc, null)) {
            assertThatThrownBy(repo::snapshots)
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.UNAVAILABLE))
                    .hasMessageMatching("(?s).*GET snapshots/[0-9a-f]{64} failed after 4 attempts.*");
        } finally {
            System.clearProperty("stillpoint.s3.socketTimeoutMillis");
        }
    }

    @Test
    void anAppendOnlyKeyBacksUpAndPruneSaysItCannot(@TempDir Path tmp) throws Exception {
        String loc = fresh();
        byte[] img = TestImages.image(7, 10 * CHUNK + 5);
        try (Repository repo = Repositories.init(loc, TestImages.options(true))) {
            TestImages.backup(repo, "disk", img);
        }
        proxy.rule(FaultProxy.appendOnly(s3));
        String last = null;
        try (Repository repo = Repositories.open(loc, PW)) {
            for (int i = 0; i < IndexCompactor.MAX_SMALL_FILES + 3; i++) {
                img[i * 333] ^= 1;
                last = TestImages.backup(repo, "disk", img, i).id();
            }
            assertThat(TestImages.restore(repo, last, tmp.resolve("out"))).isEqualTo(img);
            assertThat(proxy.injected())
                    .as("only the probes for delete permission were refused")
                    .allMatch(s -> s.matches("403 DELETE /faults/r\\d+/data/delete-probe-[0-9a-f]+"));
            int before = proxy.injected().size();
            assertThatThrownBy(() -> repo.prune(null))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.ACCESS_DENIED))
                    .hasMessageContaining("prune cannot run with these credentials")
                    .hasMessageContaining("refuses deletes");
            assertThat(proxy.injected().subList(before, proxy.injected().size()))
                    .hasSize(1);
            assertThat(repo.snapshots()).hasSize(IndexCompactor.MAX_SMALL_FILES + 4);
        }
        proxy.rule(r -> Fault.PASS); // the privileged key
        try (Repository repo = Repositories.open(loc, PW)) {
            repo.forget(repo.snapshots().getFirst().id());
            repo.prune(null);
            assertThat(repo.check(100, null).ok()).isTrue();
            assertThat(TestImages.readAll(repo, last)).isEqualTo(img);
        }
    }
}
