package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.state.ReportStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 17 item 2 (seed 002): Azure's runtime rules. {@code continueBackupOnFailure: false} (or
 * {@code fsFreezeEnabled: false}) makes a pre/post failure fail the backup, and the report says so
 * ({@code failBackup}, which the host obeys whatever its own consistency policy); every runtime failure carries
 * Azure's name and code in the hook's report entry, the report's {@code azure} and the log line.
 */
class AzureRuntimeTest {
    @TempDir
    Path tmp;

    GuestTree t;
    RecordingFsFreezer fs = new RecordingFsFreezer();

    QuiesceRunner runner() throws Exception {
        return new QuiesceRunner(SyslogFixture.dataMount(tmp, fs), e -> {});
    }

    /** pre/post: "ok", "fail" (exit 1) or "hang" (sleeps past the 1 s timeout). */
    void azure(String pre, String post, boolean continueOnFailure, boolean fsFreezeEnabled) throws Exception {
        t = new GuestTree(tmp);
        Files.createDirectories(tmp.resolve("data"));
        t.write("/opt/app/pre.sh", body("pre", pre), "rwx------");
        t.write("/opt/app/post.sh", body("post", post), "rwx------");
        t.write(
                "/etc/azure/VMSnapshotScriptPluginConfig.json",
                "{\"pluginName\":\"ScriptRunner\",\"preScriptLocation\":\"/opt/app/pre.sh\","
                        + "\"postScriptLocation\":\"/opt/app/post.sh\",\"timeoutInSeconds\":1,"
                        + "\"continueBackupOnFailure\":" + continueOnFailure + ",\"fsFreezeEnabled\":"
                        + fsFreezeEnabled + "}",
                "rw-------");
    }

    String body(String name, String what) {
        String b = "echo " + name + " >> " + t.trace() + "\n";
        if (what.equals("fail")) return b + "exit 1\n";
        if (what.equals("hang")) return b + "sleep 5\n";
        return b + "exit 0\n";
    }

    GuestReport report() throws Exception {
        return GuestReport.parse(Files.readString(tmp.resolve(ReportStore.PATH)));
    }

    String log() throws Exception {
        return Files.readString(tmp.resolve(EventLog.PATH));
    }

    @ParameterizedTest(name = "continueBackupOnFailure=false, pre {0} -> {1} {2}")
    @CsvSource({"fail, 300, PreScriptExecutionFailed", "hang, 308, PreScriptTimeout"})
    void preFailureWithoutContinueFailsTheFreezeAndTheBackup(String pre, int code, String name) throws Exception {
        azure(pre, "ok", false, true);
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.HOOK_FAILED));
        assertThat(t.traceLines()).as("Azure runs post even after a failed pre").containsExactly("pre", "post");
        assertThat(fs.calls).isEmpty();
        GuestReport r = report();
        assertThat(r.result()).isEqualTo("failed");
        assertThat(r.failBackup()).contains("continueBackupOnFailure=false").contains(name + " (" + code + ")");
        assertThat(r.azure().code()).isEqualTo(code);
        assertThat(r.azure().name()).isEqualTo(name);
        assertThat(r.hooks().get(0).azureCode()).isEqualTo(code);
        assertThat(r.hooks().get(0).azureError()).isEqualTo(name);
        assertThat(log()).contains("(Azure " + name + " " + code + ")");
    }

    @ParameterizedTest(name = "continueBackupOnFailure=true, pre {0} -> {1} {2}, backup goes on")
    @CsvSource({"fail, 300, PreScriptExecutionFailed", "hang, 308, PreScriptTimeout"})
    void preFailureWithContinueIsRecordedButTheBackupGoesOn(String pre, int code, String name) throws Exception {
        azure(pre, "ok", true, true);
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(fs.calls).containsExactly("freeze " + tmp.resolve("data"), "thaw " + tmp.resolve("data"));
        GuestReport r = report();
        assertThat(r.result()).isEqualTo("ok");
        assertThat(r.consistency()).isEqualTo("filesystem");
        assertThat(r.failBackup()).isNull();
        assertThat(r.azure().code()).isEqualTo(code);
        assertThat(r.azure().name()).isEqualTo(name);
        assertThat(log()).contains("(Azure " + name + " " + code + ")");
    }

    @ParameterizedTest(name = "continueBackupOnFailure={2}, post {0} -> {1}")
    @CsvSource({
        "fail, 301, false, PostScriptExecutionFailed",
        "hang, 309, false, PostScriptTimeout",
        "fail, 301, true, PostScriptExecutionFailed"
    })
    void postFailureAtThaw(String post, int code, boolean cont, String name) throws Exception {
        azure("ok", post, cont, true);
        runner().freeze();
        assertThatThrownBy(() -> runner().thaw(QuiesceRunner.ThawKind.THAW, null))
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.THAW_INCOMPLETE));
        GuestReport r = report();
        assertThat(r.azure().code()).isEqualTo(code);
        assertThat(r.hooks().get(1).azureError()).isEqualTo(name);
        if (cont) assertThat(r.failBackup()).isNull();
        else assertThat(r.failBackup()).contains(name + " (" + code + ")");
        assertThat(log()).contains("(Azure " + name + " " + code + ")");
    }

    @Test
    void fsFreezeEnabledFalseMakesAPreFailureFatalAsInAzure() throws Exception {
        azure("fail", "ok", true, false);
        assertThatThrownBy(() -> runner().freeze()).isInstanceOf(GuestException.class);
        assertThat(report().failBackup()).contains("PreScriptExecutionFailed (300)");
        assertThat(fs.calls).isEmpty();
    }

    @Test
    void fsFreezeEnabledFalseDoesNotStopStillpointsOwnFilesystemFreeze() throws Exception {
        azure("ok", "ok", true, false);
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).containsExactly("pre", "post");
        assertThat(fs.calls).containsExactly("freeze " + tmp.resolve("data"), "thaw " + tmp.resolve("data"));
        GuestReport r = report();
        assertThat(r.consistency()).isEqualTo("application");
        assertThat(r.azure()).isNull();
        assertThat(r.failBackup()).isNull();
        assertThat(r.ioFrozenMs()).isNotNull().isLessThanOrEqualTo(r.freezeWindowMs());
    }
}
