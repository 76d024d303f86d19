package dev.stillpoint.engine.audit;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.runs.DeadRun;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunRecord;
import dev.stillpoint.engine.snapshot.SnapshotMetadata;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lists libvirt snapshots, external overlays and checkpoints per domain with age and size, and
 * flags what Stillpoint's catalog does not know (seed 003: forgotten snapshots grow and slow
 * the VM; seed 001: internal snapshots carry the VM's memory).
 */
public final class SnapshotAudit {

    private final VmConnector connector;
    private final Catalog catalog;
    private final Clock clock;
    private RunDirectory runs;
    private RecoveryLeftovers recovery;

    /** @param catalog may be null (no repository given): every checkpoint is then unknown */
    public SnapshotAudit(VmConnector connector, Catalog catalog, Clock clock) {
        this.connector = connector;
        this.catalog = catalog;
        this.clock = clock;
    }

    /**
     * Also lists the runs journaled in {@code dir}: live ones ({@code run}, not flagged) and dead
     * ones whose leftovers no later run has undone yet ({@code dead-run}, flagged).
     */
    public SnapshotAudit withRuns(RunDirectory dir) {
        runs = dir;
        return this;
    }

    /** Also lists what instant recovery and boot verification left ({@link RecoveryLeftovers}). */
    public SnapshotAudit withRecoveryLeftovers(RecoveryLeftovers leftovers) {
        recovery = leftovers;
        return this;
    }

    /** Audits one domain, or all defined domains when {@code domainName} is null. */
    public List<AuditEntry> run(String domainName) throws VmException, EngineException {
        List<String> names = domainName != null ? List.of(domainName) : connector.domainNames();
        List<AuditEntry> out = new ArrayList<>();
        for (String name : names) {
            VmDomain d = connector
                    .find(name)
                    .orElseThrow(() -> new VmException(
                            VmException.Code.NOT_FOUND, "no domain named '" + name + "' on this connection"));
            Map<String, dev.stillpoint.engine.vm.VmSnapshot> snaps = snapshots(d);
            for (VmDomain.Leftover l : d.leftovers()) out.add(withSnapshotFacts(entry(d.name(), l), snaps));
            if (runs != null) out.addAll(runEntries(d));
        }
        if (recovery != null) out.addAll(recovery.entries(domainName));
        return out;
    }

    private List<AuditEntry> runEntries(VmDomain d) throws EngineException {
        List<AuditEntry> out = new ArrayList<>();
        for (RunRecord r : runs.liveRuns()) {
            if (!d.uuid().equals(r.uuid())) continue;
            out.add(new AuditEntry(
                    d.name(),
                    "run",
                    r.runId(),
                    r.workDir(),
                    -1,
                    Duration.between(r.startedAt(), clock.instant()),
                    "stillpoint",
                    false,
                    r.command() + " in progress (pid " + r.pid() + " on " + r.host()
                            + (r.phase() == null ? "" : ", phase " + r.phase()) + ")"));
        }
        for (DeadRun dead : runs.deadRuns()) {
            try (dead) {
                RunRecord r = dead.record();
                if (r == null || !d.uuid().equals(r.uuid())) continue;
                out.add(new AuditEntry(
                        d.name(),
                        "dead-run",
                        r.runId(),
                        r.workDir(),
                        -1,
                        Duration.between(r.startedAt(), clock.instant()),
                        "stillpoint-unrecorded",
                        true,
                        r.command() + " whose process (pid " + r.pid() + ") died"
                                + (r.phase() == null ? "" : " in phase " + r.phase())
                                + (r.checkpoint() == null ? "" : ", checkpoint " + r.checkpoint())
                                + "; the next backup or restore undoes what it left (journal " + dead.file() + ")"));
            }
        }
        return out;
    }

