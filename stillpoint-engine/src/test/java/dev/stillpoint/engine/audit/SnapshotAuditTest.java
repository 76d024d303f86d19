package dev.stillpoint.engine.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.fakes.FakeDomain;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotAuditTest {
    @TempDir
    Path tmp;

    @Test
    void flagsWhatTheCatalogDoesNotKnow() throws Exception {
        FakeDomain d = new FakeDomain("sp-engine-a", "u-a") {
            @Override
            public List<Leftover> leftovers() {
                Instant t = Instant.parse("2026-11-20T00:00:00Z");
                return List.of(
                        new Leftover("checkpoint", "stillpoint-1", null, 0, t),
                        new Leftover("checkpoint", "stillpoint-9", null, 0, t),
                        new Leftover("checkpoint", "virtnbdbackup.0", null, 0, t),
                        new Leftover("snapshot", "before-upgrade", null, 380L << 20, t),
                        new Leftover("overlay", "web1.snap1", "/img/web1.snap1", 5L << 20, null));
            }
        };
        VmConnector conn = new VmConnector() {
            @Override
            public Optional<VmDomain> find(String n) {
                return n.equals(d.name) ? Optional.of(d) : Optional.empty();
            }

            @Override
            public VmDomain define(String xml) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<String> domainNames() {
                return List.of(d.name);
            }

            @Override
            public void close() {}
        };
        try (Catalog c = Catalog.open(tmp.resolve("c.db"))) {
            c.insert(BackupRecord.builder("aaaa000000000001", d.name, Instant.EPOCH)
                    .vmUuid(d.uuid)
                    .finishedAt(Instant.EPOCH)
                    .status(BackupRecord.Status.COMPLETE)
                    .mode(BackupRecord.Mode.FULL)
                    .consistency(Consistency.CRASH)
                    .checkpoint("stillpoint-1")
                    .build());
            Clock clock = Clock.fixed(Instant.parse("2026-11-22T00:00:00Z"), ZoneOffset.UTC);
            List<AuditEntry> all = new SnapshotAudit(conn, c, clock).run(null);
            assertThat(all)
                    .extracting(AuditEntry::name, AuditEntry::owner, AuditEntry::flagged)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("stillpoint-1", "stillpoint", false),
                            org.assertj.core.groups.Tuple.tuple("stillpoint-9", "stillpoint-unrecorded", true),
                            org.assertj.core.groups.Tuple.tuple("virtnbdbackup.0", "other", true),
                            org.assertj.core.groups.Tuple.tuple("before-upgrade", "other", true),
                            org.assertj.core.groups.Tuple.tuple("web1.snap1", "other", true));
            assertThat(all.getFirst().age()).isEqualTo(Duration.ofDays(2));
            assertThat(all.getLast().age()).isNull();
        }
    }
}
