package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 item 6: backup needs no delete or overwrite of data (only its own lock objects go),
 * so a key that cannot destroy history can back up; forget and prune say that they cannot before
 * they change anything.
 */
class AppendOnlyTest {
    private static final char[] PW = "repo-secret".toCharArray();

    @TempDir
    Path tmp;

    @Test
    void backupSucceedsWithoutDeletesOrOverwritesAndPruneSaysItCannot() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(true)).close();
        // a stale lock of a vanished host: an append-only key may not remove it, and need not
        Files.writeString(
                dir.resolve("locks/" + "e".repeat(32)),
                "{\"exclusive\":false,\"host\":\"gone\",\"pid\":1,\"created\":\"2020-01-01T00:00:00Z\",\"expires\":\""
                        + Instant.now().minusSeconds(60) + "\"}");
        AppendOnlyStore store = new AppendOnlyStore(new LocalStore(dir));
        List<SnapshotInfo> made = new ArrayList<>();
        byte[] img = TestImages.image(1, 6 * TestImages.CHUNK + 123);
        try (Repository repo = FileRepository.open(store, PW)) {
            // more backups than small index files are tolerated: a privileged writer would merge them now
            for (int i = 0; i < IndexCompactor.MAX_SMALL_FILES + 4; i++) {
                img[i * 1000] ^= 1;
                made.add(TestImages.backup(repo, "vm/vda", img, i));
            }
            assertThat(TestImages.restore(repo, made.getLast().id(), tmp.resolve("out")))
                    .isEqualTo(img);
            assertThat(store.refused)
                    .as("backup asked to delete only the stale foreign lock and the probe before merging the index")
                    .allMatch(r ->
                            r.startsWith("DELETE data/delete-probe-") || r.equals("DELETE locks/" + "e".repeat(32)))
                    .anyMatch(r -> r.startsWith("DELETE data/delete-probe-"));

            int refusedBefore = store.refused.size();
            assertThatThrownBy(() -> repo.prune(null))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.ACCESS_DENIED))
                    .hasMessageContaining("prune cannot run with these credentials")
                    .hasMessageContaining("Nothing was changed");
            assertThatThrownBy(() -> repo.forget(made.getFirst().id()))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.ACCESS_DENIED))
                    .hasMessageContaining("forget cannot run");
            assertThat(store.refused.subList(refusedBefore, store.refused.size()))
                    .as("nothing but the probes (and the stale lock) was tried")
                    .allMatch(r ->
                            r.startsWith("DELETE data/delete-probe-") || r.equals("DELETE locks/" + "e".repeat(32)));
            assertThat(repo.snapshots()).hasSize(made.size());
        }
        try (var locks = Files.list(dir.resolve("locks"))) {
            assertThat(locks.map(p -> p.getFileName().toString()))
                    .as("own locks removed, the stale foreign one left")
                    .containsExactly("e".repeat(32));
        }
        // the privileged key: merges, prunes, and the repository checks clean
        try (Repository repo = Repositories.open(dir, PW)) {
            repo.forget(made.getFirst().id());
            repo.prune(null);
            assertThat(repo.check(100, null).ok()).isTrue();
            assertThat(TestImages.restore(repo, made.getLast().id(), tmp.resolve("out2")))
                    .isEqualTo(img);
        }
    }
}
