package dev.stillpoint.engine.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.audit.AuditEntry;
import dev.stillpoint.engine.audit.SnapshotAudit;
import dev.stillpoint.engine.backup.BackupJob;
import dev.stillpoint.engine.backup.BackupListener;
import dev.stillpoint.engine.backup.BackupOptions;
import dev.stillpoint.engine.backup.BlockSource;
import dev.stillpoint.engine.backup.BlockSourceOpener;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.fakes.FakeDisk;
import dev.stillpoint.engine.fakes.FakeDomain;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that died (its journal's lock dropped while the journal stays, as after kill -9) leaves a
 * libvirt pull-backup job, a checkpoint and a work directory; the next backup of the domain undoes
 * them first and succeeds. A live run is never touched; a second backup of its domain is refused.
 */
class OrphanRecoveryTest {
    @TempDir
    Path tmp;

    FakeDomain domain;
    InMemoryRepository repo;
    Catalog catalog;
    RunDirectory runs;
    List<String> warnings;
    VmConnector connector;

    @BeforeEach
    void setUp() throws Exception {
        domain = new FakeDomain("sp-engine-web", "6f1c2d3e-0000-4000-8000-00000000000a");
        domain.addDisk("vda", 16).write(0, FakeDisk.BLOCK, (byte) 7);
        repo = new InMemoryRepository();
        catalog = Catalog.open(tmp.resolve("catalog.db"));
        runs = RunDirectory.open(tmp.resolve("state"));
        warnings = new ArrayList<>();
        connector = new VmConnector() {
            @Override
            public Optional<VmDomain> find(String nameOrUuid) {
                return nameOrUuid.equals(domain.uuid) || nameOrUuid.equals(domain.name)
                        ? Optional.of(domain)
                        : Optional.empty();
            }

            @Override
            public VmDomain define(String xml) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<String> domainNames() {
                return List.of(domain.name);
            }

            @Override
            public void close() {}
        };
    }

    @AfterEach
    void tearDown() throws Exception {
        catalog.close();
    }

    BackupJob job(boolean recover) {
        return job(recover, domain.opener());
    }

    BackupJob job(boolean recover, BlockSourceOpener opener) {
        return BackupJob.builder()
                .domain(domain)
                .repository(repo)
                .catalog(catalog)
                .blockSources(opener)
                .options(BackupOptions.defaults()
                        .withWorkDir(tmp.resolve("work"))
                        .withFreezeTimeout(Duration.ofMillis(300)))
                .listener(new BackupListener() {
                    @Override
                    public void warning(String code, String message) {
                        warnings.add(code + ": " + message);
                    }
                })
                .runs(runs, recover ? new OrphanRecovery(runs, connector, (c, m) -> warnings.add(c + ": " + m)) : null)
                .build();
    }

    /** What a backup killed during its copy leaves: journal, work dir with socket, libvirt job, new checkpoint. */
    RunJournal deadBackup(String runId, String checkpoint) throws Exception {
        RunJournal j = runs.start(runId, "backup");
        Path work = tmp.resolve("work").resolve("sp-" + runId);
        j.update(r -> r.withDomain(domain.name, domain.uuid)
                .withCatalog(catalog.file())
                .withWorkDir(work)
                .withPhase("copy"));
        Files.createDirectories(work);
        Path socket = work.resolve("nbd.sock");
        Files.writeString(work.resolve("vda.scratch"), "scratch");
        j.update(r -> r.withBackupJob(socket, checkpoint));
        domain.beginBackup(List.of("vda"), socket, work, checkpoint, null);
        j.abandon(); // the process died: the kernel dropped its lock, the journal stayed
        return j;
    }

    @Test
    void theNextBackupAbortsTheDeadRunsJobDeletesItsCheckpointAndRecordsItInterrupted() throws Exception {
        RunJournal dead = deadBackup("00000000000000d1", "stillpoint-dead");
        Path deadWork = Path.of(dead.record().workDir());

        BackupRecord next = job(true).run().record();

        assertThat(next.complete()).isTrue();
        assertThat(domain.events).contains("abort");
        assertThat(domain.checkpoints()).containsExactly(next.checkpoint()).doesNotContain("stillpoint-dead");
        assertThat(deadWork).doesNotExist();
        assertThat(dead.file()).doesNotExist();
        try (var files = Files.list(runs.path())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("journals and their locks are gone")
                    .noneMatch(n -> n.startsWith("run-"));
        }
        BackupRecord interrupted = catalog.find("00000000000000d1");
        assertThat(interrupted.status()).isEqualTo(BackupRecord.Status.FAILED);
        assertThat(interrupted.error()).startsWith("interrupted").contains("phase copy");
        assertThat(warnings)
                .anyMatch(w -> w.startsWith("orphan-recovered: aborted the pull-backup job"))
                .anyMatch(w -> w.startsWith("orphan-recovered: deleted checkpoint stillpoint-dead"));
    }

    @Test
    void withoutRecoveryTheOrphanedJobBlocksTheNextBackup() throws Exception {
        deadBackup("00000000000000d2", "stillpoint-dead");
        assertThatThrownBy(() -> job(false).run()).hasMessageContaining("cannot acquire state change lock");
    }

    @Test
    void aLiveRunIsNeverTouchedAndASecondBackupOfItsDomainIsRefused() throws Exception {
        try (RunDirectory.DomainLock held = runs.lockDomain(domain.uuid, domain.name);
                RunJournal live = runs.start("00000000000000a1", "backup")) {
            live.update(r ->
                    r.withDomain(domain.name, domain.uuid).withBackupJob(tmp.resolve("live.sock"), "stillpoint-live"));
            domain.beginBackup(List.of("vda"), tmp.resolve("live.sock"), tmp, "stillpoint-live", null);

            assertThatThrownBy(() -> job(true).run())
                    .isInstanceOf(EngineException.class)
                    .hasMessageContaining("is busy")
                    .hasMessageContaining("00000000000000a1")
                    .extracting(e -> ((EngineException) e).code())
                    .isEqualTo(EngineException.Code.DOMAIN_BUSY);
            assertThat(new OrphanRecovery(runs, connector, (c, m) -> warnings.add(m)).recoverAll(null))
                    .isZero();
            assertThat(domain.activeJobSocket).isEqualTo(tmp.resolve("live.sock"));
            assertThat(domain.checkpoints()).contains("stillpoint-live");
            assertThat(live.file()).exists();
            assertThat(catalog.list(null)).as("a refused run records nothing").isEmpty();
        }
    }

    @Test
    void aBackupJobThatIsNotTheDeadRunsIsLeftAlone() throws Exception {
        RunJournal dead = deadBackup("00000000000000d3", "stillpoint-dead");
        domain.abortJob();
        domain.events.clear();
        domain.beginBackup(List.of("vda"), tmp.resolve("other-tool.sock"), tmp, "other-tool-cp", null);

        new OrphanRecovery(runs, connector, (c, m) -> warnings.add(m)).recoverAll(null);

        assertThat(domain.events).doesNotContain("abort");
        assertThat(domain.activeJobSocket).isEqualTo(tmp.resolve("other-tool.sock"));
        assertThat(domain.checkpoints()).contains("other-tool-cp").doesNotContain("stillpoint-dead");
        assertThat(dead.file()).doesNotExist();
    }

    @Test
    void aCheckpointTheCatalogRecordedIsKept() throws Exception {
        BackupRecord first = job(true).run().record();
        // died after recording, before its journal was removed
        RunJournal j = runs.start(first.id().replace('0', 'e'), "backup");
        j.update(r -> r.withDomain(domain.name, domain.uuid)
                .withCatalog(catalog.file())
                .withBackupJob(tmp.resolve("x.sock"), first.checkpoint()));
        j.abandon();
        new OrphanRecovery(runs, connector, (c, m) -> warnings.add(m)).recoverAll(null);
        assertThat(domain.checkpoints()).containsExactly(first.checkpoint());
    }

    @Test
    void aFailedCleanupKeepsTheJournalForTheNextRun() throws Exception {
        domain.closeError = new VmException(VmException.Code.BACKUP_FAILED, "Cannot write data: Broken pipe");
        BlockSourceOpener failing = (socket, export, contexts) -> { // the copy fails, then ending the job fails too
            BlockSource s = domain.opener().open(socket, export, contexts);
            ((FakeDisk.Source) s).failRead = new IOException("NBD read failed: connection reset");
            return s;
        };
        assertThatThrownBy(() -> job(true, failing).run()).isInstanceOf(Exception.class);
        assertThat(warnings).anyMatch(w -> w.startsWith(OrphanRecovery.ORPHAN_INCOMPLETE));
        assertThat(domain.activeJobSocket).as("libvirt kept the job").isNotNull();

        domain.closeError = null;
        BackupRecord next = job(true).run().record();
        assertThat(next.complete()).isTrue();
        assertThat(domain.events).contains("abort");
        assertThat(domain.checkpoints()).containsExactly(next.checkpoint());
    }

    @Test
    void snapshotsAuditNamesDeadAndLiveRunsUntilTheyAreUndone() throws Exception {
        deadBackup("00000000000000d4", "stillpoint-dead");
        SnapshotAudit audit = new SnapshotAudit(connector, catalog, Clock.systemUTC()).withRuns(runs);
        assertThat(audit.run(null))
                .filteredOn(e -> e.kind().equals("dead-run"))
                .singleElement()
                .satisfies(
                        e -> assertThat(e.note()).contains("died in phase copy").contains("stillpoint-dead"))
                .extracting(AuditEntry::flagged)
                .isEqualTo(true);
        try (RunJournal live = runs.start("00000000000000a2", "backup")) {
            live.update(r -> r.withDomain(domain.name, domain.uuid).withPhase("copy"));
            new OrphanRecovery(runs, connector, (c, m) -> warnings.add(m)).recoverAll(null);
            assertThat(audit.run(null))
                    .extracting(AuditEntry::kind)
                    .contains("run")
                    .doesNotContain("dead-run");
        }
    }

    @Test
    void aDamagedJournalIsKeptAsideAndReported() throws Exception {
        Files.writeString(runs.path().resolve("run-00000000000000bb.json"), "{\"version\":1,\"runId\":7}");
        new OrphanRecovery(runs, connector, (c, m) -> warnings.add(c + ": " + m)).recoverAll(null);
        assertThat(runs.path().resolve("run-00000000000000bb.json.damaged")).exists();
        assertThat(warnings)
                .singleElement()
                .asString()
                .startsWith(OrphanRecovery.ORPHAN_INCOMPLETE)
                .contains("damaged");
    }
}
