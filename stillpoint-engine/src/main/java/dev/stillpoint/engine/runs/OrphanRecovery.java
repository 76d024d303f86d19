package dev.stillpoint.engine.runs;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Undoes what dead runs left behind (see the package documentation). Every action is reported to
 * the listener as a warning with a stable code; a run whose undo failed in part keeps its journal,
 * so the next run tries again.
 */
public final class OrphanRecovery {
    /** Warning codes, stable for scripts. */
    public static final String ORPHAN_RECOVERED = "orphan-recovered";

    public static final String ORPHAN_INCOMPLETE = "orphan-recovery-incomplete";
    /**
     * A file in a run's work directory naming a FUSE mount the run made ({@code stillpoint mount}):
     * written before the mount, so a dead run's mount is unmounted (lazily) before its processes go.
     */
    public static final String MOUNT_POINT_FILE = "mount-point";

    /** The phases in which a run may have left the guest frozen. */
    private static final Set<String> FROZEN_PHASES = Set.of("freeze", "begin", "thaw");

    private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(5);

    /** Receives one line per action. */
    public interface Listener {
        void warning(String code, String message);
    }

    private final RunDirectory runs;
    private final VmConnector connector;
    private final Listener listener;

    /**
     * @param connector the hypervisor, or null when the command has none: dead runs that left
     *                  something on a domain then stay for a command that has one
     */
    public OrphanRecovery(RunDirectory runs, VmConnector connector, Listener listener) {
        this.runs = runs;
        this.connector = connector;
        this.listener = listener;
    }

    /**
     * Recovers every dead run; for a run of a domain whose lock a live run holds, that run is left
     * to it. {@code held}: the domain lock the caller holds already (or null).
     * @return how many dead runs were fully undone
     */
    public int recoverAll(RunDirectory.DomainLock held) throws EngineException {
        int done = 0;
        for (DeadRun dead : runs.deadRuns()) {
            try (dead) {
                if (recover(dead, held)) done++;
            }
        }
        return done;
    }

    private boolean recover(DeadRun dead, RunDirectory.DomainLock held) throws EngineException {
        RunRecord r = dead.record();
        if (r == null) {
            Path kept = dead.file().resolveSibling(dead.file().getFileName() + ".damaged");
            try {
                Files.move(dead.file(), kept);
                dead.forget();
            } catch (IOException ignored) {
                // reported below either way
            }
            listener.warning(
                    ORPHAN_INCOMPLETE,
                    "run journal " + dead.file() + " of a dead run is damaged; kept as " + kept
                            + " (nothing undone: check 'stillpoint snapshots audit')");
            return false;
        }
        if (connector == null && (needsDomain(r) || r.definedDomain() != null && "verify".equals(r.command())))
            return false; // left for a command that reaches the hypervisor
        Optional<RunDirectory.DomainLock> own = Optional.empty();
        if (r.uuid() != null && (held == null || !held.uuid().equals(r.uuid()))) {
            own = runs.tryLockDomain(r.uuid());
            if (own.isEmpty()) return false; // a live run works on that domain: it recovers this one itself
        }
        try {
            return undo(dead, r);
        } finally {
            own.ifPresent(RunDirectory.DomainLock::close);
        }
    }

    private boolean undo(DeadRun dead, RunRecord r) throws EngineException {
        String who = r.command() + " run " + r.runId() + " (pid " + r.pid() + ", started " + r.startedAt()
                + (r.phase() == null ? "" : ", died in phase " + r.phase()) + ")";
        List<String> failures = new ArrayList<>();
        if (needsDomain(r)) undoDomain(r, who, failures);
        if ("verify".equals(r.command()) && r.definedDomain() != null) undoThrowawayDomain(r, who, failures);
        undoMount(r, who, failures);
        undoHostKernel(r, who, failures);
        // a snapshot's overlays may be the disks of the running domain: never kill what names them
        List<String> files = r.snapshot() == null ? r.files() : snapshotOverlaysToRemove(r, who, failures);
        undoProcesses(r, r.snapshot() == null ? files : List.of(), who);
        undoFiles(r, files, who, failures);
        if ("backup".equals(r.command())) recordInterrupted(r, who, failures);
        if (!failures.isEmpty()) {
            listener.warning(
                    ORPHAN_INCOMPLETE,
                    "could not undo everything of dead " + who + ": " + String.join("; ", failures) + " (journal kept: "
                            + dead.file() + ")");
            return false;
        }
        try {
            dead.forget();
        } catch (IOException e) {
            listener.warning(ORPHAN_INCOMPLETE, "cannot remove journal " + dead.file() + ": " + e.getMessage());
            return false;
        }
        return true;
    }

