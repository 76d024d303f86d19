package dev.stillpoint.cli;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.repository.RepositoryException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --catalog FILE} (a picocli mixin): the backup catalog, by default beside the repository. */
public final class CatalogOption {
    @Option(
            names = "--catalog",
            paramLabel = "FILE",
            description =
                    "Backup catalog (SQLite); default: REPO/catalog.db, for an s3: repository $STILLPOINT_STATE_DIR/catalogs/HOST-PORT-BUCKET-PREFIX.db.")
    public Path catalog;

    public Catalog open(RepoOptions repo) throws EngineException, RepositoryException {
        return Catalog.open(path(repo));
    }

    /** {@code --catalog}, else the repository's default ({@link RepoOptions#defaultCatalog}). */
    public Path path(RepoOptions repo) throws RepositoryException {
        return catalog != null ? catalog : repo.defaultCatalog();
    }
}
