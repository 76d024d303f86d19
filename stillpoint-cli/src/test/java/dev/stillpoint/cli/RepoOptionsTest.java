package dev.stillpoint.cli;

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

/** Every command finds the repository and its passphrase through the one {@link RepoOptions}. */
class RepoOptionsTest {
    @TempDir
    Path tmp;

    @Test
    void thePassphraseComesFromThePasswordFileAndAMissingRepoIsAUsageError() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getenv("STILLPOINT_PASSWORD") == null, "STILLPOINT_PASSWORD would take precedence");
        Path dir = tmp.resolve("repo");
        Repositories.init(
                        dir,
                        RepositoryOptions.encrypted("from a file".toCharArray()).withKdf(64, 1))
                .close();
        Path right = Files.writeString(tmp.resolve("pw"), "from a file\n"),
                wrong = Files.writeString(tmp.resolve("bad"), "guess\n");

        RepoOptions o = new RepoOptions();
        o.repo = dir.toString();
        o.passwordFile = right;
        try (Repository r = o.open()) {
            assertThat(r.snapshots()).isEmpty();
        }
        assertThat(o.location()).isEqualTo(dir.toString());
        assertThat(o.defaultCatalog()).isEqualTo(dir.resolve("catalog.db"));
        RepoOptions s3 = new RepoOptions();
        s3.repo = "s3:http://127.0.0.1:9000/bkt/hosts/one";
        assertThat(s3.location()).isEqualTo("s3:http://127.0.0.1:9000/bkt/hosts/one");
        assertThat(s3.defaultCatalog().toString()).endsWith("/catalogs/127.0.0.1-9000-bkt-hosts-one.db");

        o.passwordFile = wrong;
        assertThatThrownBy(o::open)
                .isInstanceOf(RepositoryException.class)
                .satisfies(e -> assertThat(((RepositoryException) e).code())
                        .isEqualTo(RepositoryException.Code.WRONG_PASSWORD));

        RepoOptions none = new RepoOptions();
        assertThatThrownBy(none::open)
                .isInstanceOf(RepositoryException.class)
                .hasMessageContaining("--repo: missing")
                .satisfies(e -> assertThat(((RepositoryException) e).code())
                        .isEqualTo(RepositoryException.Code.INVALID_ARGUMENT));
    }
}
