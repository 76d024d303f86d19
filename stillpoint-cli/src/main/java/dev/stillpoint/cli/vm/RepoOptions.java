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
final class RepoOptions {
    @Option(names = {"-r", "--repo"}, paramLabel = "REPO", defaultValue = "${env:STILLPOINT_REPOSITORY}",
            description = "Repository: a directory or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $STILLPOINT_REPOSITORY).")
    String repo;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "Read the passphrase from the first line of FILE (else $STILLPOINT_PASSWORD, else a prompt).")
    Path passwordFile;

    @Option(names = "--catalog", paramLabel = "FILE",
            description = "Backup catalog (SQLite); default: REPO/catalog.db, for an s3: repository $STILLPOINT_STATE_DIR/catalogs/HOST-BUCKET-PREFIX.db.")
    Path catalog;

    Repository openRepository() throws IOException {
        return dev.stillpoint.cli.repo.RepoOptions.open(dev.stillpoint.cli.repo.RepoOptions.requireLocation(repo), passwordFile);
    }

    Catalog openCatalog() throws EngineException, RepositoryException {
        return Catalog.open(catalogPath());
    }

    Path catalogPath() throws RepositoryException {
        if (catalog != null) return catalog;
        String location = dev.stillpoint.cli.repo.RepoOptions.requireLocation(repo);
        if (!dev.stillpoint.repository.Repositories.isRemote(location)) return Catalog.defaultPath(Path.of(location));
        // a bucket holds no local file: the catalog lives in this host's state directory, one per repository
        String name = location.substring("s3:".length()).replaceFirst("^[a-z]+://", "").replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
        return dev.stillpoint.engine.runs.RunDirectory.defaultStateDir().resolve("catalogs").resolve(name + ".db");
    }
}