    private AuditEntry entry(String domain, VmDomain.Leftover l) throws EngineException {
        Duration age = l.created() == null ? null : Duration.between(l.created(), clock.instant());
        if ("checkpoint".equals(l.kind())) {
            boolean known = catalog != null && catalog.knowsCheckpoint(l.name());
            if (known)
                return new AuditEntry(
                        domain,
                        l.kind(),
                        l.name(),
                        l.path(),
                        l.sizeBytes(),
                        age,
                        "stillpoint",
                        false,
                        "base of the next incremental");
            if (l.name().startsWith("stillpoint-")) {
                return new AuditEntry(
                        domain,
                        l.kind(),
                        l.name(),
                        l.path(),
                        l.sizeBytes(),
                        age,
                        "stillpoint-unrecorded",
                        true,
                        "named like Stillpoint's but not in this catalog (other repository, or interrupted run)");
            }
            return new AuditEntry(
                    domain,
                    l.kind(),
                    l.name(),
                    l.path(),
                    l.sizeBytes(),
                    age,
                    "other",
                    true,
                    "not Stillpoint's; left alone (another backup tool?)");
        }
        String note = switch (l.kind()) {
            case "internal-snapshot" -> "internal snapshot: holds the VM's memory state and keeps old clusters alive";
            case "external-snapshot", "overlay" ->
                "external overlay: grows with every write until committed (blockcommit)";
            case "snapshot" -> "snapshots grow and slow the VM; internal ones also hold the VM's memory";
            default -> "left on the domain";
        };
        return new AuditEntry(domain, l.kind(), l.name(), l.path(), l.sizeBytes(), age, "other", true, note);
    }

    /** The domain's snapshots by name; none when the connector cannot list snapshots. */
    private static Map<String, dev.stillpoint.engine.vm.VmSnapshot> snapshots(VmDomain d) {
        Map<String, dev.stillpoint.engine.vm.VmSnapshot> out = new java.util.HashMap<>();
        try {
            for (dev.stillpoint.engine.vm.VmSnapshot s : d.snapshots()) out.put(s.name(), s);
        } catch (VmException e) {
            // no snapshot listing: nothing to add
        }
        return out;
    }

    /**
     * A snapshot entry gets what the listing knows: an internal snapshot's size is the VM state its
     * images hold (the qcow2 snapshot table's VM SIZE); one with an expiry (vm snapshot create
     * --expire) says so, and an expired one leads its note with EXPIRED.
     */
    private AuditEntry withSnapshotFacts(AuditEntry e, Map<String, dev.stillpoint.engine.vm.VmSnapshot> snaps) {
        if (!e.kind().endsWith("snapshot")) return e;
        String name = e.kind().equals("external-snapshot") && e.name().contains(":")
                ? e.name().substring(0, e.name().lastIndexOf(':'))
                : e.name();
        dev.stillpoint.engine.vm.VmSnapshot snap = snaps.get(name);
        if (snap == null) return e;
        long size = e.sizeBytes();
        if (size < 0 && e.kind().equals("internal-snapshot")) size = vmStateBytes(snap);
        SnapshotMetadata m = SnapshotMetadata.parse(snap.description());
        String note = e.note();
        if (m.expires() != null) {
            java.time.Instant now = clock.instant();
            note = m.expiredAt(now)
                    ? "EXPIRED " + Duration.between(m.expires(), now).toMinutes()
                            + " min ago (vm snapshot prune-expired deletes it); " + note
                    : "expires " + m.expires() + "; " + note;
        }
        return new AuditEntry(e.domain(), e.kind(), e.name(), e.path(), size, e.age(), e.owner(), e.flagged(), note);
    }

    private static long vmStateBytes(dev.stillpoint.engine.vm.VmSnapshot snap) {
        long sum = -1;
        for (dev.stillpoint.engine.vm.VmSnapshot.Disk d : snap.disks()) {
            if (!"internal".equals(d.mode()) || d.file() == null) continue;
            try {
                var entry = dev.stillpoint.qemu.qcow2.Qcow2Header.read(java.nio.file.Path.of(d.file()))
                        .snapshot(snap.name());
                if (entry != null) sum = Math.max(sum, 0) + entry.vmStateSize();
            } catch (java.io.IOException ex) {
                // unreadable image: size stays unknown
            }
        }
        return sum;
    }
}
