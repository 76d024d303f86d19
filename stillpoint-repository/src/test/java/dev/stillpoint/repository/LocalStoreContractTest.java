package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.repository.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a directory, plus what only the local store promises (temp files, layout). */
class LocalStoreContractTest extends StoreContract {
    @TempDir
    Path tmp;

    private int n;

    @Override
    Store store() throws Exception {
        Path root = tmp.resolve("s" + n++);
        Files.createDirectories(root.resolve("tmp"));
        return new LocalStore(root);
    }

    @Test
    void objectsAreTheFilesOfTheLayoutAndLeaveNoTempFiles() throws Exception {
        try (Store s = store()) {
            Path root = s.localRoot();
            s.put("data/ab/abc", new byte[] {1, 2});
            s.replace("keys/master.json", new byte[] {3});
            s.put("locks/l1", new byte[] {4});
            try (Store.Upload u = s.upload()) {
                u.write(new byte[8192], 0, 8192, 0);
                u.commit("data/cd/cde", 5000);
            }
            assertThat(root.resolve("data/ab/abc")).hasBinaryContent(new byte[] {1, 2});
            assertThat(root.resolve("keys/master.json")).hasBinaryContent(new byte[] {3});
            assertThat(Files.size(root.resolve("data/cd/cde"))).isEqualTo(5000);
            try (var t = Files.list(root.resolve("tmp"))) {
                assertThat(t).isEmpty();
            }
            try (var t = Files.list(root.resolve("keys"))) {
                assertThat(t).hasSize(1);
            }
            try (var t = Files.list(root.resolve("locks"))) {
                assertThat(t).hasSize(1);
            }
        }
    }
}