    /** Whether the run died where it may have left the guest frozen (Set.of refuses null). */
    private static boolean frozenPhase(RunRecord r) {
        return r.phase() != null && FROZEN_PHASES.contains(r.phase());
    }

    private static boolean needsDomain(RunRecord r) {
        return r.uuid() != null && (r.backupJob() || r.checkpoint() != null || frozenPhase(r) || r.snapshot() != null);
    }

    /**
     * The overlays of a VM snapshot the dead run was creating: none when the domain has that
     * snapshot or one of its disks uses an overlay (libvirt made them the domain's; reported kept),
     * all of them when the domain is gone or has neither (created but not recorded).
     */
    private List<String> snapshotOverlaysToRemove(RunRecord r, String who, List<String> failures) {
        if (r.files().isEmpty()) return List.of();
        if (connector == null || r.uuid() == null) {
            failures.add("no domain to check whether snapshot " + r.snapshot() + " owns " + r.files());
            return List.of();
        }
        try {
            Optional<VmDomain> found = connector.find(r.uuid());
            if (found.isEmpty()) return r.files();
            VmDomain domain = found.get();
            boolean snapshotExists =
                    domain.snapshots().stream().anyMatch(s -> s.name().equals(r.snapshot()));
            List<String> inUse = domain.disks().stream()
                    .map(d -> d.source())
                    .filter(r.files()::contains)
                    .toList();
            if (snapshotExists || !inUse.isEmpty()) {
                listener.warning(
                        ORPHAN_RECOVERED,
                        "kept " + String.join(", ", r.files()) + ": dead " + who + " created snapshot " + r.snapshot()
                                + " of domain " + r.domain()
                                + (snapshotExists
                                        ? ""
                                        : " (not in libvirt's list, but the domain's disks use "
                                                + String.join(", ", inUse) + ")")
                                + "; check it with 'stillpoint vm snapshot list'");
                return List.of();
            }
            return r.files();
        } catch (VmException e) {
            failures.add("cannot look up the snapshots of domain " + r.domain() + ": " + e.getMessage());
            return List.of();
        }
    }

    private void undoDomain(RunRecord r, String who, List<String> failures) {
        VmDomain domain;
        try {
            Optional<VmDomain> found = connector.find(r.uuid());
            if (found.isEmpty()) return; // the domain is gone, and with it its job and checkpoints
            domain = found.get();
        } catch (VmException e) {
            failures.add("cannot look up domain " + r.domain() + ": " + e.getMessage());
            return;
        }
        if (frozenPhase(r)) thawIfFrozen(domain, who);
        if (r.backupJob() && r.socket() != null) {
            try {
                Optional<Path> active = domain.activeBackupSocket();
                if (active.isPresent() && active.get().equals(Path.of(r.socket()))) {
                    domain.abortJob();
                    listener.warning(
                            ORPHAN_RECOVERED,
                            "aborted the pull-backup job of domain " + r.domain() + " left by dead " + who);
                } else if (active.isPresent()) {
                    listener.warning(
                            ORPHAN_RECOVERED,
                            "domain " + r.domain() + " runs a backup job on " + active.get()
                                    + " that is not the dead run's (" + r.socket() + "); left alone");
                }
            } catch (VmException e) {
                failures.add("cannot abort the backup job of domain " + r.domain() + ": " + e.getMessage());
            }
        }
        if (r.checkpoint() != null) undoCheckpoint(domain, r, who, failures);
    }

    private void thawIfFrozen(VmDomain domain, String who) {
        try {
            VmDomain.GuestAgent agent = domain.agent();
            if ("frozen".equals(agent.freezeStatus(AGENT_TIMEOUT))) {
                agent.thaw(AGENT_TIMEOUT.multipliedBy(2));
                listener.warning(
                        ORPHAN_RECOVERED,
                        "thawed the guest of domain " + domain.name() + " left frozen by dead " + who);
            }
        } catch (VmException e) {
            // no agent, or not frozen: the guest's own watchdog bounds a freeze we cannot see
        }
    }

    private void undoCheckpoint(VmDomain domain, RunRecord r, String who, List<String> failures) {
        try {
            if (!domain.checkpoints().contains(r.checkpoint())) return;
            if (r.catalog() != null && Files.exists(Path.of(r.catalog()))) {
                try (Catalog catalog = Catalog.open(Path.of(r.catalog()))) {
                    if (catalog.knowsCheckpoint(r.checkpoint())) return; // recorded: the chain's tip, keep it
                }
            }
            domain.deleteCheckpoint(r.checkpoint());
            listener.warning(
                    ORPHAN_RECOVERED,
                    "deleted checkpoint " + r.checkpoint() + " of domain " + r.domain()
                            + " that no finished backup recorded (dead " + who + ")");
        } catch (VmException | EngineException e) {
            failures.add("cannot delete checkpoint " + r.checkpoint() + ": " + e.getMessage());
        }
    }

