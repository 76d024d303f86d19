package dev.stillpoint.engine.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.fakes.FakeDomain;
import dev.stillpoint.engine.restore.RestoreFormat;
import dev.stillpoint.engine.restore.RestoreJob;
import dev.stillpoint.engine.restore.RestoredDisk;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shut-off domain's qcow2 backed up through the real qemu-nbd, the Java NBD client and the
 * file repository, then restored as qcow2 and compared with qemu-img.
 */
class OfflineBackupIT {
    @TempDir
    Path tmp;

    @Test
    void shutOffDomainIsReadThroughQemuNbdAndRestoresIdentically() throws Exception {
        HostPrograms.require("qemu-img", "qemu-nbd", "qemu-io");
        Path image = tmp.resolve("sp-engine-off-vda.qcow2");
        HostPrograms.qcow2(image, "64M", "write -P 0x11 0 1M", "write -P 0x22 10M 3M", "write -P 0x33 63M 64k");

        FakeDomain domain = new FakeDomain("sp-engine-off", "6f1c2d3e-0000-4000-8000-0000000000ff") {
            @Override
            public List<VmDisk> disks() {
                return List.of(
                        new VmDisk("vda", image.toString(), "qcow2", null), new VmDisk("sda", null, "raw", "cdrom"));
            }
        };
        domain.state = VmDomain.State.SHUTOFF;
        Path repoDir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(repoDir, RepositoryOptions.unencrypted());
                Catalog catalog = Catalog.open(Catalog.defaultPath(repoDir))) {
            BackupResult r = BackupJob.builder()
                    .domain(domain)
                    .repository(repo)
                    .catalog(catalog)
                    .blockSources(BlockSourceOpener.nbd())
                    .options(BackupOptions.defaults().withWorkDir(tmp.resolve("work")))
                    .build()
                    .run();
            BackupRecord rec = r.record();
            assertThat(rec.consistency().label()).isEqualTo("clean-shutdown");
            assertThat(rec.diskSize()).isEqualTo(64L << 20);
            // only the allocated clusters are read (qcow2 clusters of 64 KiB)
            assertThat(rec.bytesRead()).isBetween((4L << 20) + (64 << 10), (5L << 20));
            assertThat(tmp.resolve("work")).isEmptyDirectory();

            List<RestoredDisk> out = RestoreJob.create(
                            repo, catalog.find(rec.id()), tmp.resolve("restored"), null, RestoreFormat.QCOW2, null)
                    .run();
            HostPrograms.run(
                    "qemu-img",
                    "compare",
                    "-f",
                    "qcow2",
                    "-F",
                    "qcow2",
                    image.toString(),
                    out.getFirst().file().toString());
        }
    }

    /**
     * A qcow2 with a persistent bitmap named like the previous backup's checkpoint: the offline
     * backup reads only its dirty extents through the real qemu-nbd -B; after an unclean stop of a
     * writer (bitmap left in-use) qemu-nbd refuses it and the backup falls back to a full read.
     */
    @Test
    void persistentBitmapGivesAnOfflineIncrementalAndAnInUseBitmapFallsBackToFull() throws Exception {
        HostPrograms.require("qemu-img", "qemu-nbd", "qemu-io");
        Path image = tmp.resolve("sp-engine-offinc-vda.qcow2");
        HostPrograms.qcow2(image, "64M", "write -P 0x11 0 8M");
        FakeDomain domain = new FakeDomain("sp-engine-offinc", "6f1c2d3e-0000-4000-8000-0000000000fe") {
            @Override
            public List<VmDisk> disks() {
                return List.of(new VmDisk("vda", image.toString(), "qcow2", null));
            }
        };
        domain.state = VmDomain.State.SHUTOFF;
        domain.checkpoints.add("stillpoint-cp1");
        Path repoDir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(repoDir, RepositoryOptions.unencrypted());
                Catalog catalog = Catalog.open(Catalog.defaultPath(repoDir))) {
            BackupJob.Builder job = BackupJob.builder()
                    .domain(domain)
                    .repository(repo)
                    .catalog(catalog)
                    .blockSources(BlockSourceOpener.nbd())
                    .options(BackupOptions.defaults().withWorkDir(tmp.resolve("work")));
            BackupRecord base = job.build().run().record();
            // pretend it was an online backup that created checkpoint stillpoint-cp1 (libvirt: bitmap of that name)
            catalog.insert(BackupRecord.builder(
                            "0123456789abcdef", base.vmName(), base.startedAt().plusSeconds(1))
                    .vmUuid(base.vmUuid())
                    .finishedAt(base.finishedAt().plusSeconds(1))
                    .status(BackupRecord.Status.COMPLETE)
                    .mode(BackupRecord.Mode.FULL)
                    .consistency(dev.stillpoint.engine.catalog.Consistency.FILESYSTEM)
                    .checkpoint("stillpoint-cp1")
                    .domainXml(base.domainXml())
                    .bytes(base.bytesRead(), 0, base.diskSize())
                    .disks(base.disks())
                    .build());
            HostPrograms.run("qemu-img", "bitmap", "--add", image.toString(), "stillpoint-cp1");
            HostPrograms.qemuIo(image, "write -P 0x22 20M 1M", "write -P 0x33 1M 64k");

            BackupRecord inc = job.build().run().record();
            assertThat(inc.mode().label()).isEqualTo("incremental");
            assertThat(inc.checkpoint()).isEqualTo("stillpoint-cp1");
            assertThat(inc.parentBackup()).isEqualTo("0123456789abcdef");
            assertThat(inc.bytesRead()).isEqualTo((1L << 20) + (64 << 10));
            assertThat(inc.warnings()).isEmpty();
            List<RestoredDisk> out = RestoreJob.create(
                            repo, catalog.find(inc.id()), tmp.resolve("restored-inc"), null, RestoreFormat.QCOW2, null)
                    .run();
            HostPrograms.run(
                    "qemu-img",
                    "compare",
                    "-f",
                    "qcow2",
                    "-F",
                    "qcow2",
                    image.toString(),
                    out.getFirst().file().toString());

            // a writer killed while it had the image open leaves the bitmap in-use (as after a guest crash)
            Process writer = new ProcessBuilder(
                            "qemu-nbd",
                            "--persistent",
                            "--format=qcow2",
                            "--socket=" + tmp.resolve("w.sock"),
                            image.toString())
                    .start();
            try {
                for (int i = 0; i < 500 && !java.nio.file.Files.exists(tmp.resolve("w.sock")); i++) Thread.sleep(10);
                // kill only once qemu has marked the bitmap in-use in the image (a kill in the middle of
                // that header update leaves no bitmap at all: a different case)
                for (int i = 0;
                        i < 500
                                && !HostPrograms.run("qemu-img", "info", "-U", image.toString())
                                        .contains("in-use");
                        i++) {
                    Thread.sleep(10);
                }
            } finally {
                writer.destroyForcibly().waitFor();
            }
            assertThat(HostPrograms.run("qemu-img", "info", image.toString())).contains("in-use");

            BackupRecord fallback = job.build().run().record();
            assertThat(fallback.mode().label()).isEqualTo("full");
            assertThat(fallback.checkpoint()).isNull();
            assertThat(fallback.bytesRead()).isGreaterThanOrEqualTo(9L << 20);
            assertThat(fallback.warnings())
                    .as("qemu-nbd's reason is in the warning")
                    .anyMatch(w -> w.startsWith("bitmap-unusable")
                            && w.contains("stillpoint-cp1")
                            && w.contains("inconsistent"));
            assertThat(tmp.resolve("work")).isEmptyDirectory();
        }
    }
}
