package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.repository.RepositoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The VM commands' catalog is {@code --catalog}, else {@code catalog.db} in {@code --repo}. */
class CatalogOptionTest {
    @Test
    void theCatalogDefaultsToTheRepositorysCatalogDb() throws Exception {
        BackupsCommand c = CommandLine.populateCommand(new BackupsCommand(), "--repo", "/srv/backup");
        assertThat(c.catalogOption.path(c.repo)).isEqualTo(Path.of("/srv/backup/catalog.db"));

        c = CommandLine.populateCommand(new BackupsCommand(), "--repo", "/srv/backup", "--catalog", "/var/lib/sp.db");
        assertThat(c.catalogOption.path(c.repo)).isEqualTo(Path.of("/var/lib/sp.db"));

        BackupsCommand none = CommandLine.populateCommand(new BackupsCommand());
        if (System.getenv("STILLPOINT_REPOSITORY") == null)
            assertThatThrownBy(() -> none.catalogOption.path(none.repo))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessageContaining("--repo: missing");
    }
}
