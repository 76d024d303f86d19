package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.libvirt.ffi.LibvirtException;
import dev.stillpoint.libvirt.ffi.VirConnection;
import dev.stillpoint.libvirt.ffi.VirDomain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.w3c.dom.Element;

/** One libvirt domain, addressed by UUID; every call looks it up and frees the handle. */
final class LibvirtDomain implements VmDomain {
    static final int UNDEFINE_FLAGS =
            VirDomain.UNDEFINE_CHECKPOINTS_METADATA | VirDomain.UNDEFINE_SNAPSHOTS_METADATA | VirDomain.UNDEFINE_NVRAM;

    static final java.time.Duration JOB_END_TIMEOUT = java.time.Duration.ofSeconds(30);
    /** How long a call whose connection broke waits for libvirtd to come back. */
    static final java.time.Duration RECONNECT_TIMEOUT = java.time.Duration.ofSeconds(30);

    private final VirConnection connection;
    private final QemuAccess access;
    private final String name;
    private final String uuid;

    LibvirtDomain(VirConnection connection, QemuAccess access, String name, String uuid) {
        this.connection = connection;
        this.access = access;
        this.name = name;
        this.uuid = uuid;
    }

    interface DomainCall<T> {
        T apply(VirDomain d) throws LibvirtException, VmException;
    }

    /**
     * Looks the domain up by UUID, runs {@code call}, frees the handle; libvirt errors map via
     * {@link VmErrors}. When the call fails because the connection broke (libvirtd restarted), the
     * connection is reopened and the call made once more: cleanup (ending a backup job, deleting a
     * checkpoint) must not give up on a daemon that came back.
     */
    <T> T with(DomainCall<T> call) throws VmException {
        try {
            return once(call);
        } catch (LibvirtException e) {
            if (connection.isAlive() && !brokenConnection(e)) throw VmErrors.map(e);
            reopen(e);
            try {
                return once(call);
            } catch (LibvirtException again) {
                throw VmErrors.map(again);
            }
        }
    }

