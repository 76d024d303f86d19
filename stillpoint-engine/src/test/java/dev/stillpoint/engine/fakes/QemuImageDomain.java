package dev.stillpoint.engine.fakes;

import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A "running" domain made of one real qcow2 file, with checkpoints as persistent qcow2 bitmaps:
 * beginBackup adds the new bitmap and serves the image with {@code qemu-nbd --read-only -B
 * PREVIOUS}, so the job talks real NBD with real {@code qemu:dirty-bitmap:*} extents. The
 * guest writes with {@code qemu-io} between backups.
 */
public final class QemuImageDomain implements VmDomain {
    public final String name;
    public final Path image;
    public final FakeAgent agent = new FakeAgent();
    public final List<String> checkpoints = new ArrayList<>();
    private Process nbd;

    public QemuImageDomain(String name, Path image) {
        this.name = name;
        this.image = image;
    }

    public static String run(String... cmd) throws IOException {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** The guest writes {@code len} bytes of {@code pattern} at {@code offset}. */
    public void guestWrite(long offset, long len, int pattern) throws IOException {
        run("qemu-io", "-f", "qcow2", "-c", "write -P " + pattern + " " + offset + " " + len, image.toString());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String uuid() {
        return "6f1c2d3e-0000-4000-8000-00000000abcd";
    }

    @Override
    public State state() {
        return State.RUNNING;
    }

    @Override
    public String xml(boolean inactive) {
        return "<domain type='qemu'><name>" + name + "</name><devices><disk type='file' device='disk'>"
                + "<driver name='qemu' type='qcow2'/><source file='" + image
                + "'/><target dev='vda'/></disk></devices></domain>";
    }

    @Override
    public List<VmDisk> disks() {
        return List.of(new VmDisk("vda", image.toString(), "qcow2", null));
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
        try {
            run("qemu-img", "bitmap", "--remove", image.toString(), cp);
            checkpoints.remove(cp);
        } catch (IOException e) {
            throw new VmException(VmException.Code.OPERATION_FAILED, e.getMessage(), e);
        }
    }

    @Override
    public BackupSession beginBackup(
            List<String> disks, Path socket, Path scratchDir, String newCheckpoint, String incrementalFrom)
            throws VmException {
        try {
            if (incrementalFrom != null && !checkpoints.contains(incrementalFrom)) {
                throw new VmException(VmException.Code.CHECKPOINT_INVALID, "no checkpoint " + incrementalFrom);
            }
            // the point in time: a copy of the image (as QEMU's backup job keeps the old data in scratch)
            Path pit = scratchDir.resolve("pit.qcow2");
            Files.copy(image, pit);
            run("qemu-img", "bitmap", "--add", image.toString(), newCheckpoint);
            checkpoints.add(newCheckpoint);
            List<String> cmd = new ArrayList<>(List.of(
                    "qemu-nbd",
                    "--read-only",
                    "--persistent",
                    "--socket=" + socket,
                    "--export-name=vda",
                    "--format=qcow2"));
            if (incrementalFrom != null) cmd.add("--bitmap=" + incrementalFrom);
            cmd.add(pit.toString());
            nbd = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(scratchDir.resolve("nbd.log").toFile())
                    .start();
            long deadline = System.currentTimeMillis() + 10_000;
            while (!Files.exists(socket)) {
                if (!nbd.isAlive() || System.currentTimeMillis() > deadline) {
                    nbd.destroyForcibly();
                    throw new VmException(
                            VmException.Code.BACKUP_FAILED,
                            "qemu-nbd did not start: " + Files.readString(scratchDir.resolve("nbd.log")));
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            throw new VmException(VmException.Code.BACKUP_FAILED, e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmException(VmException.Code.BACKUP_FAILED, "interrupted");
        }
        Process p = nbd;
        return new BackupSession() {
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
                return incrementalFrom == null ? null : "qemu:dirty-bitmap:" + incrementalFrom;
            }

            @Override
            public void close() {
                p.destroy();
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    @Override
    public java.util.Optional<Path> activeBackupSocket() {
        return java.util.Optional.empty();
    }

    @Override
    public void abortJob() {}

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
        return List.of();
    }

    @Override
    public void start() {}

    @Override
    public void destroy() {}

    @Override
    public void undefine() {}
}
