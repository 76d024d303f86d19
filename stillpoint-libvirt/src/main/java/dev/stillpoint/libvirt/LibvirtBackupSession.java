package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.libvirt.ffi.LibvirtException;
import dev.stillpoint.libvirt.ffi.VirDomain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A running pull-mode backup. libvirt 9.0 has no "backup end": {@link #close()} aborts the job
 * ({@code virDomainAbortJob}; the checkpoint stays), waits until no job is active, then removes
 * the socket and scratch files if QEMU left them. Idempotent.
 */
final class LibvirtBackupSession implements VmDomain.BackupSession {
    static final Duration END_TIMEOUT = Duration.ofSeconds(30);

    private final LibvirtDomain domain;
    private final Path socket;
    private final List<String> disks;
    private final List<Path> scratchFiles;
    private final boolean incremental;
    private boolean closed;

    LibvirtBackupSession(LibvirtDomain domain, Path socket, List<String> disks, List<Path> scratchFiles, boolean incremental) {
        this.domain = domain;
        this.socket = socket;
        this.disks = List.copyOf(disks);
        this.scratchFiles = List.copyOf(scratchFiles);
        this.incremental = incremental;
    }

    @Override public Path socket() { return socket; }

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
            endJob();
        } finally {
            removeFiles();
        }
    }

    private void endJob() throws VmException {
        try {
            domain.with(d -> {
                try {
                    d.abortJob();
                } catch (LibvirtException e) {
                    if (e.code() != LibvirtException.VIR_ERR_OPERATION_INVALID) throw e; // no active job / not running: ended already
                }
                waitForNoJob(d);
                return null;
            });
        } catch (VmException e) {
            if (e.code() == VmException.Code.NOT_FOUND) return; // domain gone: so is its job
            throw new VmException(VmException.Code.BACKUP_FAILED, "cannot end the backup job of " + domain + ": " + e.getMessage(), e);
        }
    }

    private void waitForNoJob(VirDomain d) throws LibvirtException, VmException {
        long deadline = System.nanoTime() + END_TIMEOUT.toNanos();
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
                throw new VmException(VmException.Code.BACKUP_FAILED, "backup job of " + domain + " still active "
                        + END_TIMEOUT.toSeconds() + " s after virDomainAbortJob");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException(VmException.Code.BACKUP_FAILED, "interrupted while waiting for the backup job of " + domain + " to end");
            }
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
        if (!disks.contains(disk)) throw new IllegalArgumentException("disk '" + disk + "' is not part of this backup (disks: " + disks + ")");
    }
}
