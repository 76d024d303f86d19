package dev.stillpoint.cli;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.repository.RepositoryException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --catalog FILE} (a picocli mixin): the backup catalog, by default beside the repository. */
public final class CatalogOption {
    @Option(names = "--catalog", paramLabel = "FILE",
            description = "Backup catalog (SQLite); default: DIR/catalog.db.")
    public Path catalog;

    public Catalog open(RepoOptions repo) throws EngineException, RepositoryException {
        return Catalog.open(path(repo));
    }

    /** {@code --catalog}, else {@code catalog.db} in the repository directory. */
    public Path path(RepoOptions repo) throws RepositoryException {
        return catalog != null ? catalog : Catalog.defaultPath(repo.dir());
    }
}