    private void undoThrowawayDomain(RunRecord r, String who, List<String> failures) {
        if (connector == null) {
            failures.add("no hypervisor connection to remove domain " + r.definedDomain());
            return;
        }
        try {
            Optional<VmDomain> d = connector.find(r.definedDomain());
            if (d.isEmpty()) return;
            if (d.get().state() != VmDomain.State.SHUTOFF) d.get().destroy();
            d.get().undefine();
            listener.warning(ORPHAN_RECOVERED, "removed throwaway domain " + r.definedDomain() + " of dead " + who);
        } catch (VmException e) {
            failures.add("cannot remove domain " + r.definedDomain() + ": " + e.getMessage());
        }
    }

    private void undoProcesses(RunRecord r, List<String> files, String who) {
        List<String> paths = new ArrayList<>(files);
        if (r.workDir() != null) paths.add(r.workDir());
        for (HostProcesses.Found f : HostProcesses.referencing(paths)) {
            boolean gone = HostProcesses.kill(f);
            listener.warning(
                    ORPHAN_RECOVERED, (gone ? "killed " : "could not kill ") + f.describe() + " left by dead " + who);
        }
    }

    private void undoMount(RunRecord r, String who, List<String> failures) {
        if (r.workDir() == null) return;
        Path marker = Path.of(r.workDir(), MOUNT_POINT_FILE);
        if (!Files.isRegularFile(marker)) return;
        try {
            String mountPoint = Files.readString(marker).strip();
            if (!FuseMounts.mounted(mountPoint)) return;
            String error = FuseMounts.unmount(mountPoint, true);
            if (error == null)
                listener.warning(ORPHAN_RECOVERED, "unmounted " + mountPoint + " left mounted by dead " + who);
            else failures.add("cannot unmount " + mountPoint + ": " + error);
        } catch (IOException e) {
            failures.add("cannot read " + marker + ": " + e.getMessage());
        }
    }

    /** The host-kernel path's mounts, loop devices, daemon and exports ({@link HostKernelSteps}). */
    private void undoHostKernel(RunRecord r, String who, List<String> failures) {
        if (r.workDir() == null || !HostKernelSteps.present(Path.of(r.workDir()))) return;
        List<String> left = HostKernelSteps.undo(Path.of(r.workDir()));
        if (left.isEmpty())
            listener.warning(
                    ORPHAN_RECOVERED,
                    "unmounted the guest filesystems, detached the loop devices and stopped qemu-storage-daemon of dead "
                            + who);
        else failures.addAll(left);
    }

    private void undoFiles(RunRecord r, List<String> files, String who, List<String> failures) {
        for (String f : files) {
            try {
                if (Files.deleteIfExists(Path.of(f))) {
                    listener.warning(ORPHAN_RECOVERED, "removed " + f + ", unfinished output of dead " + who);
                }
            } catch (IOException e) {
                failures.add("cannot remove " + f + ": " + e.getMessage());
            }
        }
        if (r.workDir() != null && Files.exists(Path.of(r.workDir()))) {
            Path dir = Path.of(r.workDir());
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                listener.warning(
                        ORPHAN_RECOVERED, "removed work directory " + dir + " (sockets, scratch) of dead " + who);
            } catch (IOException e) {
                failures.add("cannot remove work directory " + dir + ": " + e.getMessage());
            }
        }
    }

    private void recordInterrupted(RunRecord r, String who, List<String> failures) {
        if (r.catalog() == null || r.domain() == null || !Files.exists(Path.of(r.catalog()))) return;
        try (Catalog catalog = Catalog.open(Path.of(r.catalog()))) {
            if (catalog.contains(r.runId())) return;
            catalog.insert(BackupRecord.builder(r.runId(), r.domain(), r.startedAt())
                    .vmUuid(r.uuid())
                    .finishedAt(Instant.now())
                    .status(BackupRecord.Status.FAILED)
                    .error(BackupRecord.INTERRUPTED + ": the stillpoint process (pid " + r.pid() + ") died"
                            + (r.phase() == null ? "" : " in phase " + r.phase()) + "; cleaned up by a later run")
                    .build());
            listener.warning(
                    ORPHAN_RECOVERED,
                    "recorded backup " + r.runId() + " of domain " + r.domain() + " as failed (interrupted) in catalog "
                            + r.catalog());
        } catch (EngineException e) {
            failures.add("cannot record the interrupted backup in catalog " + r.catalog() + ": " + e.getMessage());
        }
    }
}
