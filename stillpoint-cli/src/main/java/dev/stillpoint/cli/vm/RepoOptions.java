package dev.stillpoint.cli.vm;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code --repo DIR [--password-file FILE] [--catalog FILE]}, as the repository commands take
 * them: {@code --repo} defaults to {@code $STILLPOINT_REPOSITORY}; the passphrase of an encrypted
 * repository comes from {@code $STILLPOINT_PASSWORD}, else {@code --password-file}, else a prompt.
 */
public final class RepoOptions {
    @Option(names = {"-r", "--repo"}, paramLabel = "DIR", defaultValue = "${env:STILLPOINT_REPOSITORY}",
            description = "Repository directory (default: $STILLPOINT_REPOSITORY).")
    Path repo;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "Read the passphrase from the first line of FILE (else $STILLPOINT_PASSWORD, else a prompt).")
    Path passwordFile;

    @Option(names = "--catalog", paramLabel = "FILE",
            description = "Backup catalog (SQLite); default: DIR/catalog.db.")
    Path catalog;

    public Repository openRepository() throws IOException {
        return dev.stillpoint.cli.repo.RepoOptions.open(dev.stillpoint.cli.repo.RepoOptions.requireDir(repo), passwordFile);
    }

    public Catalog openCatalog() throws EngineException, RepositoryException {
        return Catalog.open(catalogPath());
    }

    Path catalogPath() throws RepositoryException {
        return catalog != null ? catalog : Catalog.defaultPath(dev.stillpoint.cli.repo.RepoOptions.requireDir(repo));
    }
}
