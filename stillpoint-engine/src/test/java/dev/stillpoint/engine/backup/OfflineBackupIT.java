package dev.stillpoint.engine.backup;

import dev.stillpoint.testkit.HostPrograms;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shut-off domain's qcow2 backed up through the real qemu-nbd, the Java NBD client and the
 * file repository, then restored as qcow2 and compared with qemu-img.
 */
class OfflineBackupIT {
    @TempDir Path tmp;

    @Test
    void shutOffDomainIsReadThroughQemuNbdAndRestoresIdentically() throws Exception {
        HostPrograms.require("qemu-img");
        HostPrograms.require("qemu-nbd");
        HostPrograms.require("qemu-io");
        Path image = tmp.resolve("sp-engine-off-vda.qcow2");
        HostPrograms.run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "64M");
        HostPrograms.run("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x22 10M 3M",
                "-c", "write -P 0x33 63M 64k", image.toString());

        FakeDomain domain = new FakeDomain("sp-engine-off", "6f1c2d3e-0000-4000-8000-0000000000ff") {
            @Override public List<VmDisk> disks() {
                return List.of(new VmDisk("vda", image.toString(), "qcow2", null),
                        new VmDisk("sda", null, "raw", "cdrom"));
            }
        };
        domain.state = VmDomain.State.SHUTOFF;
        Path repoDir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(repoDir, RepositoryOptions.unencrypted());
             Catalog catalog = Catalog.open(Catalog.defaultPath(repoDir))) {
            BackupResult r = BackupJob.builder().domain(domain).repository(repo).catalog(catalog)
                    .blockSources(BlockSourceOpener.nbd()).options(BackupOptions.defaults().withWorkDir(tmp.resolve("work")))
                    .build().run();
            BackupRecord rec = r.record();
            assertThat(rec.consistency()).isEqualTo("clean-shutdown");
            assertThat(rec.diskSize()).isEqualTo(64L << 20);
            // only the allocated clusters are read (qcow2 clusters of 64 KiB)
            assertThat(rec.bytesRead()).isBetween((4L << 20) + (64 << 10), (5L << 20));
            assertThat(tmp.resolve("work")).isEmptyDirectory();

            List<RestoredDisk> out = RestoreJob.create(repo, catalog.find(rec.id()), tmp.resolve("restored"), null,
                    RestoreFormat.QCOW2, null).run();
            HostPrograms.run("qemu-img", "compare", "-f", "qcow2", "-F", "qcow2", image.toString(), out.getFirst().file().toString());
        }
    }
}
