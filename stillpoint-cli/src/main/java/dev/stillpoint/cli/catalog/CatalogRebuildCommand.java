package dev.stillpoint.cli.catalog;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.RepositoryRecords;
import dev.stillpoint.repository.Repository;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint catalog rebuild --repo URL [--catalog FILE]}: recreates the catalog of a
 * repository from the repository alone ({@link RepositoryRecords#rebuild}); backups the catalog
 * has already stay as they are, so it also completes a catalog after {@code copy}.
 */
@Command(
        name = "rebuild",
        description = {
            "Recreate the backup catalog from the repository alone (on a new host, or after copy).",
            "Backups already in the catalog stay; a backup without a record in the repository is rebuilt"
                    + " from its snapshots' tags, and what that lacks (domain XML, consistency, timings) is reported."
        },
        mixinStandardHelpOptions = true)
public final class CatalogRebuildCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    CatalogOption catalogOption;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        RepositoryRecords.Rebuild r;
        try (Repository repository = repo.open();
                Catalog catalog = catalogOption.open(repo)) {
            r = RepositoryRecords.rebuild(repository, catalog);
            for (String note : r.notes()) {
                out.warn(note);
                out.message("note", Map.of("message", note));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("catalog", catalog.file().toAbsolutePath().toString());
            m.put("fromRecords", r.fromRecords());
            m.put("fromManifests", r.fromManifests());
            m.put("present", r.present());
            m.put("imageSnapshots", r.images());
            m.put("notes", r.notes().size());
            out.summary(
                    m,
                    String.format(
                            "catalog %s: %d backup(s) added from records, %d from snapshot manifests only, %d already"
                                    + " there; %d image snapshot(s) belong to no VM backup",
                            catalog.file().toAbsolutePath(),
                            r.fromRecords(),
                            r.fromManifests(),
                            r.present(),
                            r.images()));
        }
        return 0;
    }
}
