package dev.stillpoint.engine.audit;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.instant.InstantSession;
import dev.stillpoint.engine.instant.InstantSessions;
import dev.stillpoint.engine.runs.DeadRun;
import dev.stillpoint.engine.runs.HostProcesses;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunRecord;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What instant recovery and boot verification leave on a host, for {@code snapshots audit}
 * (issue 14 item 5): instant-recovered domains that still depend on an export ({@code instant};
 * flagged when the export died or the domain is gone), export processes nothing uses any more
 * ({@code export}), throwaway verification domains ({@code verify-domain}), their overlay
 * directories ({@code verify-overlay}) and verification runs whose process died
 * ({@code dead-run}). What a live verification owns is listed unflagged.
 */
public final class RecoveryLeftovers {
    /** The prefix of every throwaway verification domain and of its work directory. */
    public static final String VERIFY_PREFIX = "sp-verify-";

    private final VmConnector connector;
    private final RunDirectory runs;
    private final InstantSessions sessions;
    private final List<Path> workDirs;
    private final Supplier<List<HostProcesses.Export>> exports;
    private final Clock clock;

    /**
     * @param workDirs where verification overlays are made ({@code verify --work-dir}); scanned for
     *                 {@value #VERIFY_PREFIX}* directories
     */
    public RecoveryLeftovers(
            VmConnector connector, RunDirectory runs, InstantSessions sessions, List<Path> workDirs, Clock clock) {
        this(connector, runs, sessions, workDirs, HostProcesses::exports, clock);
    }

    RecoveryLeftovers(
            VmConnector connector,
            RunDirectory runs,
            InstantSessions sessions,
            List<Path> workDirs,
            Supplier<List<HostProcesses.Export>> exports,
            Clock clock) {
        this.connector = connector;
        this.runs = runs;
        this.sessions = sessions;
        this.workDirs = List.copyOf(workDirs);
        this.exports = exports;
        this.clock = clock;
    }

    /** The entries of {@code domain}, or of the whole host (including host-wide exports and overlays) when null. */
    public List<AuditEntry> entries(String domain) throws EngineException, VmException {
        List<AuditEntry> out = new ArrayList<>();
        List<String> defined = connector.domainNames();
        List<RunRecord> live = runs.liveRuns().stream()
                .filter(r -> "verify".equals(r.command()))
                .toList();
        Set<String> owned = new HashSet<>(); // domains and work dirs of live verifications
        for (RunRecord r : live) {
            if (r.definedDomain() != null) owned.add(r.definedDomain());
            if (r.workDir() != null) owned.add(r.workDir());
        }
        Set<String> usedSockets = new HashSet<>();
        List<InstantSession> all = sessions.list();
        for (InstantSession s : all) {
            usedSockets.add(s.socket().toString());
            if (domain == null || domain.equals(s.domain())) out.add(instant(s, defined.contains(s.domain())));
        }
        for (DeadRun dead : runs.deadRuns()) {
            try (dead) {
                RunRecord r = dead.record();
                if (r == null || !"verify".equals(r.command())) continue;
                if (r.workDir() != null) owned.add(r.workDir()); // named by this entry, not again below
                if (r.definedDomain() != null) owned.add(r.definedDomain());
                if (domain != null && !domain.equals(r.definedDomain())) continue;
                out.add(new AuditEntry(
                        r.definedDomain() == null ? "-" : r.definedDomain(),
                        "dead-run",
                        r.runId(),
                        r.workDir(),
                        size(r.workDir()),
                        age(r.startedAt()),
                        "stillpoint-unrecorded",
                        true,
                        "verify run whose process (pid " + r.pid() + ") died; its throwaway domain, export and"
                                + " overlays are removed by the next verify, backup or restore (journal "
                                + dead.file() + ")"));
            }
        }
        for (String name : defined) {
            if (!name.startsWith(VERIFY_PREFIX) || domain != null && !domain.equals(name)) continue;
            boolean mine = owned.contains(name);
            if (mine && live.stream().noneMatch(r -> name.equals(r.definedDomain()))) continue; // a dead run's entry
            out.add(new AuditEntry(
                    name,
                    "verify-domain",
                    name,
                    null,
                    -1,
                    null,
                    mine ? "stillpoint" : "stillpoint-unrecorded",
                    !mine,
                    mine
                            ? "throwaway domain of a verification in progress"
                            : "throwaway verification domain no run owns; remove it: virsh destroy " + name
                                    + "; virsh undefine " + name));
        }
        if (domain != null) return out;
        for (HostProcesses.Export e : exports.get()) {
            if (e.socket() != null && usedSockets.contains(e.socket())) continue; // its session's entry names it
            String dir = e.socket() == null
                    ? null
                    : String.valueOf(Path.of(e.socket()).getParent());
            boolean mine = dir != null && live.stream().anyMatch(r -> dir.equals(r.workDir()));
            out.add(new AuditEntry(
                    "-",
                    "export",
                    e.backupId(),
                    e.socket(),
                    -1,
                    null,
                    mine ? "stillpoint" : "stillpoint-unrecorded",
                    !mine,
                    mine
                            ? "export of a verification in progress (pid " + e.pid() + ")"
                            : "export process (pid " + e.pid() + ") no instant recovery or running verification"
                                    + " uses; stop it: kill " + e.pid()));
        }
        for (Path wd : workDirs) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(wd, VERIFY_PREFIX + "*")) {
                for (Path p : s) {
                    if (!Files.isDirectory(p) || owned.contains(p.toString())) continue;
                    out.add(new AuditEntry(
                            "-",
                            "verify-overlay",
                            p.getFileName().toString(),
                            p.toString(),
                            size(p.toString()),
                            age(Files.getLastModifiedTime(p).toInstant()),
                            "stillpoint-unrecorded",
                            true,
                            "overlays of a verification no run owns; remove the directory"));
                }
            } catch (IOException e) {
                // no such work dir: nothing left there
            }
        }
        return out;
    }

    private AuditEntry instant(InstantSession s, boolean exists) {
        boolean alive = s.exportAlive();
        long size = s.files().stream().mapToLong(f -> size(f.toString())).sum();
        String note;
        if (!exists) {
            note = "domain is gone but its instant-recovery state and "
                    + s.files().size() + " file(s) remain; remove them: stillpoint instant abort " + s.domain();
        } else if (!alive) {
            note = "the export of backup " + s.backupId() + " (pid " + s.exportPid() + ") that its overlays read from"
                    + " is gone: the guest gets I/O errors on data not yet copied; stillpoint instant abort "
                    + s.domain() + " (or restart the export)";
        } else {
            note = "runs on overlays backed by the export of backup " + s.backupId() + " (pid " + s.exportPid() + "), "
                    + s.state() + "; stillpoint instant finish " + s.domain() + " waits for it";
        }
        return new AuditEntry(
                s.domain(),
                "instant",
                s.backupId(),
                s.dir().toString(),
                size,
                age(s.startedAt()),
                "stillpoint",
                !exists || !alive,
                note);
    }

    private Duration age(Instant t) {
        return t == null ? null : Duration.between(t, clock.instant());
    }

    /** Bytes allocated below {@code path} (a file or a directory); -1 when it cannot be read. */
    private static long size(String path) {
        if (path == null) return -1;
        try (var s = Files.walk(Path.of(path))) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0;
                        }
                    })
                    .sum();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
