package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.repository.Repository;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint repo unlock [--remove-all]}: removes stale locks (as restic's {@code unlock}).
 * Every command removes the stale locks it meets anyway; this is for a lock of another host whose
 * lease has not run out yet ({@code --remove-all}, when no other process uses the repository).
 */
@Command(
        name = "unlock",
        description = {
            "Remove stale locks: leases that expired, and locks of processes of this host that are gone.",
            "With --remove-all, every other lock too: only when no other process (on any host) uses the repository,"
                    + " e.g. after a host died mid-backup and its lease (5 minutes) has not run out yet."
        },
        mixinStandardHelpOptions = true)
public final class RepoUnlockCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Option(
            names = "--remove-all",
            description = "Also remove locks that are not stale (a running job's lock no longer protects it).")
    boolean all;

    @Override
    public Integer call() throws Exception {
        List<Map<String, Object>> removed;
        try (Repository r = repo.open()) {
            removed = r.removeLocks(all);
        }
        Output out = Output.of(spec, json.enabled());
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> l : removed) {
            out.message("lock", l);
            lines.add("removed " + (Boolean.TRUE.equals(l.get("stale")) ? "stale " : "")
                    + (Boolean.TRUE.equals(l.get("exclusive")) ? "exclusive" : "shared") + " lock of pid "
                    + l.getOrDefault("pid", "?") + " on " + l.getOrDefault("host", "?") + " (" + l.get("file") + ")");
        }
        lines.add(removed.size() + (removed.size() == 1 ? " lock" : " locks") + " removed");
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("removed", removed.size());
        summary.put("removeAll", all);
        out.summary(summary, String.join("\n", lines));
        return 0;
    }
}
