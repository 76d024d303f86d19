package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.BackupRecord.Mode;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.catalog.Phase;
import dev.stillpoint.engine.catalog.RepositoryRecords;
import dev.stillpoint.engine.ingest.ExtentSource;
import dev.stillpoint.engine.ingest.Ingest;
import dev.stillpoint.engine.runs.OrphanRecovery;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunJournal;
import dev.stillpoint.engine.runs.RunRecord;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmDomain.BackupSession;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.qemu.nbd.NbdClient;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Backs up one domain into a repository and records it in the catalog.
 *
 * <p>Running domain: preflight → freeze (host-side timeout) → begin pull backup with a new
 * checkpoint → thaw (always, in finally) → copy each disk over NBD → end the job → record →
 * delete older Stillpoint checkpoints. Shut-off domain: see {@link OfflineBackup} (qemu-nbd,
 * incremental through the qcow2 bitmap of the last checkpoint when possible; "clean-shutdown").
 *
 * <p>The freeze window is {@link GuestFreeze}'s. On any failure or {@link #cancel()}: the guest
 * is thawed, the backup job ended, the new checkpoint deleted (the catalog does not know it),
 * sockets and scratch removed, a failed row recorded. One job runs once.
 */
public final class BackupJob {

    private final VmDomain domain;
    private final Repository repository;
    private final Catalog catalog;
    private final BlockSourceOpener opener;
    private final OfflineExporter offlineExporter;
    private final BackupOptions options;
    private final BackupListener listener;
    private final Clock clock;
    private final RunDirectory runs;
    private final OrphanRecovery recovery;

    private volatile boolean cancelled;
    private final CountDownLatch finished = new CountDownLatch(1);

