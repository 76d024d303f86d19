package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A running pull-mode backup. libvirt 9.0 has no "backup end": {@link #close()} aborts the job
 * ({@code virDomainAbortJob}; the checkpoint stays), waits until no job is active, then removes
 * the socket and scratch files if QEMU left them. Idempotent.
 */
final class LibvirtBackupSession implements VmDomain.BackupSession {
    private final LibvirtDomain domain;
    private final Path socket;
    private final List<String> disks;
    private final List<Path> scratchFiles;
    private final boolean incremental;
    private boolean closed;

    LibvirtBackupSession(
            LibvirtDomain domain, Path socket, List<String> disks, List<Path> scratchFiles, boolean incremental) {
        this.domain = domain;
        this.socket = socket;
        this.disks = List.copyOf(disks);
        this.scratchFiles = List.copyOf(scratchFiles);
        this.incremental = incremental;
    }

    @Override
    public Path socket() {
        return socket;
    }

    @Override
    public String exportName(String disk) {
        requireDisk(disk);
        return disk;
    }

    @Override
    public String dirtyBitmapContext(String disk) {
        requireDisk(disk);
        return incremental ? BackupXml.dirtyBitmapContext(disk) : null;
    }

    @Override
    public synchronized void close() throws VmException {
        if (closed) return;
        closed = true;
        try {
            domain.abortJob();
        } finally {
            removeFiles();
        }
    }

    private void removeFiles() {
        try {
            Files.deleteIfExists(socket);
            for (Path p : scratchFiles) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: QEMU normally removes both itself
        }
    }

    private void requireDisk(String disk) {
        if (!disks.contains(disk))
            throw new IllegalArgumentException("disk '" + disk + "' is not part of this backup (disks: " + disks + ")");
    }
}
