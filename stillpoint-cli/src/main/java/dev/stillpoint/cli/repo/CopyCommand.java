package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.ProgressPrinter;
import dev.stillpoint.engine.catalog.RepositoryRecords;
import dev.stillpoint.repository.CopyResult;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint copy --from REPO --to REPO [BACKUP_ID... | --latest DOMAIN | --all]}: VM
 * backups (their snapshots and records) from one repository into another
 * ({@link Repositories#copy}), sending only the chunks the target lacks. Idempotent: what the
 * target holds is skipped. The source is selected from its own records and snapshot tags, so no
 * catalog is needed; {@code catalog rebuild} on the target then lists what was copied.
 */
@Command(
        name = "copy",
        description = {
            "Copy VM backups (or image snapshots) into another repository, sending only the chunks it lacks.",
            "Repositories may be directories or s3: URLs, with different passphrases and keys; a rerun copies"
                    + " only what is missing (also after an interrupted copy)."
        },
        mixinStandardHelpOptions = true)
public final class CopyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--from",
            required = true,
            paramLabel = "REPO",
            description = "Source repository: a directory or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX].")
    String from;

    @Option(
            names = "--from-password-file",
            paramLabel = "FILE",
            description =
                    "Read the source's passphrase from the first line of FILE (else $STILLPOINT_FROM_PASSWORD, else $STILLPOINT_PASSWORD, else a prompt).")
    Path fromPasswordFile;

    @Option(
            names = "--to",
            paramLabel = "REPO",
            defaultValue = "${env:STILLPOINT_REPOSITORY}",
            description = "Target repository (default: $STILLPOINT_REPOSITORY); it must exist (repo init).")
    String to;

    @Option(
            names = "--to-password-file",
            paramLabel = "FILE",
            description =
                    "Read the target's passphrase from the first line of FILE (else $STILLPOINT_TO_PASSWORD, else $STILLPOINT_PASSWORD, else a prompt).")
    Path toPasswordFile;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Parameters(paramLabel = "BACKUP_ID", arity = "1..*", description = "Backups to copy (ids or unique prefixes).")
        List<String> backups;

        @Option(names = "--latest", paramLabel = "DOMAIN", description = "The newest backup of DOMAIN.")
        String latest;

        @Option(names = "--all", description = "Every snapshot of the source (VM backups and image snapshots).")
        boolean all;

        @Option(
                names = "--snapshot",
                paramLabel = "ID",
                arity = "1..*",
                description = "Image snapshots to copy (ids or unique prefixes), e.g. of image backup.")
        List<String> snapshots;
    }

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        String source = RepoOptions.requireLocation(from);
        if (to == null || to.isBlank())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "--to: missing; give --to REPO (a directory or s3:...) or set STILLPOINT_REPOSITORY");
        String target = RepoOptions.requireLocation(to);
        long t0 = System.nanoTime();
        CopyResult r;
        int selectedBackups;
        try (Repository src = open(source, "STILLPOINT_FROM_PASSWORD", fromPasswordFile, "--from-password-file");
                Repository dst = open(target, "STILLPOINT_TO_PASSWORD", toPasswordFile, "--to-password-file")) {
            List<RepositoryRecords.StoredBackup> chosen = new ArrayList<>();
            List<String> ids = select(src, chosen);
            selectedBackups = chosen.size();
            try (ProgressPrinter p = out.progress("copy")) {
                r = Repositories.copy(src, dst, ids, p);
            }
        }
        double secs = Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("from", source);
        m.put("to", target);
        m.put("backups", selectedBackups);
        m.put("snapshotsCopied", r.snapshotsCopied());
        m.put("snapshotsSkipped", r.snapshotsSkipped());
        m.put("recordsCopied", r.recordsCopied());
        m.put("recordsSkipped", r.recordsSkipped());
        m.put("chunksSent", r.chunksSent());
        m.put("chunkBytesSent", r.chunkBytesSent());
        m.put("bytesSent", r.bytesSent());
        m.put("chunksRead", r.chunksRead());
        m.put("sameChunkIds", r.sameChunkIds());
        m.put("snapshots", r.snapshots());
        m.put("seconds", Math.round(secs * 100) / 100.0);
        m.put("bytesSentPerSecond", (long) (r.bytesSent() / secs));
        out.summary(
                m,
                String.format(
                        "copied %d snapshot(s) and %d record(s) to %s (%d already there): %d chunk(s) sent,"
                                + " %s (%s stored) in %.1f s%s",
                        r.snapshotsCopied(),
                        r.recordsCopied(),
                        target,
                        r.snapshotsSkipped(),
                        r.chunksSent(),
                        Output.bytes(r.chunkBytesSent()),
                        Output.bytes(r.bytesSent()),
                        secs,
                        r.sameChunkIds() ? "" : " (chunks re-identified under the target's key)"));
        return 0;
    }

    /** The source snapshots asked for; {@code chosen} receives the backups they belong to. */
    private List<String> select(Repository src, List<RepositoryRecords.StoredBackup> chosen) throws Exception {
        if (which.all) return src.snapshots().stream().map(SnapshotInfo::id).toList();
        if (which.snapshots != null) {
            List<String> ids = new ArrayList<>();
            for (String s : which.snapshots) ids.add(src.snapshot(s).id());
            return ids;
        }
        List<RepositoryRecords.StoredBackup> backups = RepositoryRecords.backups(src);
        if (which.latest != null) {
            RepositoryRecords.StoredBackup last = null;
            for (RepositoryRecords.StoredBackup b : backups) if (which.latest.equals(b.vmName())) last = b;
            if (last == null)
                throw new RepositoryException(
                        RepositoryException.Code.NOT_FOUND,
                        "no backup of domain " + which.latest + " in "
                                + src.snapshots().size() + " snapshot(s) of " + from);
            chosen.add(last);
        } else {
            for (String id : which.backups) {
                if (!id.matches("[0-9a-fA-F]+"))
                    throw new RepositoryException(
                            RepositoryException.Code.INVALID_ARGUMENT,
                            "backup id '" + id + "' is not a hex id or prefix (see 'stillpoint backups')");
                List<RepositoryRecords.StoredBackup> hits = backups.stream()
                        .filter(b -> b.id().startsWith(id.toLowerCase()))
                        .toList();
                if (hits.isEmpty())
                    throw new RepositoryException(
                            RepositoryException.Code.NOT_FOUND, "no backup with id '" + id + "' in " + from);
                if (hits.size() > 1)
                    throw new RepositoryException(
                            RepositoryException.Code.INVALID_ARGUMENT,
                            "backup id prefix '" + id + "' matches " + hits.size() + " backups; give more digits");
                chosen.add(hits.getFirst());
            }
        }
        Set<String> ids = new LinkedHashSet<>();
        for (RepositoryRecords.StoredBackup b : chosen) ids.addAll(b.snapshots());
        return List.copyOf(ids);
    }

    /**
     * Opens one side, its passphrase (when encrypted) from {@code $env}, else {@code file}, else
     * {@code $STILLPOINT_PASSWORD}, else a prompt naming the repository.
     */
    private static Repository open(String location, String env, Path file, String option) throws IOException {
        if (!Repositories.isEncrypted(location)) return Repositories.open(location, null);
        String own = System.getenv(env);
        String shared = System.getenv("STILLPOINT_PASSWORD");
        boolean useShared = (own == null || own.isEmpty()) && file == null && shared != null && !shared.isEmpty();
        char[] pw = RepoOptions.passphrase(
                useShared ? "STILLPOINT_PASSWORD" : env, file, option, "passphrase for " + location + ": ", false);
        return Repositories.open(location, pw);
    }
}
