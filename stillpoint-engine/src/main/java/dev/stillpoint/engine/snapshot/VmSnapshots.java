package dev.stillpoint.engine.snapshot;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.backup.BackupOptions;
import dev.stillpoint.engine.backup.GuestQuiesce;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.runs.OrphanRecovery;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunJournal;
import dev.stillpoint.engine.runs.RunRecord;
import dev.stillpoint.engine.vm.SnapshotRequest;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.engine.vm.VmSnapshot;
import dev.stillpoint.qemu.qcow2.Qcow2Header;
import dev.stillpoint.qemu.qcow2.Qcow2Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * {@code vm snapshot}: hypervisor snapshots of a domain around a risky change (seed 001).
 * Creation goes through a backup's freeze path ({@link GuestQuiesce}) for disk-only snapshots of a
 * running domain, and records the consistency, the expiry and the image sizes in the snapshot's
 * description ({@link SnapshotMetadata}). Internal snapshots' memory sizes come from the qcow2
 * snapshot table ({@link Qcow2Header}), read without locking the image.
 *
 * <p>Create, revert, delete and prune hold the domain's run lock, as a backup does (one run per
 * domain: {@link Code#DOMAIN_BUSY} while another works on it), and a create journals what it may
 * leave when killed (the freeze, external overlays not yet a snapshot's) for {@link OrphanRecovery}.
 */
public final class VmSnapshots {
    static final DateTimeFormatter NAME_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

    private final VmConnector connector;
    private final Clock clock;
    private final BiConsumer<String, String> warn;
    private final RunDirectory runs;
    private final OrphanRecovery recovery;

    /** Without a run directory (tests with fakes): no domain lock, nothing journaled. */
    public VmSnapshots(VmConnector connector, Clock clock, BiConsumer<String, String> warn) {
        this(connector, clock, warn, null, null);
    }

    /**
     * @param warn     receives {@code (code, message)} of everything worth a warning
     * @param runs     the run journals and domain locks of this host (null: neither)
     * @param recovery undoes what dead runs left on the domain before each change (null: nothing)
     */
    public VmSnapshots(
            VmConnector connector,
            Clock clock,
            BiConsumer<String, String> warn,
            RunDirectory runs,
            OrphanRecovery recovery) {
        this.connector = connector;
        this.clock = clock;
        this.warn = warn;
        this.runs = runs;
        this.recovery = recovery;
    }

    /** A change to a domain made under its lock; {@code journal} is null without a run directory. */
    private interface Locked<T> {
        T run(RunJournal journal) throws VmException, EngineException;
    }

    /**
     * Runs {@code body} holding the domain's lock, after recovering dead runs, with a journal of
     * its own. When {@code body} fails with something journaled (overlays, the freeze), the journal
     * is handed to recovery at once, the lock still held: the same undo as after a kill.
     */
    private <T> T locked(VmDomain domain, String command, Locked<T> body) throws VmException, EngineException {
        if (runs == null) return body.run(null);
        try (RunDirectory.DomainLock lock = runs.lockDomain(domain.uuid(), domain.name())) {
            if (recovery != null) recovery.recoverAll(lock);
            RunJournal journal = runs.start(RunDirectory.newRunId(), command);
            try {
                journal.update(r -> r.withDomain(domain.name(), domain.uuid()));
                T out = body.run(journal);
                journal.close();
                return out;
            } catch (VmException | EngineException | RuntimeException | Error e) {
                RunRecord left = journal.record();
                if (left.files().isEmpty() && left.phase() == null) {
                    journal.close();
                } else {
                    journal.abandon();
                    try {
                        if (recovery != null) recovery.recoverAll(lock);
                    } catch (EngineException | RuntimeException x) {
                        e.addSuppressed(x);
                    }
                }
                throw e;
            }
        }
    }

    /**
     * @param name      null: {@code sp-YYYYMMDDTHHMMSS}
     * @param quiesce   freeze the guest around a disk-only snapshot (consistency required)
     * @param memory    internal snapshot with the running VM's memory
     * @param external  directory for explicitly named overlays {@code DISK.NAME.qcow2}: external disk-only
     * @param expireIn  null: never expires
     */
    public record CreateOptions(
            String name,
            String description,
            boolean quiesce,
            boolean memory,
            Path external,
            Duration expireIn,
            BackupOptions freeze) {}

    public record Created(
            String name,
            String kind,
            SnapshotMetadata metadata,
            Map<String, Path> overlays,
            GuestQuiesce.Outcome quiesce) {}

    public Created create(String domainName, CreateOptions o) throws VmException, EngineException {
        VmDomain domain = domain(domainName);
        return locked(domain, "snapshot-create", journal -> create(domain, o, journal));
    }

    private Created create(VmDomain domain, CreateOptions o, RunJournal journal) throws VmException, EngineException {
        VmDomain.State state = domain.state();
        boolean running = state == VmDomain.State.RUNNING || state == VmDomain.State.PAUSED;
        if (o.memory() && o.external() != null)
            throw invalid(
                    "--memory with --external: libvirt 9.0 cannot revert to an external snapshot; use --memory alone (internal) or --external alone (disk-only)");
        if (o.memory() && o.quiesce())
            throw invalid(
                    "--memory with --quiesce: a memory snapshot resumes exactly where it was taken, so reverting would resume a frozen guest; the memory state is consistent by itself");
        if (o.memory() && !running)
            throw invalid("--memory: domain " + domain.name() + " is "
                    + state.name().toLowerCase() + ", it has no memory to save");
        if (running && !o.memory() && o.external() == null)
            throw invalid(
                    "domain " + domain.name()
                            + " is running: an internal snapshot of a running domain includes its memory (--memory); for a disk-only snapshot name a directory for the overlays (--external DIR)");
        if (o.quiesce() && !running)
            throw invalid("--quiesce: domain " + domain.name() + " is not running, there is nothing to freeze");
        String name = o.name() != null ? o.name() : "sp-" + NAME_TIME.format(clock.instant());
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}"))
            throw invalid("snapshot name '" + name
                    + "' must be 1-128 of A-Z a-z 0-9 . _ - (starting with a letter or digit)");
        if (domain.snapshots().stream().anyMatch(s -> s.name().equals(name)))
            throw new EngineException(
                    Code.ALREADY_EXISTS, "domain " + domain.name() + " already has a snapshot '" + name + "'");

        List<VmDisk> disks = domain.disks().stream().filter(VmDisk::included).toList();
        if (disks.isEmpty())
            throw new EngineException(
                    Code.NO_DISKS, "domain " + domain.name() + " has no file-backed disk to snapshot");
        Map<String, Path> overlays = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (VmDisk d : disks) {
            if (o.external() != null)
                overlays.put(d.target(), o.external().toAbsolutePath().resolve(d.target() + "." + name + ".qcow2"));
            else if (!"qcow2".equals(d.format()))
                throw invalid("disk " + d.target() + " is " + d.format()
                        + ": internal snapshots need qcow2 (use --external DIR)");
            long size = size(Path.of(d.source()));
            if (size >= 0) sizes.put(d.target(), size);
        }
        Instant expires = o.expireIn() == null ? null : clock.instant().plus(o.expireIn());
        String consistency =
                !running ? Consistency.CLEAN_SHUTDOWN.label() : o.memory() ? "memory" : Consistency.CRASH.label();
        SnapshotMetadata meta = new SnapshotMetadata(o.description(), consistency, expires, sizes);
        SnapshotRequest request = new SnapshotRequest(name, meta.description(), overlays);
        for (Path p : overlays.values()) {
            // an existing file would be journaled as this run's and deleted by recovery
            if (Files.exists(p))
                throw new EngineException(
                        Code.ALREADY_EXISTS, "overlay " + p + " exists already; choose another --external DIR or name");
        }
        if (journal != null && !overlays.isEmpty())
            journal.update(r -> r.withSnapshot(name, List.copyOf(overlays.values())));
        Locked<Void> take = j -> {
            domain.createSnapshot(request);
            if (j != null) j.update(RunRecord::withSnapshotCreated);
            return null;
        };
        GuestQuiesce.Outcome outcome = null;
        if (o.quiesce()) {
            // a kill inside the window leaves the guest frozen until its own deadline: recovery thaws it
            if (journal != null) journal.update(r -> r.withPhase("freeze"));
            // the consistency is known after the thaw (the guest's report is read then): recorded after
            outcome = GuestQuiesce.around(domain, o.freeze(), () -> take.run(journal));
            if (journal != null) journal.update(r -> r.withPhase(null));
            meta = new SnapshotMetadata(o.description(), outcome.consistency().label(), expires, sizes);
            for (String w : outcome.warnings()) warn.accept("quiesce", w);
            domain.updateSnapshotDescription(name, meta.description());
        } else {
            take.run(journal);
        }
        return new Created(name, o.external() != null ? "external" : "internal", meta, overlays, outcome);
    }

    /** Every snapshot of the domain with its sizes, parents first. */
    public List<SnapshotView> list(String domainName) throws VmException {
        VmDomain domain = domain(domainName);
        Instant now = clock.instant();
        Map<String, Qcow2Header> tables = new LinkedHashMap<>();
        List<SnapshotView> out = new ArrayList<>();
        for (VmSnapshot s : domain.snapshots()) {
            SnapshotMetadata meta = SnapshotMetadata.parse(s.description());
            List<SnapshotView.Disk> disks = new ArrayList<>();
            long vmState = 0;
            for (VmSnapshot.Disk d : s.disks()) {
                long vs = -1;
                if ("internal".equals(d.mode()) && d.file() != null) {
                    Qcow2Header h = table(tables, d.file());
                    Qcow2Snapshot entry = h == null ? null : h.snapshot(s.name());
                    vs = entry == null ? -1 : entry.vmStateSize();
                    vmState = vs < 0 || vmState < 0 ? -1 : vmState + vs;
                }
                disks.add(new SnapshotView.Disk(
                        d.target(), d.mode(), d.file(), d.file() == null ? -1 : size(Path.of(d.file())), vs));
            }
            if (disks.stream().noneMatch(d -> "internal".equals(d.mode()))) vmState = 0;
            out.add(new SnapshotView(
                    s.name(),
                    s.created(),
                    s.state(),
                    s.parent(),
                    s.current(),
                    s.external() ? "external" : "internal",
                    s.memory(),
                    meta,
                    meta.expiredAt(now),
                    vmState,
                    disks));
        }
        return out;
    }

    /** The image files holding internal snapshots of the domain's disks, with what they hold and how much they grew. */
    public List<SnapshotView.Image> images(String domainName, List<SnapshotView> snapshots) throws VmException {
        VmDomain domain = domain(domainName);
        List<SnapshotView.Image> out = new ArrayList<>();
        for (VmDisk d : domain.disks()) {
            if (!d.included() || !"qcow2".equals(d.format())) continue;
            Qcow2Header h;
            try {
                h = Qcow2Header.read(Path.of(d.source()));
            } catch (IOException e) {
                warn.accept(
                        "qcow2-unreadable", "cannot read the snapshot table of " + d.source() + ": " + e.getMessage());
                continue;
            }
            long now = size(Path.of(d.source()));
            long before = -1;
            for (SnapshotView s : snapshots) {
                Long b = s.metadata().sizeBefore().get(d.target());
                if (b != null && s.disks().stream().anyMatch(x -> d.source().equals(x.file()))) {
                    before = before < 0 ? b : Math.min(before, b);
                }
            }
            out.add(new SnapshotView.Image(
                    d.source(),
                    now,
                    h.snapshots().size(),
                    h.vmStateBytes(),
                    before < 0 || now < 0 ? -1 : now - before));
        }
        return out;
    }

    /**
     * Reverts to snapshot {@code name}. Checkpoints do not follow a revert (their dirty bitmaps
     * miss the clusters the revert changes), so Stillpoint's own checkpoints are deleted first: the
     * next backup is then a full one instead of an incremental that would miss changed data.
     */
    public void revert(String domainName, String name, VmDomain.State after) throws VmException, EngineException {
        VmDomain domain = domain(domainName);
        locked(domain, "snapshot-revert", journal -> {
            revert(domain, name, after);
            return null;
        });
    }

    private void revert(VmDomain domain, String name, VmDomain.State after) throws VmException {
        VmSnapshot s = find(domain, name);
        if (s.external())
            throw new VmException(
                    VmException.Code.OPERATION_FAILED,
                    "snapshot '" + name
                            + "' is external: libvirt 9.0 cannot revert to external snapshots; delete it to merge it, or restore a backup");
        List<String> checkpoints = new ArrayList<>(domain.checkpoints());
        java.util.Collections.reverse(checkpoints);
        for (String cp : checkpoints) {
            if (cp.startsWith("stillpoint-")) {
                domain.deleteCheckpoint(cp);
                warn.accept(
                        "checkpoint-dropped",
                        "deleted checkpoint " + cp
                                + ": a revert changes the disk behind its bitmap; the next backup is a full one");
            } else {
                warn.accept(
                        "foreign-checkpoint",
                        "checkpoint " + cp
                                + " (not Stillpoint's) does not see the revert; the tool that made it may take a wrong incremental");
            }
        }
        domain.revertToSnapshot(name, after);
    }

    /** Deletes snapshot {@code name} (an external one is merged into its own backing image only). */
    public void delete(String domainName, String name) throws VmException, EngineException {
        VmDomain domain = domain(domainName);
        locked(domain, "snapshot-delete", journal -> {
            find(domain, name);
            domain.deleteSnapshot(name);
            return null;
        });
    }

    /** Deletes the expired snapshots of one domain (null: all domains), children before parents; returns "domain/name" of each. */
    public List<String> pruneExpired(String domainName) throws VmException, EngineException {
        List<String> names = domainName != null ? List.of(domainName) : connector.domainNames();
        List<String> deleted = new ArrayList<>();
        EngineException busy = null;
        for (String dn : names) {
            try {
                prune(dn, deleted);
            } catch (EngineException e) {
                // one busy domain does not keep the others' expired snapshots: they are pruned, it fails at the end
                if (domainName != null || e.code() != Code.DOMAIN_BUSY) throw e;
                warn.accept("domain-busy", e.getMessage() + "; its expired snapshots stay");
                if (busy == null) busy = e;
            }
        }
        if (busy != null) throw busy;
        return deleted;
    }

    /** Deletes the expired snapshots of domain {@code dn} under its lock, children before parents. */
    private void prune(String dn, List<String> deleted) throws VmException, EngineException {
        VmDomain domain = domain(dn);
        locked(domain, "snapshot-prune", journal -> {
            List<SnapshotView> list = new ArrayList<>(list(dn));
            java.util.Collections.reverse(list);
            for (SnapshotView s : list) {
                if (!s.expired()) continue;
                domain.deleteSnapshot(s.name());
                deleted.add(dn + "/" + s.name());
            }
            return null;
        });
    }

    private Qcow2Header table(Map<String, Qcow2Header> cache, String file) {
        if (cache.containsKey(file)) return cache.get(file);
        Qcow2Header h = null;
        try {
            h = Qcow2Header.read(Path.of(file));
        } catch (IOException e) {
            warn.accept("qcow2-unreadable", "cannot read the snapshot table of " + file + ": " + e.getMessage());
        }
        cache.put(file, h);
        return h;
    }

    private VmDomain domain(String name) throws VmException {
        return connector
                .find(name)
                .orElseThrow(() -> new VmException(
                        VmException.Code.NOT_FOUND, "no domain named '" + name + "' on this connection"));
    }

    static VmSnapshot find(VmDomain domain, String name) throws VmException {
        return domain.snapshots().stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new VmException(
                        VmException.Code.SNAPSHOT_NOT_FOUND,
                        "domain " + domain.name() + " has no snapshot '" + name + "'"));
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private static EngineException invalid(String message) {
        return new EngineException(Code.INVALID_ARGUMENT, message);
    }
}
