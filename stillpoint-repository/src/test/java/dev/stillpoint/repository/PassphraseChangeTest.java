package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassphraseChangeTest {
    private static final char[] OLD = "repo-secret".toCharArray();
    private static final char[] NEW = "another secret".toCharArray();

    @TempDir
    Path tmp;

    private static RepositoryException.Code code(Throwable t) {
        return ((RepositoryException) t).code();
    }

    @Test
    void theNewPassphraseOpensTheSameDataAndTheOldOneNoLonger() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = TestImages.image(3, 9 * TestImages.CHUNK + 1);
        SnapshotInfo s;
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            s = TestImages.backup(repo, "a", img);
        }
        Path key = dir.resolve("keys").resolve(KeyFile.NAME);
        String before = Files.readString(key);
        try (Repository held = Repositories.open(dir, OLD)) { // a process that has it open keeps working
            Repositories.changePassword(dir, OLD, NEW);
            assertThat(TestImages.readAll(held, s.id())).isEqualTo(img);
        }
        String after = Files.readString(key);
        assertThat(after).isNotEqualTo(before).contains("\"memoryKiB\" : 64").contains("\"iterations\" : 1");
        assertThatThrownBy(() -> Repositories.open(dir, OLD))
                .isInstanceOf(RepositoryException.class)
                .satisfies(e -> assertThat(code(e)).isEqualTo(RepositoryException.Code.WRONG_PASSWORD));
        try (Repository repo = Repositories.open(dir, NEW)) {
            assertThat(TestImages.readAll(repo, s.id())).isEqualTo(img);
            assertThat(repo.check(100, ProgressListener.NONE).ok()).isTrue();
        }
    }

    @Test
    void aWrongOldPassphraseOrAnEmptyNewOneChangesNothing() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(true)).close();
        Path key = dir.resolve("keys").resolve(KeyFile.NAME);
        byte[] before = Files.readAllBytes(key);
        assertThatThrownBy(() -> Repositories.changePassword(dir, "wrong".toCharArray(), NEW))
                .isInstanceOf(RepositoryException.class)
                .hasMessageContaining("wrong passphrase")
                .satisfies(e -> assertThat(code(e)).isEqualTo(RepositoryException.Code.WRONG_PASSWORD));
        assertThatThrownBy(() -> Repositories.changePassword(dir, OLD, new char[0]))
                .isInstanceOf(RepositoryException.class)
                .hasMessageContaining("new passphrase")
                .satisfies(e -> assertThat(code(e)).isEqualTo(RepositoryException.Code.INVALID_ARGUMENT));
        assertThat(Files.readAllBytes(key)).isEqualTo(before);
        Repositories.open(dir, OLD).close();
    }

    /**
     * A change writes its temp file next to the key file, not in {@code tmp/}: prune empties
     * {@code tmp/} without a lock that a change would wait for, and used to delete a change's
     * temp file before its rename (an I/O error; the key file was never damaged). Modelled here
     * by a {@code tmp/} that does not exist during the change.
     */
    @Test
    void aChangeDoesNotWriteThroughTmpWhichPruneEmpties() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(true)).close();
        Path tmpDir = dir.resolve("tmp");
        Files.delete(tmpDir);
        Repositories.changePassword(dir, OLD, NEW);
        assertThat(tmpDir).doesNotExist();
        try (var keys = Files.list(dir.resolve("keys"))) {
            assertThat(keys.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("master.json", KeyFile.CHANGE_LOCK);
        }
        Repositories.open(dir, NEW).close();
    }

    @Test
    void anUnencryptedRepositoryHasNoPassphraseToChange() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(false)).close();
        assertThatThrownBy(() -> Repositories.changePassword(dir, OLD, NEW))
                .isInstanceOf(RepositoryException.class)
                .hasMessageContaining("not encrypted")
                .satisfies(e -> assertThat(code(e)).isEqualTo(RepositoryException.Code.INVALID_ARGUMENT));
        assertThat(dir.resolve("keys").resolve(KeyFile.NAME)).doesNotExist();
    }

    @Test
    void twoChangesAtOnceFromTheSamePassphraseCannotBothSucceed() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(true)).close();
        char[] current = OLD;
        for (int round = 0; round < 5; round++) {
            char[] a = ("a" + round).toCharArray(), b = ("b" + round).toCharArray();
            char[] from = current;
            var start = new java.util.concurrent.CyclicBarrier(2);
            var ex = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                var fa = ex.submit(() -> {
                    start.await();
                    Repositories.changePassword(dir, from, a);
                    return true;
                });
                var fb = ex.submit(() -> {
                    start.await();
                    Repositories.changePassword(dir, from, b);
                    return true;
                });
                boolean okA = succeeded(fa), okB = succeeded(fb);
                // the second change no longer knows the current passphrase: it must fail, not silently
                // replace the first one (whose user would then hold a passphrase that opens nothing)
                assertThat(okA ^ okB)
                        .as("round " + round + ": exactly one change succeeds (a=" + okA + ", b=" + okB + ")")
                        .isTrue();
                current = okA ? a : b;
                Repositories.open(dir, current).close();
            } finally {
                ex.shutdownNow();
            }
        }
    }

    private static boolean succeeded(java.util.concurrent.Future<Boolean> f) throws Exception {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(code(e.getCause())).isEqualTo(RepositoryException.Code.WRONG_PASSWORD);
            return false;
        }
    }
}
