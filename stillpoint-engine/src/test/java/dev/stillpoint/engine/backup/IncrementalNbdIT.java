package dev.stillpoint.engine.backup;

import static dev.stillpoint.engine.fakes.QemuImageDomain.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.fakes.QemuImageDomain;
import dev.stillpoint.engine.restore.RestoreFormat;
import dev.stillpoint.engine.restore.RestoreJob;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full then incremental through real qemu-nbd dirty bitmaps, the Java NBD client and the
 * encrypted file repository: the incremental reads about the dirty bytes, and both points
 * restore on their own to exactly the image as it was.
 */
class IncrementalNbdIT {
    @TempDir
    Path tmp;

    @Test
    void incrementalReadsTheDirtyBytesAndEveryPointRestoresAlone() throws Exception {
        HostPrograms.require("qemu-img");
        HostPrograms.require("qemu-nbd");
        HostPrograms.require("qemu-io");
        Path image = tmp.resolve("sp-engine-inc-vda.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "128M");
        QemuImageDomain domain = new QemuImageDomain("sp-engine-inc", image);
        domain.guestWrite(0, 8L << 20, 0x11);
        domain.guestWrite(100L << 20, 4L << 20, 0x22);

        Path repoDir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(
                        repoDir, RepositoryOptions.encrypted("pw".toCharArray()).withKdf(8 * 1024, 1));
                Catalog catalog = Catalog.open(Catalog.defaultPath(repoDir))) {
            BackupJob.Builder b = BackupJob.builder()
                    .domain(domain)
                    .repository(repo)
                    .catalog(catalog)
                    .blockSources(BlockSourceOpener.nbd())
                    .options(BackupOptions.defaults().withWorkDir(tmp.resolve("w")));

            BackupRecord full = b.build().run().record();
            Path atFull = tmp.resolve("at-full.qcow2");
            Files.copy(image, atFull);
            assertThat(full.mode().label()).isEqualTo("full");
            assertThat(full.bytesRead()).isEqualTo(12L << 20);

            // guest writes 1 MiB + 192 KiB (3 clusters) + rewrites 64 KiB inside the first range
            domain.guestWrite(50L << 20, 1L << 20, 0x33);
            domain.guestWrite(120L << 20, 192L << 10, 0x44);
            domain.guestWrite(1L << 20, 64L << 10, 0x55);
            long dirty = (1L << 20) + (192L << 10) + (64L << 10);

            BackupRecord inc = b.build().run().record();
            assertThat(inc.mode().label()).isEqualTo("incremental");
            assertThat(inc.bytesRead())
                    .as("incremental reads the dirty bytes, not the disk")
                    .isEqualTo(dirty);
            assertThat(domain.checkpoints()).containsExactly(inc.checkpoint());

            Path r1 = RestoreJob.create(repo, full, tmp.resolve("r"), "full", RestoreFormat.QCOW2, null)
                    .run()
                    .getFirst()
                    .file();
            Path r2 = RestoreJob.create(repo, inc, tmp.resolve("r"), "inc", RestoreFormat.RAW, null)
                    .run()
                    .getFirst()
                    .file();
            run("qemu-img", "compare", "-f", "qcow2", "-F", "qcow2", atFull.toString(), r1.toString());
            run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", image.toString(), r2.toString());
        }
        assertThat(tmp.resolve("w")).isEmptyDirectory();
    }
}
