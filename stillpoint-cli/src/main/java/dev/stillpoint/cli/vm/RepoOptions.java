package dev.stillpoint.cli.vm;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@code --repo DIR [--catalog FILE]}; the passphrase comes from {@code STILLPOINT_PASSWORD}. */
final class RepoOptions {
    static final String PASSWORD_ENV = "STILLPOINT_PASSWORD";

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "Repository directory.")
    Path repo;

    @Option(names = "--catalog", paramLabel = "FILE",
            description = "Backup catalog (SQLite); default: DIR/catalog.db.")
    Path catalog;

    Repository openRepository() throws IOException {
        String pw = System.getenv(PASSWORD_ENV);
        return Repositories.open(repo, pw == null ? null : pw.toCharArray());
    }

    Catalog openCatalog() throws EngineException {
        return Catalog.open(catalogPath());
    }

    Path catalogPath() {
        return catalog != null ? catalog : Catalog.defaultPath(repo);
    }
}
