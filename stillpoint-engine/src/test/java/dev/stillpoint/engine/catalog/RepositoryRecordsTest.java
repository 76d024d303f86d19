package dev.stillpoint.engine.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.repository.SnapshotInfo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records in the repository and the catalog rebuilt from them (or, without them, from the manifests). */
class RepositoryRecordsTest {
    @TempDir
    Path tmp;

    static SnapshotInfo disk(Repository repo, String backup, String target, String parent, byte fill) throws Exception {
        byte[] b = new byte[256 << 10];
        java.util.Arrays.fill(b, fill);
        try (ImageWriter w = repo.newImage(
                "web1/" + target,
                b.length,
                parent,
                Map.of("backup", backup, "domain", "web1", "uuid", "u1", "disk", target, "checkpoint", "cp-" + backup),
                ProgressListener.NONE)) {
            w.write(0, ByteBuffer.wrap(b));
            return w.commit();
        }
    }

    static BackupRecord backup(String id, Instant at, String parent, List<DiskRecord> disks) {
        return BackupRecord.builder(id, "web1", at)
                .vmUuid("u1")
                .finishedAt(at.plusSeconds(5))
                .status(BackupRecord.Status.COMPLETE)
                .mode(parent == null ? BackupRecord.Mode.FULL : BackupRecord.Mode.INCREMENTAL)
                .consistency(Consistency.APPLICATION)
                .checkpoint("cp-" + id)
                .parentBackup(parent)
                .domainXml("<domain><name>web1</name></domain>")
                .guestReport("{\"hooks\":[]}")
                .freezeWindowMs(1234L)
                .phaseMs(Map.of(Phase.FREEZE, 900L, Phase.COPY, 3000L))
                .bytes(100, 50, 1000)
                .warnings(List.of("one warning"))
                .disks(disks)
                .build();
    }

    @Test
    void aCatalogRebuiltFromTheRepositoryHoldsWhatTheOldOneHeld() throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), RepositoryOptions.unencrypted());
                Catalog old = Catalog.open(tmp.resolve("old.db"));
                Catalog fresh = Catalog.open(tmp.resolve("new.db"))) {
            Instant t0 = Instant.parse("2026-12-01T10:00:00Z");
            SnapshotInfo a = disk(repo, "00000000000000a1", "vda", null, (byte) 1);
            SnapshotInfo b = disk(repo, "00000000000000a1", "vdb", null, (byte) 2);
            BackupRecord full = backup(
                    "00000000000000a1",
                    t0,
                    null,
                    List.of(
                            new DiskRecord("vda", "/img/a.qcow2", "qcow2", a.size(), a.id(), null, 100, 10),
                            new DiskRecord("vdb", "/img/b.raw", "raw", b.size(), b.id(), null, 100, 10)));
            SnapshotInfo c = disk(repo, "00000000000000a2", "vda", a.id(), (byte) 3);
            BackupRecord incr = backup(
                    "00000000000000a2",
                    t0.plusSeconds(3600),
                    full.id(),
                    List.of(new DiskRecord("vda", "/img/a.qcow2", "qcow2", c.size(), c.id(), a.id(), 5, 1)));
            for (BackupRecord r : List.of(full, incr)) {
                old.insert(r);
                RepositoryRecords.publish(repo, r, null);
            }
            Verification v = new Verification(
                    incr.id(),
                    t0.plusSeconds(7200),
                    true,
                    4200L,
                    9000L,
                    List.of("/dev/vda / clean"),
                    List.of(new Verification.Probe("true", 0, "")),
                    null,
                    new Verification.Screenshot("/var/lib/stillpoint/evidence/x.png", "image/png", 720, 400, null));
            old.insert(v);
            RepositoryRecords.republish(repo, old, incr.id());
            SnapshotInfo image = disk(repo, "not-a-backup", "vdz", null, (byte) 4); // e.g. image backup

            RepositoryRecords.Rebuild r = RepositoryRecords.rebuild(repo, fresh);
            assertThat(r.fromRecords()).isEqualTo(2);
            assertThat(r.fromManifests()).isZero();
            assertThat(r.images()).isEqualTo(1);
            assertThat(r.notes()).isEmpty();
            assertThat(fresh.list(null)).isEqualTo(old.list(null));
            assertThat(fresh.latestVerifications()).isEqualTo(old.latestVerifications());

            RepositoryRecords.Rebuild again = RepositoryRecords.rebuild(repo, fresh);
            assertThat(again.present()).isEqualTo(2);
            assertThat(again.fromRecords()).isZero();
            assertThat(image.id()).isNotNull();
        }
    }

    @Test
    void withoutRecordsTheManifestsGiveDomainDisksAndChainAndTheGapsAreNamed() throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), RepositoryOptions.unencrypted());
                Catalog fresh = Catalog.open(tmp.resolve("new.db"))) {
            SnapshotInfo a = disk(repo, "00000000000000b1", "vda", null, (byte) 1);
            SnapshotInfo c = disk(repo, "00000000000000b2", "vda", a.id(), (byte) 3);
            RepositoryRecords.Rebuild r = RepositoryRecords.rebuild(repo, fresh);
            assertThat(r.fromManifests()).isEqualTo(2);
            assertThat(r.notes()).hasSize(2).allSatisfy(n -> assertThat(n).contains("without domain XML"));
            List<BackupRecord> rows = fresh.list("web1");
            assertThat(rows).extracting(BackupRecord::id).containsExactly("00000000000000b1", "00000000000000b2");
            BackupRecord second = rows.get(1);
            assertThat(second.mode()).isEqualTo(BackupRecord.Mode.INCREMENTAL);
            assertThat(second.parentBackup()).isEqualTo("00000000000000b1");
            assertThat(second.vmUuid()).isEqualTo("u1");
            assertThat(second.checkpoint()).isEqualTo("cp-00000000000000b2");
            assertThat(second.domainXml()).isNull();
            assertThat(second.disks()).singleElement().satisfies(d -> {
                assertThat(d.snapshotId()).isEqualTo(c.id());
                assertThat(d.parentSnapshot()).isEqualTo(a.id());
            });
        }
    }
}