    private BackupJob(Builder b) {
        this.domain = Objects.requireNonNull(b.domain, "domain");
        this.repository = Objects.requireNonNull(b.repository, "repository");
        this.catalog = Objects.requireNonNull(b.catalog, "catalog");
        this.opener = Objects.requireNonNull(b.opener, "blockSourceOpener");
        this.offlineExporter = b.offlineExporter != null ? b.offlineExporter : OfflineExporter.qemuNbd();
        this.options = b.options != null ? b.options : BackupOptions.defaults();
        this.listener = b.listener != null ? b.listener : BackupListener.NONE;
        this.clock = b.clock != null ? b.clock : Clock.systemUTC();
        this.runs = b.runs;
        this.recovery = b.recovery;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Asks the job to stop at the next safe point; it then cleans up and throws CANCELLED. */
    public void cancel() {
        cancelled = true;
    }

    /** Waits until {@link #run()} has returned or thrown (for a shutdown hook). */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs the backup; returns what was recorded in the catalog. */
    public BackupResult run() throws EngineException, VmException, IOException {
        try {
            return new Run().execute();
        } finally {
            finished.countDown();
        }
    }

    /** State of one run; every resource it acquires is released in {@link #cleanup}. */
    private final class Run {
        final String id = RunDirectory.newRunId();
        final Instant startedAt = clock.instant();
        final long startNanos = System.nanoTime();
        final Map<Phase, Long> phaseMs = new LinkedHashMap<>();
        final List<String> warnings = new ArrayList<>();
        final List<DiskRecord> diskRecords = new ArrayList<>();
        String domainXml;
        Path work;
        BackupSession session;
        String checkpoint;
        boolean recorded;
        /** What this run creates outside itself, written before it is created (null without a run directory). */
        RunJournal journal;

        RunDirectory.DomainLock domainLock;
        /** Past the domain lock: this run may have created something (false: refused, owns nothing). */
        boolean owned;
        /** Cleanup could not undo everything: the journal stays for the next run's recovery. */
        boolean cleanupIncomplete;
        /** The freeze window of an online backup (null offline). */
        GuestQuiesce quiesce;
        /** This backup's guest report once read (kept on a failed record too), else null. */
        String guestReportText;

        String warnedAzure;

        Phase current;
        long phaseStart;

        BackupResult execute() throws EngineException, VmException, IOException {
            try {
                return attempt();
            } catch (EngineException | VmException | IOException | RuntimeException | Error e) {
                if (owned) cleanup(e); // a refused run (domain busy) owns nothing to clean
                throw e;
            } finally {
                if (work != null && !WorkDir.delete(work)) {
                    listener.warning("cleanup", "could not remove work directory " + work);
                    cleanupIncomplete = true;
                }
                closeJournal();
            }
        }

        /**
         * Takes the domain's lock (one run per domain), undoes what dead runs left behind, and
         * starts this run's journal; nothing without a run directory (tests with fakes).
         */
        private void openJournal() throws EngineException {
            if (runs == null) {
                owned = true;
                return;
            }
            domainLock = runs.lockDomain(domain.uuid(), domain.name());
            owned = true;
            if (recovery != null) recovery.recoverAll(domainLock);
            journal = runs.start(id, "backup");
            journal.update(r -> r.withDomain(domain.name(), domain.uuid())
                    .withCatalog(catalog.file())
                    .withPhase(Phase.PREFLIGHT.key()));
        }

        private void closeJournal() {
            if (journal != null) {
                if (cleanupIncomplete) {
                    journal.abandon();
                    listener.warning(
                            OrphanRecovery.ORPHAN_INCOMPLETE,
                            "cleanup of backup " + id
                                    + " is incomplete; the next run of a command on domain " + domain.name()
                                    + " finishes it (journal " + journal.file() + ")");
                } else {
                    journal.close();
                }
            }
            if (domainLock != null) domainLock.close();
        }

        private void journal(java.util.function.UnaryOperator<RunRecord> change) throws EngineException {
            if (journal != null) journal.update(change);
        }

        private BackupResult attempt() throws EngineException, VmException, IOException {
            openJournal();
            start(Phase.PREFLIGHT);
            VmDomain.State state = domain.state();
            if (state == VmDomain.State.OTHER) {
                throw new EngineException(
                        Code.DOMAIN_STATE,
                        "domain " + domain.name() + " is neither running, paused nor shut off; cannot back it up");
            }
            List<VmDisk> disks = includedDisks();
            domainXml = domain.xml(true);
            Path workPath = WorkDir.pathFor(options.workDir(), id);
            journal(r -> r.withWorkDir(workPath));
            work = WorkDir.create(workPath);
            if (state == VmDomain.State.SHUTOFF) return offline(disks);
            return online(disks);
        }

        private List<VmDisk> includedDisks() throws VmException, EngineException {
            List<VmDisk> included = new ArrayList<>();
            for (VmDisk d : domain.disks()) {
                if (d.included()) included.add(d);
                else warn("disk-skipped", "disk " + d.target() + " skipped: " + d.skipReason());
            }
            if (included.isEmpty()) {
                throw new EngineException(
                        Code.NO_DISKS,
                        "domain " + domain.name() + " has no file- or block-backed qcow2/raw disk to back up");
            }
            return included;
        }

        private BackupResult online(List<VmDisk> disks) throws EngineException, VmException, IOException {
            quiesce = new GuestQuiesce(domain, options, new GuestFreeze.Events() {
                @Override
                public void phaseStarted(Phase phase) {
                    start(phase);
                }

                @Override
                public void phaseFinished() {
                    finish();
                }

                @Override
                public void warn(String code, String message) {
                    Run.this.warn(code, message);
                }
            });
            boolean agentOk = quiesce.checkAgent();
            String noBitmap = NoBitmap.why(disks);
            IncrementalPlanner.Plan plan;
            if (noBitmap != null) {
                warn(NoBitmap.WARNING, noBitmap);
                plan = IncrementalPlanner.Plan.full(null);
            } else {
                plan = plan(disks, false);
            }
            String reportBefore = quiesce.readReportBefore();
            String newCheckpoint = noBitmap == null ? Checkpoints.newName(startedAt) : null;
            finish();

            boolean frozen = freezeGuest(agentOk, reportBefore);
            try {
                start(Phase.BEGIN);
                plan = begin(disks, newCheckpoint, plan);
                finish();
            } finally {
                quiesce.thawIfSent();
            }
            check();
            String reportAfter = quiesce.readReportAfter();
            if (frozen) obeyGuest(reportBefore, reportAfter, null);
            Consistency consistency = quiesce.consistency();
            String report = quiesce.freshReport();

            start(Phase.COPY);
            for (VmDisk d : disks) {
                String ctx = plan.incremental() ? session.dirtyBitmapContext(d.target()) : null;
                try (BlockSource src = NbdExtentSource.connect(
                        opener,
                        session.socket(),
                        session.exportName(d.target()),
                        NbdExtentSource.contexts(ctx),
                        describe(d))) {
                    copyDisk(d, src, ctx, plan.parentSnapshots().get(d.target()), checkpoint);
                }
            }
            finish();

            start(Phase.END);
            BackupSession s = session;
            session = null;
            s.close();
            journal(RunRecord::withBackupJobEnded);
            finish();

            Mode mode = diskRecords.stream().allMatch(r -> r.parentSnapshot() != null) ? Mode.INCREMENTAL : Mode.FULL;
            String parent = mode == Mode.INCREMENTAL ? plan.previous().id() : null;
            BackupResult result = record(mode, consistency, checkpoint, parent, report);
            Checkpoints.pruneOlder(domain, catalog, checkpoint, this::warn);
            return result;
        }

        /** The planner's full-or-incremental choice ({@code offline}: a shut-off domain's), its drift warned. */
        private IncrementalPlanner.Plan plan(List<VmDisk> disks, boolean offline) throws EngineException, VmException {
            var previous = catalog.lastComplete(domain.uuid());
            List<String> checkpoints = domain.checkpoints();
            IncrementalPlanner.Plan plan = offline
                    ? IncrementalPlanner.decideOffline(
                            options.forceFull(), previous, checkpoints, disks, this::snapshotExists)
                    : IncrementalPlanner.decide(
                            options.forceFull(), previous, checkpoints, disks, this::snapshotExists);
            if (plan.warning() != null) warn("bitmap-drift", plan.warning());
            return plan;
        }

        private BackupResult offline(List<VmDisk> disks) throws EngineException, VmException, IOException {
            IncrementalPlanner.Plan plan = plan(disks, true);
            listener.modeChosen(plan.mode(), plan.incrementalFrom());
            finish();
            start(Phase.COPY);
            String cp = new OfflineBackup(offlineExporter, opener, work, this::warn)
                    .copy(disks, plan, (d, src, ctx, parent) -> copyDisk(d, src, ctx, parent, plan.incrementalFrom()));
            finish();
            return record(
                    cp != null ? Mode.INCREMENTAL : Mode.FULL,
                    Consistency.CLEAN_SHUTDOWN,
                    cp,
                    cp != null ? plan.previous().id() : null,
                    null);
        }

        private IncrementalPlanner.Plan begin(List<VmDisk> disks, String newCheckpoint, IncrementalPlanner.Plan plan)
                throws VmException, EngineException {
            List<String> targets = disks.stream().map(VmDisk::target).toList();
            Path socket = work.resolve("nbd.sock");
            checkpoint = newCheckpoint;
            journal(r -> r.withBackupJob(socket, newCheckpoint));
            listener.modeChosen(plan.mode(), plan.incrementalFrom());
            try {
                session = domain.beginBackup(targets, socket, work, newCheckpoint, plan.incrementalFrom());
                return plan;
            } catch (VmException e) {
                if (!plan.incremental()) throw e;
                warn(
                        "bitmap-drift",
                        "incremental from checkpoint " + plan.incrementalFrom() + " refused (" + e.getMessage()
                                + "); reading everything and starting a new chain");
                IncrementalPlanner.Plan full = IncrementalPlanner.Plan.full(null);
                listener.modeChosen(full.mode(), null);
                session = domain.beginBackup(targets, socket, work, newCheckpoint, null);
                return full;
            }
        }

        /** {@code cp}: the checkpoint the disk snapshot is tagged with (the new one, or offline the one read from). */
        private void copyDisk(VmDisk d, BlockSource export, String dirtyContext, String parentSnapshot, String cp)
                throws IOException, EngineException {
            boolean incremental = dirtyContext != null && parentSnapshot != null && export.hasContext(dirtyContext);
            if (dirtyContext != null && !incremental) {
                warn(
                        "bitmap-drift",
                        "export of disk " + d.target() + " offers no dirty bitmap " + dirtyContext
                                + "; reading all of disk " + d.target());
            }
            String parent = incremental ? parentSnapshot : null;
            ExtentSource src =
                    new NbdExtentSource(export, incremental ? dirtyContext : NbdClient.BASE_ALLOCATION, describe(d));
            Ingest.Plan plan = Ingest.scan(src);
            listener.diskStarted(d.target(), plan.dataBytes(), src.size());
            Map<String, String> tags = Map.of(
                    "backup",
                    id,
                    "domain",
                    domain.name(),
                    "uuid",
                    domain.uuid(),
                    "disk",
                    d.target(),
                    "checkpoint",
                    cp == null ? "" : cp);
            try (ImageWriter w = repository.newImage(
                    domain.name() + "/" + d.target(), src.size(), parent, tags, ProgressListener.NONE)) {
                long read = Ingest.copy(
                        src,
                        plan,
                        w,
                        parent != null,
                        options.readBuffer(),
                        (done, total) -> listener.progress(d.target(), done, total),
                        () -> cancelled);
                check();
                SnapshotInfo info = w.commit();
                diskRecords.add(new DiskRecord(
                        d.target(), d.source(), d.format(), src.size(), info.id(), parent, read, info.storedBytes()));
                listener.diskFinished(d.target(), read, info.storedBytes());
            }
        }

        private String describe(VmDisk d) {
            return "domain " + domain.name() + " disk " + d.target();
        }

        /**
         * The freeze, then what the guest's own report says about it: a guest whose policy requires failing the
         * backup (Azure {@code continueBackupOnFailure: false}) fails it with QUIESCE_FAILED even under
         * consistency 'preferred'; an Azure failure it only records becomes a warning naming Azure's code.
         */
        private boolean freezeGuest(boolean agentOk, String reportBefore) throws EngineException {
            if (!agentOk) return false;
            boolean frozen;
            try {
                frozen = quiesce.freeze();
            } catch (EngineException e) {
                if (e.code() == Code.QUIESCE_FAILED) obeyGuest(reportBefore, quiesce.readReportNow(), e);
                throw e;
            }
            if (!frozen) obeyGuest(reportBefore, quiesce.readReportNow(), null);
            return frozen;
        }

        private void obeyGuest(String before, String after, EngineException freezeFailure) throws EngineException {
            GuestReport r = GuestReports.fresh(before, after);
            if (r == null) return;
            guestReportText = after;
            String policy = GuestReports.guestPolicyFailure(r);
            String azure = GuestReports.azureFailure(r);
            if (policy != null) {
                String msg = "the guest's own policy fails this backup (whatever --consistency): " + policy
                        + " (domain " + domain.name() + ")";
                warn("guest-policy-failed", msg);
                throw new EngineException(
                        Code.QUIESCE_FAILED, freezeFailure == null ? msg : msg + "; " + freezeFailure.getMessage());
            }
            if (azure != null && warnedAzure == null) {
                warnedAzure = azure;
                warn(
                        "guest-azure",
                        "Azure " + azure + " (the guest's continueBackupOnFailure=true: recorded, backup continues)");
            }
        }

        private BackupResult record(Mode mode, Consistency consistency, String cp, String parent, String report)
                throws EngineException, IOException {
            long read = diskRecords.stream().mapToLong(DiskRecord::bytesRead).sum();
            long stored =
                    diskRecords.stream().mapToLong(DiskRecord::storedBytes).sum();
            long size = diskRecords.stream().mapToLong(DiskRecord::size).sum();
            BackupRecord r = base().finishedAt(clock.instant())
                    .status(BackupRecord.Status.COMPLETE)
                    .mode(mode)
                    .consistency(consistency)
                    .checkpoint(cp)
                    .parentBackup(parent)
                    .guestReport(report)
                    .bytes(read, stored, size)
                    .disks(diskRecords)
                    .build();
            check();
            // the repository describes itself: the record goes beside the snapshots before the catalog row
            RepositoryRecords.publish(repository, r, null);
            catalog.insert(r);
            recorded = true;
            journal(RunRecord::withoutCheckpoint);
            return new BackupResult(r, Duration.ofNanos(System.nanoTime() - startNanos), List.copyOf(warnings));
        }

        /** The fields every row of this run has. */
        private BackupRecord.Builder base() {
            return BackupRecord.builder(id, domain.name(), startedAt)
                    .vmUuid(domain.uuid())
                    .domainXml(domainXml)
                    .freezeWindowMs(freezeWindowMs())
                    .guestReport(guestReportText)
                    .phaseMs(phaseMs)
                    .warnings(warnings);
        }

        private void cleanup(Throwable cause) {
            if (quiesce != null) quiesce.thawIfSent();
            if (session != null) {
                try {
                    session.close();
                } catch (VmException | RuntimeException e) {
                    cause.addSuppressed(e);
                    cleanupIncomplete = true;
                }
                session = null;
            }
            if (checkpoint != null && !recorded) {
                try {
                    Checkpoints.deleteUnrecorded(domain, catalog, checkpoint);
                } catch (VmException | EngineException | RuntimeException e) {
                    cause.addSuppressed(e);
                    cleanupIncomplete = true;
                }
            }
            if (!recorded) {
                try {
                    catalog.insert(base().finishedAt(clock.instant())
                            .status(BackupRecord.Status.FAILED)
                            .error(String.valueOf(cause.getMessage()))
                            .build());
                } catch (EngineException | RuntimeException e) {
                    cause.addSuppressed(e);
                }
            }
        }

        private Long freezeWindowMs() {
            return quiesce == null ? null : quiesce.windowMs();
        }

        /**
         * Whether the parent snapshot is still in the repository. Any other repository error (locked,
         * damaged, full, I/O) is thrown as itself, keeping its code, though the planner's predicate
         * declares none: {@link #execute} catches it as the IOException it is and cleans up.
         */
        private boolean snapshotExists(String snapshotId) {
            try {
                repository.snapshot(snapshotId);
                return true;
            } catch (IOException e) {
                if (e instanceof RepositoryException re && re.code() == RepositoryException.Code.NOT_FOUND)
                    return false;
                BackupJob.<RuntimeException>rethrow(e);
                throw new AssertionError("not reached", e);
            }
        }

        private void check() throws EngineException {
            if (cancelled)
                throw new EngineException(Code.CANCELLED, "backup of domain " + domain.name() + " cancelled");
        }

        private void warn(String code, String message) {
            warnings.add(code + ": " + message);
            listener.warning(code, message);
        }

        private void start(Phase phase) {
            current = phase;
            phaseStart = System.nanoTime();
            if (journal != null) {
                try {
                    journal.update(r -> r.withPhase(phase.key()));
                } catch (EngineException e) {
                    warn("journal", e.getMessage()); // the phase only makes recovery messages precise
                }
            }
            listener.phaseStarted(phase);
        }

        private void finish() {
            Duration took = Duration.ofNanos(System.nanoTime() - phaseStart);
            phaseMs.merge(current, took.toMillis(), Long::sum);
            listener.phaseFinished(current, took);
        }
    }

    /** Throws checked {@code e} through a signature that declares none (see {@code snapshotExists}). */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void rethrow(Throwable e) throws T {
        throw (T) e;
    }

    /** Builds a {@link BackupJob}; domain, repository, catalog and block-source opener are required. */
    public static final class Builder {
        private VmDomain domain;
        private Repository repository;
        private Catalog catalog;
        private BlockSourceOpener opener;
        private OfflineExporter offlineExporter;
        private BackupOptions options;
        private BackupListener listener;
        private Clock clock;
        private RunDirectory runs;
        private OrphanRecovery recovery;

        private Builder() {}

        public Builder domain(VmDomain v) {
            domain = v;
            return this;
        }

        public Builder repository(Repository v) {
            repository = v;
            return this;
        }

        public Builder catalog(Catalog v) {
            catalog = v;
            return this;
        }

        public Builder blockSources(BlockSourceOpener v) {
            opener = v;
            return this;
        }

        public Builder offlineExporter(OfflineExporter v) {
            offlineExporter = v;
            return this;
        }

        public Builder options(BackupOptions v) {
            options = v;
            return this;
        }

        public Builder listener(BackupListener v) {
            listener = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        /**
         * Journals the run in {@code v} (crash safety: a later run undoes what this one leaves if it
         * dies) and allows one run per domain; {@code recovery} undoes dead runs first. Without it
         * (tests with fakes) nothing is journaled.
         */
        public Builder runs(RunDirectory v, OrphanRecovery recovery) {
            runs = v;
            this.recovery = recovery;
            return this;
        }

        public BackupJob build() {
            return new BackupJob(this);
        }
    }
}
