package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.Main;
import dev.stillpoint.guest.contract.GuestReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 17 item 2 at the command line: a guest whose report says its own policy fails the backup (Azure
 * {@code continueBackupOnFailure: false}, the pre script failed) makes {@code stillpoint backup} exit 21 even
 * under {@code --consistency preferred}; stderr and the {@code --json} warning line carry Azure's name and code.
 */
class GuestPolicyExitCodeTest {
    @TempDir
    Path tmp;

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    @BeforeEach
    void connector() {
        System.setProperty("stillpoint.connector", GuestPolicyConnector.class.getName());
        System.setProperty("stillpoint.stateDir", tmp.resolve("state").toString());
        GuestPolicyConnector.freezeTried = false;
    }

    @AfterEach
    void reset() {
        System.clearProperty("stillpoint.connector");
        System.clearProperty("stillpoint.stateDir");
        GuestPolicyConnector.reportAfterFreeze = null;
    }

    int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    int backup(String consistency) {
        Path repo = tmp.resolve("repo");
        assertThat(run("repo", "init", "--repo", repo.toString(), "--encryption", "none"))
                .as(err.toString())
                .isZero();
        return run(
                "backup",
                GuestPolicyConnector.DOMAIN,
                "--repo",
                repo.toString(),
                "--consistency",
                consistency,
                "--work-dir",
                tmp.resolve("w").toString(),
                "--json");
    }

    static String report(String failBackup) {
        return GuestReport.builder()
                .operation("freeze")
                .startedAt("2026-12-06T05:40:00Z")
                .consistency("none")
                .azure(new GuestReport.AzureError(300, "PreScriptExecutionFailed", "/opt/app/pre.sh", null, "exit 1"))
                .failBackup(failBackup)
                .result("failed")
                .build()
                .toJson(true);
    }

    @Test
    void continueBackupOnFailureFalseExits21UnderPreferred() {
        GuestPolicyConnector.reportAfterFreeze = report(
                "Azure continueBackupOnFailure=false: PreScriptExecutionFailed (300): /opt/app/pre.sh freeze exit 1");
        assertThat(backup("preferred"))
                .as(err.toString())
                .isEqualTo(ExitCodes.QUIESCE_FAILED)
                .isEqualTo(21);
        assertThat(err.toString()).contains("the guest's own policy").contains("PreScriptExecutionFailed (300)");
        assertThat(out.toString())
                .contains("\"type\":\"warning\"")
                .contains("\"code\":\"guest-policy-failed\"")
                .contains("PreScriptExecutionFailed (300)");
    }

    @Test
    void withoutTheGuestsPolicyPreferredGoesOnCrashConsistent() {
        GuestPolicyConnector.reportAfterFreeze = null;
        // the freeze fails, nothing says the guest's policy forbids going on: the backup proceeds and only
        // fails later because this test domain cannot begin a backup
        assertThat(backup("preferred")).isNotEqualTo(ExitCodes.QUIESCE_FAILED);
        assertThat(out.toString()).contains("\"code\":\"quiesce-failed\"").doesNotContain("guest-policy-failed");
    }
}
