package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.ProgressPrinter;
import dev.stillpoint.repository.CheckReport;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stillpoint check [--read-data | --read-data-subset N%]}; exit code 12 when damage is found. */
@Command(
        name = "check",
        description =
                "Verify the repository structure and optionally the data; names damaged chunks and the snapshots that use them.",
        mixinStandardHelpOptions = true)
public final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    static final class DataOption {
        @Option(names = "--read-data", description = "Read and verify every chunk.")
        boolean all;

        @Option(
                names = "--read-data-subset",
                paramLabel = "N%",
                description = "Read and verify a random N percent of the packs.")
        String subset;
    }

    @ArgGroup(exclusive = true)
    DataOption data;

    int percent() throws RepositoryException {
        if (data == null) return 0;
        if (data.all) return 100;
        String s = data.subset.endsWith("%") ? data.subset.substring(0, data.subset.length() - 1) : data.subset;
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1 && n <= 100) return n;
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new RepositoryException(
                RepositoryException.Code.INVALID_ARGUMENT,
                "--read-data-subset: '" + data.subset + "' is invalid (expected 1%..100%)");
    }

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        int pct = percent();
        CheckReport r;
        try (Repository repository = repo.open();
                ProgressPrinter p = out.progress("check")) {
            r = repository.check(pct, p);
        }
        for (String w : r.warnings()) {
            out.message("warning", Map.of("message", w));
            out.text("warning: " + w);
        }
        for (String e : r.errors()) {
            out.message("error", Map.of("message", e));
            out.text("error: " + e);
        }
        for (CheckReport.DamagedChunk d : r.damagedChunks()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("chunk", d.chunkId());
            m.put("pack", d.packId());
            m.put("reason", d.reason());
            m.put("snapshots", d.snapshotIds());
            out.message("damagedChunk", m);
            out.text("damaged chunk " + d.chunkId() + " in pack " + d.packId() + ": " + d.reason()
                    + "\n  used by snapshots: "
                    + (d.snapshotIds().isEmpty() ? "(none)" : String.join(", ", d.snapshotIds())));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", r.ok());
        m.put("snapshots", r.snapshots());
        m.put("packs", r.packs());
        m.put("packsRead", r.packsRead());
        m.put("bytesRead", r.bytesRead());
        m.put("errors", r.errors().size());
        m.put("warnings", r.warnings().size());
        m.put("damagedChunks", r.damagedChunks().size());
        m.put(
                "damagedSnapshots",
                r.damagedChunks().stream()
                        .flatMap(d -> d.snapshotIds().stream())
                        .distinct()
                        .sorted()
                        .toList());
        out.summary(
                m,
                (r.ok() ? "no errors found" : "repository has errors") + ": " + r.snapshots() + " snapshots, "
                        + r.packs() + " packs, " + r.packsRead() + " packs read (" + Output.bytes(r.bytesRead()) + ")");
        if (!r.ok())
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    "check found " + r.errors().size() + " errors and "
                            + r.damagedChunks().size() + " damaged chunks");
        return 0;
    }
}
