package dev.stillpoint.engine.fakes;

import dev.stillpoint.engine.backup.BlockSource;
import dev.stillpoint.engine.backup.BlockSourceOpener;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A domain with libvirt's backup semantics in memory: checkpoints own dirty bitmaps on each
 * disk; beginBackup creates the checkpoint and serves point-in-time views of the disks.
 */
public class FakeDomain implements VmDomain {
    public final String name;
    public final String uuid;
    public State state = State.RUNNING;
    public final Map<String, FakeDisk> disks = new LinkedHashMap<>();
    public final List<VmDisk> skipped = new ArrayList<>();
    public final List<String> checkpoints = new ArrayList<>();
    /** Disk target to driver format ({@code qcow2} when absent). */
    public final Map<String, String> formats = new LinkedHashMap<>();

    public final FakeAgent agent = new FakeAgent();
    public final List<String> events = new ArrayList<>();
    public VmException beginError;
    /** Ending a backup fails with this (libvirtd gone) and the job stays, when set. */
    public VmException closeError;
    /** Incremental begins fail (bitmap broken inside the qcow2) when true. */
    public boolean bitmapsBroken;

    public int sessionsOpen;
    public int sessionsClosed;
    public String lastIncrementalFrom;
    public int maxExtentsPerReply = 3;
    final Map<String, FakeDisk.Source> served = new LinkedHashMap<>();
    Path servedSocket;
    /** The socket of the running pull backup (libvirt keeps the job when its owner dies), or null. */
    public Path activeJobSocket;

    public FakeDomain(String name, String uuid) {
        this.name = name;
        this.uuid = uuid;
    }

    public FakeDisk addDisk(String target, int blocks) {
        FakeDisk d = new FakeDisk(blocks);
        disks.put(target, d);
        return d;
    }

    /** A checkpoint another tool made. */
    public void addForeignCheckpoint(String cp) {
        checkpoints.add(cp);
        disks.values().forEach(d -> d.addBitmap(cp));
    }

    public FakeDisk.Source served(String target) {
        return served.get(target);
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
    public State state() {
        return state;
    }

    @Override
    public String xml(boolean inactive) {
        StringBuilder sb =
                new StringBuilder("<domain type='qemu'><name>" + name + "</name><uuid>" + uuid + "</uuid><devices>");
        for (String t : disks.keySet()) {
            sb.append("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/images/")
                    .append(name)
                    .append('-')
                    .append(t)
                    .append(".qcow2'/><target dev='")
                    .append(t)
                    .append("'/></disk>");
        }
        return sb.append("</devices></domain>").toString();
    }

    @Override
    public List<VmDisk> disks() {
        List<VmDisk> out = new ArrayList<>();
        for (String t : disks.keySet())
            out.add(new VmDisk(t, "/images/" + name + "-" + t + ".qcow2", formats.getOrDefault(t, "qcow2"), null));
        out.addAll(skipped);
        return out;
    }

    @Override
    public GuestAgent agent() {
        return agent;
    }

    @Override
    public List<String> checkpoints() {
        return List.copyOf(checkpoints);
    }

    @Override
    public void deleteCheckpoint(String cp) throws VmException {
        if (!checkpoints.remove(cp)) throw new VmException(VmException.Code.NOT_FOUND, "no checkpoint " + cp);
        disks.values().forEach(d -> d.removeBitmap(cp));
        events.add("delete " + cp);
    }

    @Override
    public BackupSession beginBackup(
            List<String> targets, Path socket, Path scratchDir, String newCheckpoint, String incrementalFrom)
            throws VmException {
        events.add("begin " + newCheckpoint + (incrementalFrom == null ? "" : " from " + incrementalFrom)
                + (agent.frozen ? " frozen" : " thawed"));
        if (beginError != null) throw beginError;
        if (activeJobSocket != null) {
            throw new VmException(
                    VmException.Code.BACKUP_FAILED,
                    "Timed out during operation: cannot acquire state change"
                            + " lock (held by monitor=remoteDispatchDomainBackupBegin)");
        }
        if (incrementalFrom != null && (bitmapsBroken || !checkpoints.contains(incrementalFrom))) {
            throw new VmException(
                    VmException.Code.CHECKPOINT_INVALID,
                    "bitmap for checkpoint " + incrementalFrom + " missing in image");
        }
        if (newCheckpoint != null && checkpoints.contains(newCheckpoint)) {
            throw new VmException(VmException.Code.CHECKPOINT_INVALID, "checkpoint " + newCheckpoint + " exists");
        }
        served.clear();
        for (String t : targets) {
            FakeDisk d = disks.get(t);
            boolean[] dirty = incrementalFrom == null ? null : d.bitmap(incrementalFrom);
            served.put(
                    t,
                    d.open(
                            incrementalFrom == null ? null : "qemu:dirty-bitmap:backup-" + t,
                            dirty,
                            maxExtentsPerReply));
        }
        if (newCheckpoint != null) {
            checkpoints.add(newCheckpoint);
            disks.values().forEach(d -> d.addBitmap(newCheckpoint));
        }
        servedSocket = socket;
        activeJobSocket = socket;
        lastIncrementalFrom = incrementalFrom;
        sessionsOpen++;
        return new BackupSession() {
            boolean closed;

            @Override
            public Path socket() {
                return socket;
            }

            @Override
            public String exportName(String disk) {
                return disk;
            }

            @Override
            public String dirtyBitmapContext(String disk) {
                return incrementalFrom == null ? null : "qemu:dirty-bitmap:backup-" + disk;
            }

            @Override
            public void close() throws VmException {
                if (closeError != null) throw closeError;
                if (!closed) {
                    closed = true;
                    activeJobSocket = null;
                    sessionsClosed++;
                    events.add("end");
                }
            }
        };
    }

    /** Opens the views served by the current backup session (checks the socket). */
    public BlockSourceOpener opener() {
        return (socket, export, contexts) -> {
            if (!socket.equals(servedSocket)) throw new IOException("nothing listens on " + socket);
            BlockSource s = served.get(export);
            if (s == null) throw new IOException("no export " + export);
            return s;
        };
    }

    @Override
    public Optional<Path> activeBackupSocket() {
        return Optional.ofNullable(activeJobSocket);
    }

    @Override
    public void abortJob() {
        if (activeJobSocket != null) events.add("abort");
        activeJobSocket = null;
    }

    @Override
    public void blockPull(String disk) {
        throw new UnsupportedOperationException("no block jobs here");
    }

    @Override
    public java.util.Optional<BlockJob> blockJob(String disk) {
        return java.util.Optional.empty();
    }

    @Override
    public List<Leftover> leftovers() {
        List<Leftover> out = new ArrayList<>();
        for (String cp : checkpoints)
            out.add(new Leftover("checkpoint", cp, null, 0, Instant.parse("2026-01-01T00:00:00Z")));
        return out;
    }

    @Override
    public void start() {
        state = State.RUNNING;
    }

    @Override
    public void destroy() {
        state = State.SHUTOFF;
    }

    @Override
    public void undefine() {}
}
