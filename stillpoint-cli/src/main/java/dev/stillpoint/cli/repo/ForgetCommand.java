package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.snapshots.Snapshots;
import dev.stillpoint.repository.ForgetResult;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.RetentionPolicy;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint forget [SNAPSHOT...] [--keep-last N] ... [--dry-run]}. */
@Command(
        name = "forget",
        description =
                "Remove snapshots by id, or by a retention policy applied per image name. Run prune afterwards to free space.",
        mixinStandardHelpOptions = true)
public final class ForgetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Parameters(arity = "0..*", paramLabel = "SNAPSHOT", description = "Snapshot ids (or unique prefixes) to remove.")
    List<String> ids = new ArrayList<>();

    @Option(names = "--keep-last", paramLabel = "N", defaultValue = "0", description = "Keep the newest N snapshots.")
    int last;

    @Option(
            names = "--keep-hourly",
            paramLabel = "N",
            defaultValue = "0",
            description = "Keep the newest snapshot of each of the last N hours.")
    int hourly;

    @Option(names = "--keep-daily", paramLabel = "N", defaultValue = "0", description = "... of the last N days.")
    int daily;

    @Option(names = "--keep-weekly", paramLabel = "N", defaultValue = "0", description = "... of the last N ISO weeks.")
    int weekly;

    @Option(names = "--keep-monthly", paramLabel = "N", defaultValue = "0", description = "... of the last N months.")
    int monthly;

    @Option(names = "--keep-yearly", paramLabel = "N", defaultValue = "0", description = "... of the last N years.")
    int yearly;

    @Option(
            names = {"-n", "--dry-run"},
            description = "Only show what would be removed.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        for (int v : new int[] {last, hourly, daily, weekly, monthly, yearly})
            if (v < 0)
                throw new RepositoryException(
                        RepositoryException.Code.INVALID_ARGUMENT, "--keep-*: " + v + " is negative");
        RetentionPolicy policy =
                new RetentionPolicy(last, hourly, daily, weekly, monthly, yearly, ZoneId.systemDefault());
        if (!ids.isEmpty() && !policy.isEmpty())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT, "give either SNAPSHOT ids or --keep-* rules, not both");
        try (Repository r = repo.open()) {
            if (!ids.isEmpty()) {
                List<String> removed = new ArrayList<>();
                for (String id : ids) {
                    String full = r.snapshot(id).id();
                    if (!dryRun) r.forget(full);
                    removed.add(full);
                    out.message("forget", Map.of("id", full, "keep", false, "reasons", List.of("explicit")));
                    out.text((dryRun ? "would remove " : "removed ") + full.substring(0, 8));
                }
                out.summary(
                        Map.of("removed", removed.size(), "kept", 0, "dryRun", dryRun),
                        removed.size() + " snapshots " + (dryRun ? "would be " : "") + "removed");
                return 0;
            }
            ForgetResult res = r.forget(policy, dryRun);
            String group = null;
            for (ForgetResult.Decision d : res.decisions()) {
                if (!d.snapshot().name().equals(group)) {
                    group = d.snapshot().name();
                    out.text(group + ":");
                }
                Map<String, Object> m = Snapshots.json(d.snapshot());
                m.put("keep", d.keep());
                m.put("reasons", d.reasons());
                out.message("forget", m);
                out.text(String.format(
                        "  %-6s %s  %s  %s",
                        d.keep() ? "keep" : (dryRun ? "remove?" : "remove"),
                        d.snapshot().id().substring(0, 8),
                        d.snapshot().time(),
                        String.join(",", d.reasons())));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("removed", res.removed().size());
            m.put("kept", res.kept().size());
            m.put("dryRun", dryRun);
            out.summary(
                    m,
                    res.removed().size() + " snapshots " + (dryRun ? "would be removed" : "removed") + ", "
                            + res.kept().size() + " kept"
                            + (dryRun || res.removed().isEmpty() ? "" : "; run 'stillpoint prune' to free space"));
        }
        return 0;
    }
}
