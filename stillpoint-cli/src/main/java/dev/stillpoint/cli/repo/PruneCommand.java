package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.ProgressPrinter;
import dev.stillpoint.repository.PruneResult;
import dev.stillpoint.repository.Repository;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code stillpoint prune}: remove unreferenced data (exclusive lock; crash-safe). */
@Command(
        name = "prune",
        description = "Remove data no snapshot uses (after forget, or left by interrupted backups).",
        mixinStandardHelpOptions = true)
public final class PruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        PruneResult r;
        try (Repository repository = repo.open();
                ProgressPrinter p = out.progress("prune")) {
            r = repository.prune(p);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("packsDeleted", r.packsDeleted());
        m.put("packsRepacked", r.packsRepacked());
        m.put("packsWritten", r.packsWritten());
        m.put("chunksRemoved", r.chunksRemoved());
        m.put("bytesFreed", r.bytesFreed());
        m.put("tmpFilesRemoved", r.tmpFilesRemoved());
        out.summary(
                m,
                String.format(
                        "removed %d chunks: %d packs deleted, %d repacked into %d, %s freed",
                        r.chunksRemoved(),
                        r.packsDeleted(),
                        r.packsRepacked(),
                        r.packsWritten(),
                        Output.bytes(Math.max(0, r.bytesFreed()))));
        return 0;
    }
}
