package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.repository.store.S3Store;
import dev.stillpoint.repository.store.Store;
import dev.stillpoint.testkit.S3Proxy;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store contract against a real S3 server (s3proxy, its own process on 127.0.0.1), plus the
 * S3 errors: refused credentials, a missing bucket, a malformed location, an endpoint that does
 * not answer (retries, then an error naming the object).
 */
class S3StoreContractIT extends StoreContract {
    @TempDir
    static Path work;

    static S3Proxy s3;
    private static int n;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Proxy.start(work);
        s3.useInThisJvm();
        s3.createBucket("contract");
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) s3.close();
    }

    @Override
    Store store() throws Exception {
        return S3Store.open(s3.location("contract", "t" + n++ + "/repo"));
    }

    @Test
    void wrongCredentialsAreRefusedByName() throws Exception {
        String saved = System.getProperty("aws.secretAccessKey");
        System.setProperty("aws.secretAccessKey", "not-the-secret");
        try (Store s = S3Store.open(s3.location("contract", "creds"))) {
            assertThatThrownBy(() -> s.get("config"))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.ACCESS_DENIED))
                    .hasMessageContaining("credentials")
                    .hasMessageContaining("config");
        } finally {
            System.setProperty("aws.secretAccessKey", saved);
        }
    }

    @Test
    void aMissingBucketIsNotFound() throws Exception {
        try (Store s = S3Store.open(s3.location("no-such-bucket", "x"))) {
            assertThatThrownBy(() -> s.get("config"))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.NOT_FOUND))
                    .hasMessageContaining("bucket no-such-bucket does not exist");
            assertThatThrownBy(() -> s.list("snapshots/"))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.NOT_FOUND));
        }
    }

    @Test
    void malformedLocationsAreInvalidArguments() {
        for (String bad : new String[] {
            "s3:",
            "s3:http://",
            "s3:http://127.0.0.1:9000",
            "s3:http://127.0.0.1:9000/",
            "s3:http://h/Bad_Bucket!",
            "s3:http://h/b?x=1",
            "s3:ftp//h/b"
        }) {
            assertThatThrownBy(() -> S3Store.open(bad))
                    .as(bad)
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.INVALID_ARGUMENT))
                    .hasMessageContaining("not a valid S3 location");
        }
    }

    @Test
    void anEndpointThatDoesNotAnswerIsRetriedThenNamed() throws Exception {
        int port;
        try (ServerSocket sock = new ServerSocket(0)) {
            port = sock.getLocalPort();
        } // closed: connection refused
        System.setProperty("stillpoint.s3.attempts", "3");
        System.setProperty("stillpoint.s3.backoffMillis", "50");
        try (Store s = S3Store.open("s3:http://127.0.0.1:" + port + "/bucket/p")) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> s.get("snapshots/abc"))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.UNAVAILABLE))
                    .hasMessageContaining(
                            "s3:http://127.0.0.1:" + port + "/bucket/p: GET snapshots/abc failed after 3 attempts");
            assertThat(System.nanoTime() - t0).as("backed off twice").isGreaterThan(100_000_000L);
        } finally {
            System.clearProperty("stillpoint.s3.attempts");
            System.clearProperty("stillpoint.s3.backoffMillis");
        }
    }
}