    /**
     * Opens a new connection, waiting up to {@link #RECONNECT_TIMEOUT} for a restarting libvirtd to
     * accept connections again; throws {@code cause} (with the last attempt's error) when it does not.
     */
    private void reopen(LibvirtException cause) throws VmException {
        long deadline = System.nanoTime() + RECONNECT_TIMEOUT.toNanos();
        while (true) {
            try {
                connection.reopen();
                return;
            } catch (LibvirtException again) {
                if (System.nanoTime() > deadline) {
                    cause.addSuppressed(again);
                    throw VmErrors.map(cause);
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw VmErrors.map(cause);
            }
        }
    }

    /**
     * An error that says the connection to libvirtd is gone. virConnectIsAlive may still say yes
     * right after libvirtd died (measured: "Cannot write data: Broken pipe", virErrorNumber 38, while
     * alive), so the error itself decides too; a false positive only costs one reconnect.
     */
    static boolean brokenConnection(LibvirtException e) {
        String m = String.valueOf(e.getMessage());
        return e.code() == LibvirtException.VIR_ERR_NO_CONNECT
                || e.code() == LibvirtException.VIR_ERR_RPC
                || (e.code() == LibvirtException.VIR_ERR_SYSTEM_ERROR
                                || e.code() == LibvirtException.VIR_ERR_INTERNAL_ERROR)
                        && (m.contains("Broken pipe")
                                || m.contains("Cannot write data")
                                || m.contains("Cannot recv data")
                                || m.contains("client socket is closed")
                                || m.contains("End of file while reading data"));
    }

    private <T> T once(DomainCall<T> call) throws LibvirtException, VmException {
        VirDomain d = connection
                .lookupByUuid(uuid)
                .orElseThrow(() -> new VmException(
                        VmException.Code.NOT_FOUND,
                        "domain '" + name + "' (" + uuid + ") no longer exists on " + connection.uri()));
        try (d) {
            return call.apply(d);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String uuid() {
        return uuid;
    }

    @Override
    public State state() throws VmException {
        int s = with(VirDomain::state);
        return switch (s) {
            case VirDomain.STATE_RUNNING, VirDomain.STATE_BLOCKED -> State.RUNNING;
            case VirDomain.STATE_PAUSED, VirDomain.STATE_PMSUSPENDED -> State.PAUSED;
            case VirDomain.STATE_SHUTOFF -> State.SHUTOFF;
            default -> State.OTHER;
        };
    }

    @Override
    public String xml(boolean inactive) throws VmException {
        return with(d -> d.xmlDesc(inactive ? VirDomain.XML_INACTIVE : 0));
    }

    @Override
    public List<VmDisk> disks() throws VmException {
        return DomainXml.disks(xml(false));
    }

    @Override
    public GuestAgent agent() {
        return new LibvirtGuestAgent(this);
    }

    /** Checkpoint names, oldest first: by creationTime, ties in libvirt's topological order. */
    @Override
    public List<String> checkpoints() throws VmException {
        List<CheckpointXml> list = with(d -> {
            List<CheckpointXml> out = new ArrayList<>();
            for (VirDomain.Described c :
                    d.checkpoints(VirDomain.CHECKPOINT_LIST_TOPOLOGICAL, VirDomain.CHECKPOINT_XML_NO_DOMAIN)) {
                out.add(CheckpointXml.parse(c.xml()));
            }
            return out;
        });
        return list.stream()
                .sorted(Comparator.comparing(CheckpointXml::created, Comparator.nullsLast(Comparator.naturalOrder())))
                .map(CheckpointXml::name)
                .toList();
    }

    @Override
    public void deleteCheckpoint(String checkpoint) throws VmException {
        Objects.requireNonNull(checkpoint, "checkpoint");
        with(d -> {
            d.deleteCheckpoint(checkpoint, 0);
            return null;
        });
    }

    @Override
    public BackupSession beginBackup(
            List<String> disks, Path socket, Path scratchDir, String newCheckpoint, String incrementalFrom)
            throws VmException {
        if (disks == null || disks.isEmpty())
            throw new IllegalArgumentException("disks must name at least one disk target, got " + disks);
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(scratchDir, "scratchDir");
        Map<String, Boolean> plan = new LinkedHashMap<>();
        List<VmDisk> all = disks();
        for (VmDisk disk : all) plan.put(disk.target(), disks.contains(disk.target()));
        for (String wanted : disks) {
            VmDisk disk = all.stream()
                    .filter(x -> x.target().equals(wanted))
                    .findFirst()
                    .orElseThrow(() -> new VmException(
                            VmException.Code.BACKUP_FAILED,
                            "disk '" + wanted + "' is not a disk of domain '" + name + "' (disks: "
                                    + all.stream().map(VmDisk::target).toList() + ")"));
            if (!disk.included()) {
                throw new VmException(
                        VmException.Code.BACKUP_FAILED,
                        "disk '" + wanted + "' of domain '" + name + "' cannot be backed up: " + disk.skipReason());
            }
        }
        Path socketDir = socket.toAbsolutePath().getParent();
        access.prepare(socketDir, "NBD socket");
        access.prepare(scratchDir, "scratch");
        List<Path> scratch = BackupXml.scratchFiles(scratchDir, disks);
        try {
            Files.deleteIfExists(socket);
            for (Path p : scratch) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new VmException(VmException.Code.BACKUP_FAILED, "cannot remove stale backup file: " + e, e);
        }
        String backupXml =
                BackupXml.backup(plan, socket.toAbsolutePath(), scratchDir.toAbsolutePath(), incrementalFrom);
        String checkpointXml = newCheckpoint == null ? null : BackupXml.checkpoint(newCheckpoint, plan);
        try {
            with(d -> {
                d.backupBegin(backupXml, checkpointXml);
                return null;
            });
        } catch (VmException e) {
            VmException.Code code = e.getCause() instanceof LibvirtException le
                    ? VmErrors.code(le, VmException.Code.BACKUP_FAILED)
                    : e.code();
            if (incrementalFrom != null && code == VmException.Code.NOT_FOUND)
                code = VmException.Code.CHECKPOINT_INVALID;
            String what = incrementalFrom == null ? "full" : "incremental (from checkpoint '" + incrementalFrom + "')";
            throw new VmException(
                    code,
                    "cannot begin " + what + " pull backup of domain '" + name + "' disks " + disks
                            + (newCheckpoint == null
                                    ? " without a checkpoint"
                                    : " with new checkpoint '" + newCheckpoint + "'")
                            + ": " + e.getMessage(),
                    e);
        }
        return new LibvirtBackupSession(this, socket, disks, scratch, incrementalFrom != null);
    }

    @Override
    public Optional<Path> activeBackupSocket() throws VmException {
        return with(d -> {
            try {
                return Optional.ofNullable(BackupXml.serverSocket(d.backupXmlDesc()))
                        .map(Path::of);
            } catch (LibvirtException e) {
                // no backup job (VIR_ERR_NO_DOMAIN_BACKUP), or the domain is not running
                if (e.code() == LibvirtException.VIR_ERR_NO_DOMAIN_BACKUP
                        || e.code() == LibvirtException.VIR_ERR_OPERATION_INVALID) return Optional.<Path>empty();
                throw e;
            }
        });
    }

    /**
     * Aborts the domain's active job ({@code virDomainAbortJob}: a pull backup ends, its checkpoint
     * stays) and waits until no job is active. libvirt 9.0 has no "backup end". Nothing to do when
     * no job runs or the domain is gone.
     */
    @Override
    public void abortJob() throws VmException {
        try {
            with(d -> {
                try {
                    d.abortJob();
                } catch (LibvirtException e) {
                    if (e.code() != LibvirtException.VIR_ERR_OPERATION_INVALID)
                        throw e; // no active job / not running: ended already
                }
                waitForNoJob(d);
                return null;
            });
        } catch (VmException e) {
            if (e.code() == VmException.Code.NOT_FOUND) return; // domain gone: so is its job
            throw new VmException(
                    VmException.Code.BACKUP_FAILED, "cannot end the backup job of " + this + ": " + e.getMessage(), e);
        }
    }

    private void waitForNoJob(VirDomain d) throws LibvirtException, VmException {
        long deadline = System.nanoTime() + JOB_END_TIMEOUT.toNanos();
        while (true) {
            int type;
            try {
                type = d.jobType();
            } catch (LibvirtException e) {
                if (e.code() == LibvirtException.VIR_ERR_OPERATION_INVALID) return; // domain not running
                throw e;
            }
            if (type != VirDomain.JOB_BOUNDED && type != VirDomain.JOB_UNBOUNDED) return;
            if (System.nanoTime() > deadline) {
                throw new VmException(
                        VmException.Code.BACKUP_FAILED,
                        "backup job of " + this + " still active " + JOB_END_TIMEOUT.toSeconds()
                                + " s after virDomainAbortJob");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException(
                        VmException.Code.BACKUP_FAILED,
                        "interrupted while waiting for the backup job of " + this + " to end");
            }
        }
    }

    @Override
    public void blockPull(String disk) throws VmException {
        with(d -> {
            d.blockPull(disk);
            return null;
        });
    }

    @Override
    public Optional<BlockJob> blockJob(String disk) throws VmException {
        return with(d -> {
            VirDomain.BlockJobInfo info = d.blockJobInfo(disk);
            return info == null ? Optional.<BlockJob>empty() : Optional.of(new BlockJob(info.cur(), info.end()));
        });
    }

    /** Screenshots larger than this are refused (a 4K PPM is 25 MiB). */
    static final int SCREENSHOT_MAX_BYTES = 64 << 20;

    @Override
    public Screenshot screenshot() throws VmException {
        return with(d -> {
            VirDomain.Screenshot s = d.screenshot(0, SCREENSHOT_MAX_BYTES);
            return new Screenshot(s.mimeType(), s.data());
        });
    }

    @Override
    public List<dev.stillpoint.engine.vm.VmSnapshot> snapshots() throws VmException {
        Map<String, String> sources = new LinkedHashMap<>();
        for (VmDisk disk : disks()) if (disk.source() != null) sources.put(disk.target(), disk.source());
        return with(d -> {
            String current = d.currentSnapshot();
            List<dev.stillpoint.engine.vm.VmSnapshot> out = new ArrayList<>();
            for (VirDomain.Described s : d.snapshots(VirDomain.SNAPSHOT_LIST_TOPOLOGICAL, 0))
                out.add(SnapshotXml.parse(s.xml(), s.name().equals(current), sources));
            return out;
        });
    }

    @Override
    public void createSnapshot(dev.stillpoint.engine.vm.SnapshotRequest request) throws VmException {
        String xml = SnapshotXml.create(request, disks());
        if (request.external()) {
            for (Path overlay : request.overlays().values()) {
                if (Files.exists(overlay))
                    throw new VmException(
                            VmException.Code.OPERATION_FAILED, "overlay file " + overlay + " already exists");
                access.prepare(overlay.toAbsolutePath().getParent(), "snapshot overlay");
            }
        }
        int flags = request.external() ? VirDomain.SNAPSHOT_CREATE_DISK_ONLY | VirDomain.SNAPSHOT_CREATE_ATOMIC : 0;
        with(d -> {
            d.createSnapshot(xml, flags);
            return null;
        });
    }

    @Override
    public void updateSnapshotDescription(String snapshot, String description) throws VmException {
        with(d -> {
            String xml = SnapshotXml.withDescription(d.snapshotXml(snapshot, VirDomain.XML_SECURE), description);
            boolean current = snapshot.equals(d.currentSnapshot());
            d.createSnapshot(
                    xml, VirDomain.SNAPSHOT_CREATE_REDEFINE | (current ? VirDomain.SNAPSHOT_CREATE_CURRENT : 0));
            return null;
        });
    }

    @Override
    public void revertToSnapshot(String snapshot, State after) throws VmException {
        int flags = after == null
                ? 0
                : switch (after) {
                    case RUNNING -> VirDomain.SNAPSHOT_REVERT_RUNNING;
                    case PAUSED -> VirDomain.SNAPSHOT_REVERT_PAUSED;
                    default ->
                        throw new IllegalArgumentException("after must be RUNNING, PAUSED or null, got " + after);
                };
        with(d -> {
            d.revertToSnapshot(snapshot, flags);
            return null;
        });
    }

    /**
     * Deletes a snapshot. An external one: libvirt 9.0 commits the overlay into its own backing
     * image only (never the whole chain) and removes the file; this checks the chain before and
     * after, so that a libvirt that did anything else is reported, not trusted.
     */
    @Override
    public void deleteSnapshot(String snapshot) throws VmException {
        dev.stillpoint.engine.vm.VmSnapshot snap = snapshots().stream()
                .filter(s -> s.name().equals(snapshot))
                .findFirst()
                .orElseThrow(() -> new VmException(
                        VmException.Code.SNAPSHOT_NOT_FOUND,
                        "domain '" + name + "' has no snapshot '" + snapshot + "'"));
        Map<String, List<String>> expected = new LinkedHashMap<>();
        String before = xml(false);
        for (dev.stillpoint.engine.vm.VmSnapshot.Disk disk : snap.disks()) {
            if (!"external".equals(disk.mode())) continue;
            List<String> chain = new ArrayList<>(SnapshotXml.chain(before, disk.target()));
            if (!chain.remove(disk.file()))
                throw new VmException(
                        VmException.Code.OPERATION_FAILED,
                        "overlay " + disk.file() + " of snapshot '" + snapshot + "' is not in the image chain of disk "
                                + disk.target() + " " + SnapshotXml.chain(before, disk.target())
                                + "; refusing to delete (nothing to merge it into safely)");
            expected.put(disk.target(), chain);
        }
        with(d -> {
            d.deleteSnapshot(snapshot, 0);
            return null;
        });
        String after = xml(false);
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            List<String> chain = SnapshotXml.chain(after, e.getKey());
            // an inactive definition may not list the backing chain: then only the overlay must be gone
            boolean ok = e.getValue().isEmpty()
                    ? !chain.isEmpty()
                            && chain.stream()
                                    .noneMatch(f -> snap.disks().stream()
                                            .anyMatch(x -> f.equals(x.file()) && "external".equals(x.mode())))
                    : chain.equals(e.getValue());
            if (!ok)
                throw new VmException(
                        VmException.Code.OPERATION_FAILED,
                        "after deleting snapshot '" + snapshot + "' disk " + e.getKey() + " has image chain " + chain
                                + ", expected " + e.getValue()
                                + " (its overlay merged into its own backing image only)");
        }
    }

    @Override
    public List<Leftover> leftovers() throws VmException {
        return with(d -> {
            List<Leftover> out = new ArrayList<>();
            for (VirDomain.Described s : d.snapshots(VirDomain.SNAPSHOT_LIST_TOPOLOGICAL, 0))
                out.addAll(snapshotLeftovers(s.xml()));
            List<VirDomain.Described> cps;
            try {
                cps = d.checkpoints(
                        VirDomain.CHECKPOINT_LIST_TOPOLOGICAL,
                        VirDomain.CHECKPOINT_XML_NO_DOMAIN | VirDomain.CHECKPOINT_XML_SIZE);
            } catch (LibvirtException e) { // sizes need a running domain
                cps = d.checkpoints(VirDomain.CHECKPOINT_LIST_TOPOLOGICAL, VirDomain.CHECKPOINT_XML_NO_DOMAIN);
            }
            for (VirDomain.Described c : cps) {
                CheckpointXml cp = CheckpointXml.parse(c.xml());
                out.add(new Leftover("checkpoint", cp.name(), null, cp.sizeBytes(), cp.created()));
            }
            return out;
        });
    }

    /* <domainsnapshot><name/><creationTime/><memory snapshot='internal|external|no'/>
    <disks><disk name='vda' snapshot='internal|external|no' type='file'><source file='...'/></disk></disks> */
    static List<Leftover> snapshotLeftovers(String xml) {
        Element root = Xml.parse(xml, "snapshot XML");
        CheckpointXml meta = CheckpointXml.parse(xml);
        List<Leftover> out = new ArrayList<>();
        boolean internal = "internal".equals(Xml.attr(Xml.child(root, "memory"), "snapshot"));
        for (Element disk : Xml.children(Xml.child(root, "disks"), "disk")) {
            String mode = Xml.attr(disk, "snapshot");
            if ("external".equals(mode)) {
                String file = Xml.attr(Xml.child(disk, "source"), "file");
                out.add(new Leftover(
                        "external-snapshot",
                        meta.name() + ":" + Xml.attr(disk, "name"),
                        file,
                        fileSize(file),
                        meta.created()));
            } else if ("internal".equals(mode)) {
                internal = true;
            }
        }
        if (internal || out.isEmpty())
            out.add(0, new Leftover("internal-snapshot", meta.name(), null, -1, meta.created()));
        return out;
    }

    private static long fileSize(String file) {
        try {
            return file == null ? -1 : Files.size(Path.of(file));
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void start() throws VmException {
        with(d -> {
            d.create();
            return null;
        });
    }

    @Override
    public void destroy() throws VmException {
        with(d -> {
            d.destroy();
            return null;
        });
    }

    @Override
    public void undefine() throws VmException {
        with(d -> {
            d.undefine(UNDEFINE_FLAGS);
            return null;
        });
    }

    @Override
    public String toString() {
        return "domain '" + name + "' (" + uuid + ")";
    }

    static Instant now() {
        return Instant.now();
    }
}
