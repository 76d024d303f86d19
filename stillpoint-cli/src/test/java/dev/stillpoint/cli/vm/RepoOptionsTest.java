package dev.stillpoint.cli.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.RepositoryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM commands find the repository and its passphrase as the repository commands do. */
class RepoOptionsTest {
    @TempDir Path tmp;

    @Test
    void thePassphraseComesFromThePasswordFileAndAMissingRepoIsAUsageError() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("STILLPOINT_PASSWORD") == null, "STILLPOINT_PASSWORD would take precedence");
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, RepositoryOptions.encrypted("from a file".toCharArray()).withKdf(64, 1)).close();
        Path right = Files.writeString(tmp.resolve("pw"), "from a file\n"), wrong = Files.writeString(tmp.resolve("bad"), "guess\n");

        RepoOptions o = new RepoOptions();
        o.repo = dir.toString();
        o.passwordFile = right;
        try (Repository r = o.openRepository()) {
            assertThat(r.snapshots()).isEmpty();
        }
        assertThat(o.catalogPath()).isEqualTo(dir.resolve("catalog.db"));

        o.passwordFile = wrong;
        assertThatThrownBy(o::openRepository).isInstanceOf(RepositoryException.class)
                .satisfies(e -> assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.WRONG_PASSWORD));

        RepoOptions none = new RepoOptions();
        assertThatThrownBy(none::openRepository).isInstanceOf(RepositoryException.class).hasMessageContaining("--repo: missing")
                .satisfies(e -> assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.INVALID_ARGUMENT));
    }
}
