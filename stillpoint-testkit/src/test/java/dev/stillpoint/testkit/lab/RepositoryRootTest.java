package dev.stillpoint.testkit.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryRootTest {
    @Test
    void findsTheCheckoutAboveTheModuleDirectory() {
        String saved = System.clearProperty(RepositoryRoot.PROPERTY);
        try {
            Path root = RepositoryRoot.find();
            assertThat(root.resolve(".ci/run")).isRegularFile();
            assertThat(root.resolve("scripts/lab")).isExecutable();
        } finally {
            if (saved != null) {
                System.setProperty(RepositoryRoot.PROPERTY, saved);
            }
        }
    }

    @Test
    void rejectsAConfiguredRootWithoutTheLabScript(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve(".ci"));
        String saved = System.setProperty(RepositoryRoot.PROPERTY, tmp.toString());
        try {
            assertThatThrownBy(RepositoryRoot::find)
                    .isInstanceOfSatisfying(
                            GuestLabException.class,
                            e -> assertThat(e.code()).isEqualTo(GuestLabException.Code.ROOT_NOT_FOUND))
                    .hasMessageContaining(tmp.toString())
                    .hasMessageContaining("scripts/lab");
        } finally {
            if (saved == null) {
                System.clearProperty(RepositoryRoot.PROPERTY);
            } else {
                System.setProperty(RepositoryRoot.PROPERTY, saved);
            }
        }
    }
}
