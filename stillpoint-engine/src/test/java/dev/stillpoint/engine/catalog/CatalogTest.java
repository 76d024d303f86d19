package dev.stillpoint.engine.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {
    @TempDir
    Path tmp;

    static BackupRecord record(String id, String uuid, String status, String checkpoint, Instant at) {
        return BackupRecord.builder(id, "web1", at)
                .vmUuid(uuid)
                .finishedAt(at.plusSeconds(5))
                .status(BackupRecord.Status.ofLabel(status))
                .mode(BackupRecord.Mode.FULL)
                .consistency(Consistency.APPLICATION)
                .checkpoint(checkpoint)
                .domainXml("<domain/>")
                .guestReport("{\"hooks\":[]}")
                .freezeWindowMs(1234L)
                .phaseMs(Map.of(Phase.FREEZE, 900L, Phase.COPY, 3000L))
                .bytes(100, 50, 1000)
                .warnings(List.of("disk-skipped: sda cdrom", "second"))
                .disks(List.of(new DiskRecord("vda", "/img/web1.qcow2", "qcow2", 1000, "snap1", null, 100, 50)))
                .build();
    }

    static BackupRecord cleanShutdownIncremental(String id, BackupRecord like, Instant at, String parent) {
        return BackupRecord.builder(id, "web1", at)
                .vmUuid("u1")
                .finishedAt(at.plusSeconds(5))
                .status(BackupRecord.Status.COMPLETE)
                .mode(BackupRecord.Mode.INCREMENTAL)
                .consistency(Consistency.CLEAN_SHUTDOWN)
                .checkpoint("stillpoint-1")
                .parentBackup(parent)
                .domainXml("<domain/>")
                .bytes(10, 5, 1000)
                .disks(like.disks())
                .build();
    }

    @Test
    void roundTripsRecordsAndFindsByPrefix() throws Exception {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        try (Catalog c = Catalog.open(tmp.resolve("catalog.db"))) {
            c.insert(record("aaaa000000000001", "u1", "complete", "stillpoint-1", t));
            c.insert(record("aaab000000000002", "u1", "complete", "stillpoint-2", t.plusSeconds(60)));
            c.insert(record("bbbb000000000003", "u1", "failed", null, t.plusSeconds(120)));
        }
        try (Catalog c = Catalog.open(tmp.resolve("catalog.db"))) {
            BackupRecord r = c.find("AAAA");
            assertThat(r).isEqualTo(record("aaaa000000000001", "u1", "complete", "stillpoint-1", t));
            assertThat(c.lastComplete("u1")).get().extracting(BackupRecord::id).isEqualTo("aaab000000000002");
            assertThat(c.lastComplete("u2")).isEmpty();
            assertThat(c.knowsCheckpoint("stillpoint-2")).isTrue();
            assertThat(c.knowsCheckpoint("virtnbdbackup.0")).isFalse();
            assertThat(c.list(null))
                    .extracting(BackupRecord::id)
                    .containsExactly("aaaa000000000001", "aaab000000000002", "bbbb000000000003");
            assertThatThrownBy(() -> c.find("aaa"))
                    .isInstanceOf(EngineException.class)
                    .extracting(e -> ((EngineException) e).code())
                    .isEqualTo(EngineException.Code.AMBIGUOUS_ID);
            assertThatThrownBy(() -> c.find("cc"))
                    .extracting(e -> ((EngineException) e).code())
                    .isEqualTo(EngineException.Code.BACKUP_NOT_FOUND);
            assertThatThrownBy(() -> c.find("x;drop"))
                    .extracting(e -> ((EngineException) e).code())
                    .isEqualTo(EngineException.Code.INVALID_ARGUMENT);
        }
    }

    @Test
    void refusesANewerSchema() throws Exception {
        Path db = tmp.resolve("catalog.db");
        Catalog.open(db).close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db);
                var st = c.createStatement()) {
            st.execute("PRAGMA user_version = 99");
        }
        assertThatThrownBy(() -> Catalog.open(db)).hasMessageContaining("schema version 99");
    }

    @Test
    void duplicateCheckpointIsRejectedAtomically() throws Exception {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        try (Catalog c = Catalog.open(tmp.resolve("catalog.db"))) {
            c.insert(record("aaaa000000000001", "u1", "complete", "stillpoint-1", t));
            assertThatThrownBy(() -> c.insert(record("aaaa000000000009", "u1", "complete", "stillpoint-1", t)))
                    .isInstanceOf(EngineException.class);
            assertThat(c.list(null)).hasSize(1);
            c.insert(record("aaaa000000000010", "u1", "complete", "stillpoint-3", t));
            assertThat(c.list("web1")).hasSize(2);
        }
    }

    @Test
    void offlineIncrementalsMayRepeatTheCheckpointTheyWereReadFrom() throws Exception {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        try (Catalog c = Catalog.open(tmp.resolve("catalog.db"))) {
            c.insert(record("aaaa000000000001", "u1", "complete", "stillpoint-1", t));
            BackupRecord online = record("aaaa000000000002", "u1", "complete", "stillpoint-1", t.plusSeconds(60));
            BackupRecord offline =
                    cleanShutdownIncremental("aaaa000000000002", online, online.startedAt(), "aaaa000000000001");
            c.insert(offline);
            c.insert(cleanShutdownIncremental("aaaa000000000003", online, t.plusSeconds(120), "aaaa000000000002"));
            assertThat(c.knowsCheckpoint("stillpoint-1")).isTrue();
            assertThat(c.lastComplete("u1")).get().extracting(BackupRecord::id).isEqualTo("aaaa000000000003");
            // an online backup still cannot record a checkpoint another online backup created
            assertThatThrownBy(() -> c.insert(record("aaaa000000000004", "u1", "complete", "stillpoint-1", t)))
                    .isInstanceOf(EngineException.class);
        }
    }
}
