package dev.stillpoint.cli.snapshots;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.SnapshotInfo;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stillpoint snapshots --repo DIR [--name NAME]}, and {@code snapshots audit} under it. */
@Command(
        name = "snapshots",
        description = "List the snapshots in a repository, oldest first.",
        mixinStandardHelpOptions = true,
        subcommands = SnapshotsAuditAlias.class)
public final class SnapshotsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Option(names = "--name", paramLabel = "NAME", description = "Only snapshots of this image name.")
    String name;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        List<SnapshotInfo> list;
        try (Repository r = repo.open()) {
            list = r.snapshots().stream()
                    .filter(s -> name == null || s.name().equals(name))
                    .toList();
        }
        out.text(String.format(
                "%-8s  %-19s  %-24s  %10s  %10s  %10s  %s",
                "ID", "TIME", "NAME", "SIZE", "ALLOCATED", "ADDED", "PARENT"));
        for (SnapshotInfo s : list) {
            out.message("snapshot", Snapshots.json(s));
            out.text(String.format(
                    "%-8s  %-19s  %-24s  %10s  %10s  %10s  %s",
                    s.id().substring(0, 8),
                    TIME.format(s.time()),
                    s.name(),
                    Output.bytes(s.size()),
                    Output.bytes(s.allocatedBytes()),
                    Output.bytes(s.storedBytes()),
                    s.parent() == null ? "" : s.parent().substring(0, 8)));
        }
        out.summary(Map.of("snapshots", list.size()), list.size() + " snapshots");
        return 0;
    }
}
