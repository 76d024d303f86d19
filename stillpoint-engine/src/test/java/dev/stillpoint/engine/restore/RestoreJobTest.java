package dev.stillpoint.engine.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.backup.BackupJob;
import dev.stillpoint.engine.backup.BackupOptions;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.fakes.FakeDisk;
import dev.stillpoint.engine.fakes.FakeDomain;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoreJobTest {
    @TempDir
    Path tmp;

    @Test
    void everyRestorePointRestoresAloneAsSparseRaw() throws Exception {
        FakeDomain domain = new FakeDomain("sp-engine-r", "6f1c2d3e-0000-4000-8000-000000000003");
        FakeDisk vda = domain.addDisk("vda", 64);
        vda.write(FakeDisk.BLOCK, 1000, (byte) 1);
        InMemoryRepository repo = new InMemoryRepository();
        try (Catalog catalog = Catalog.open(tmp.resolve("c.db"))) {
            BackupJob.Builder b = BackupJob.builder()
                    .domain(domain)
                    .repository(repo)
                    .catalog(catalog)
                    .blockSources(domain.opener())
                    .options(BackupOptions.defaults().withWorkDir(tmp.resolve("w")));
            BackupRecord full = b.build().run().record();
            byte[] atFull = vda.data.clone();
            vda.write(30L * FakeDisk.BLOCK, 5000, (byte) 2);
            BackupRecord inc = b.build().run().record();
            assertThat(inc.mode().label()).isEqualTo("incremental");

            List<RestoredDisk> r1 = RestoreJob.create(repo, full, tmp.resolve("out"), "a", RestoreFormat.RAW, null)
                    .run();
            List<RestoredDisk> r2 = RestoreJob.create(repo, inc, tmp.resolve("out"), "b", RestoreFormat.RAW, null)
                    .run();

            assertThat(r1.getFirst().file()).isEqualTo(tmp.resolve("out/a-vda.raw"));
            assertThat(Files.readAllBytes(r1.getFirst().file())).isEqualTo(atFull);
            assertThat(Files.readAllBytes(r2.getFirst().file())).isEqualTo(vda.data);
            assertThat(Files.size(r2.getFirst().file())).isEqualTo(64L * FakeDisk.BLOCK);

            assertThatThrownBy(() -> RestoreJob.create(repo, full, tmp.resolve("out"), "a", RestoreFormat.RAW, null)
                            .run())
                    .isInstanceOf(EngineException.class)
                    .hasMessageContaining("never overwritten");
            assertThat(Files.readAllBytes(r1.getFirst().file())).isEqualTo(atFull);

            RestoreJob cancelled = RestoreJob.create(repo, inc, tmp.resolve("out"), "c", RestoreFormat.RAW, null);
            cancelled.cancel();
            assertThatThrownBy(cancelled::run)
                    .isInstanceOf(EngineException.class)
                    .hasMessageContaining("cancelled");
            assertThat(tmp.resolve("out/c-vda.raw")).doesNotExist();
            assertThat(cancelled.awaitFinished(java.time.Duration.ZERO)).isTrue();
        }
    }
}
