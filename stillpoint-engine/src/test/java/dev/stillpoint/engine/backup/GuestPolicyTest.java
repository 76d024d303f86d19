package dev.stillpoint.engine.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.fakes.FakeDisk;
import dev.stillpoint.engine.fakes.FakeDomain;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.guest.contract.GuestReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 2 (seed 002): a guest whose own policy requires it (Azure {@code continueBackupOnFailure: false})
 * fails the backup with QUIESCE_FAILED (exit 21) even under consistency 'preferred'; Azure's code and name reach
 * the message and the warnings (the JSON lines of {@code backup --json}).
 */
class GuestPolicyTest {
    @TempDir
    Path tmp;

    FakeDomain domain;
    Catalog catalog;
    List<String> warnings = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        domain = new FakeDomain("sp-azure", "6f1c2d3e-0000-4000-8000-0000000000a2");
        FakeDisk vda = domain.addDisk("vda", 16);
        vda.write(0, FakeDisk.BLOCK, (byte) 1);
        catalog = Catalog.open(tmp.resolve("catalog.db"));
        domain.agent.reportBefore = report("ok", null, null, null).toJson(true);
    }

    @AfterEach
    void tearDown() throws Exception {
        catalog.close();
    }

    static GuestReport report(String result, Integer code, String name, String failBackup) {
        GuestReport.Builder b = GuestReport.builder()
                .operation("freeze+thaw")
                .startedAt("2026-12-06T05:00:0" + (code == null ? 0 : 1) + "Z")
                .consistency(code == null ? "application" : "filesystem")
                .result(result);
        if (code != null) b.azure(new GuestReport.AzureError(code, name, "/opt/app/pre.sh", null, "exit 1"));
        return b.failBackup(failBackup).build();
    }

    BackupJob job(ConsistencyPolicy policy) {
        return BackupJob.builder()
                .domain(domain)
                .repository(new InMemoryRepository())
                .catalog(catalog)
                .blockSources(domain.opener())
                .options(BackupOptions.defaults()
                        .withWorkDir(tmp.resolve("work"))
                        .withFreezeTimeout(Duration.ofMillis(300))
                        .withPolicy(policy))
                .listener(new BackupListener() {
                    @Override
                    public void warning(String code, String message) {
                        warnings.add(code + " " + message);
                    }
                })
                .build();
    }

    static final String PRE_FAILED =
            "Azure continueBackupOnFailure=false: PreScriptExecutionFailed (300): /opt/app/pre.sh freeze exit 1";

    @Test
    void aFailedPreScriptWithoutContinueFailsTheBackupEvenWhenPreferred() throws Exception {
        domain.agent.freezeError = new VmException(VmException.Code.FREEZE_FAILED, "fsfreeze hook failed");
        domain.agent.reportAfterFailedFreeze =
                report("failed", 300, "PreScriptExecutionFailed", PRE_FAILED).toJson(true);
        assertThatThrownBy(() -> job(ConsistencyPolicy.PREFERRED).run())
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.code()).isEqualTo(EngineException.Code.QUIESCE_FAILED);
                    assertThat(e.getMessage())
                            .contains("the guest's own policy")
                            .contains("PreScriptExecutionFailed (300)");
                });
        assertThat(warnings)
                .anySatisfy(w -> assertThat(w).startsWith("guest-policy-failed").contains("(300)"));
        assertThat(domain.checkpoints()).isEmpty();
        BackupRecord failed = catalog.list("sp-azure").getFirst();
        assertThat(failed.complete()).isFalse();
        assertThat(failed.guestReport()).contains("\"failBackup\"");
    }

    @Test
    void underRequiredTheMessageStillNamesAzuresCode() throws Exception {
        domain.agent.freezeError = new VmException(VmException.Code.FREEZE_FAILED, "fsfreeze hook failed");
        domain.agent.reportAfterFailedFreeze = report(
                        "failed",
                        308,
                        "PreScriptTimeout",
                        PRE_FAILED.replace("PreScriptExecutionFailed (300)", "PreScriptTimeout (308)"))
                .toJson(true);
        assertThatThrownBy(() -> job(ConsistencyPolicy.REQUIRED).run())
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.code()).isEqualTo(EngineException.Code.QUIESCE_FAILED);
                    assertThat(e.getMessage()).contains("PreScriptTimeout (308)");
                });
    }

    @Test
    void aFailedPostScriptWithoutContinueFailsTheBackupAfterTheThaw() throws Exception {
        domain.agent.reportAfterFreeze = report(
                        "thaw-incomplete",
                        301,
                        "PostScriptExecutionFailed",
                        "Azure continueBackupOnFailure=false: PostScriptExecutionFailed (301): /opt/app/post.sh thaw exit 1")
                .toJson(true);
        assertThatThrownBy(() -> job(ConsistencyPolicy.PREFERRED).run())
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.code()).isEqualTo(EngineException.Code.QUIESCE_FAILED);
                    assertThat(e.getMessage()).contains("PostScriptExecutionFailed (301)");
                });
        assertThat(domain.agent.freezeThawCalls()).containsExactly("freeze", "thaw");
        assertThat(domain.checkpoints()).isEmpty();
        assertThat(catalog.lastComplete(domain.uuid())).isEmpty();
    }

    @Test
    void aFailureTheGuestOnlyRecordsIsAWarningWithAzuresCode() throws Exception {
        domain.agent.reportAfterFreeze =
                report("ok", 300, "PreScriptExecutionFailed", null).toJson(true);
        BackupRecord r = job(ConsistencyPolicy.PREFERRED).run().record();
        assertThat(r.complete()).isTrue();
        assertThat(r.consistency().label()).isEqualTo("filesystem");
        assertThat(warnings)
                .anySatisfy(w -> assertThat(w).startsWith("guest-azure").contains("PreScriptExecutionFailed (300)"));
    }

    @Test
    void aStaleReportSayingFailBackupIsNotThisBackups() throws Exception {
        String stale =
                report("failed", 300, "PreScriptExecutionFailed", PRE_FAILED).toJson(true);
        domain.agent.reportBefore = stale;
        domain.agent.reportAfterFreeze = stale;
        assertThat(job(ConsistencyPolicy.PREFERRED).run().record().complete()).isTrue();
    }
}
