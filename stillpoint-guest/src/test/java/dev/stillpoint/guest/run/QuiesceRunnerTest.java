package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.fs.MountTable;
import dev.stillpoint.guest.state.ReportStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuiesceRunnerTest {
    @TempDir
    Path tmp;

    GuestTree t;
    RecordingFsFreezer fs = new RecordingFsFreezer();
    List<String> watchdogs = new ArrayList<>();
    List<GuestEvent> events = new ArrayList<>();

    @BeforeEach
    void setUp() {
        t = new GuestTree(tmp);
    }

    QuiesceRunner runner() {
        return runner(List.of());
    }

    QuiesceRunner runner(List<String> mounts) {
        QuiesceRunner.Options o = QuiesceRunner.Options.of(tmp)
                .withFreezer(fs)
                .withMounts(mounts)
                .withMountTable(MountTable.parse(List.of(
                        "40 1 8:1 / " + tmp.resolve("data") + " rw,relatime shared:1 - ext4 /dev/sda1 rw",
                        "41 40 8:2 / " + tmp.resolve("data/deep") + " rw,relatime shared:2 - xfs /dev/sda2 rw")))
                .withWatchdog((root, token, deadline) -> {
                    watchdogs.add(token);
                    return -1;
                });
        return new QuiesceRunner(o, events::add);
    }

    @Test
    void vmwareRunsLegacyFirstAndDirectoryInByteOrderThenReversesOnThaw() throws Exception {
        t.script("/usr/sbin/pre-freeze-script", "legacy-pre", 0);
        t.script("/usr/sbin/post-thaw-script", "legacy-post", 0);
        t.script("/etc/vmware-tools/backupScripts.d/b", "b", 0);
        t.script("/etc/vmware-tools/backupScripts.d/B", "B", 0);
        t.script("/etc/vmware-tools/backupScripts.d/.dot", "dot", 0);
        t.script("/etc/vmware-tools/backupScripts.d/a", "a", 0);
        runner().freeze();
        assertThat(t.traceLines())
                .containsExactly("legacy-pre freeze", "dot freeze", "B freeze", "a freeze", "b freeze");
        t.clearTrace();
        Map<String, Object> rep =
                runner().thaw(QuiesceRunner.ThawKind.THAW, null).toMap();
        assertThat(t.traceLines()).containsExactly("b thaw", "a thaw", "B thaw", "dot thaw", "legacy-post thaw");
        assertThat(rep.get("result")).isEqualTo("ok");
        assertThat(rep.get("consistency")).isEqualTo("application");
    }

    @Test
    void vmwareFreezeFailureStopsChainAndSendsFreezeFailOnlyToEarlierScripts() throws Exception {
        t.script("/usr/sbin/post-thaw-script", "legacy-post", 0);
        t.script("/etc/vmware-tools/backupScripts.d/10-a", "a", 0);
        t.script("/etc/vmware-tools/backupScripts.d/20-b", "b", 0);
        t.script("/etc/vmware-tools/backupScripts.d/30-c", "c", 3);
        t.script("/etc/vmware-tools/backupScripts.d/40-d", "d", 0);
        assertThatThrownBy(() -> runner().freeze()).isInstanceOfSatisfying(GuestException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.HOOK_FAILED);
            // hook 1 = legacy slot, 2 = a, 3 = b, 4 = c
            assertThat(ExitCodes.of(e)).isEqualTo(ExitCodes.hookFailed(4)).isEqualTo(67);
            assertThat(e.getMessage()).contains("vmware:/etc/vmware-tools/backupScripts.d/30-c");
        });
        assertThat(t.traceLines())
                .containsExactly(
                        "a freeze", "b freeze", "c freeze", "b freezeFail", "a freezeFail", "legacy-post freezeFail");
        assertThat(runner().frozen()).isFalse();
        assertThat(fs.calls).isEmpty();
        Map<String, Object> rep = dev.stillpoint.guest.Reports.map(new ReportStore(tmp).read());
        assertThat(rep.get("result")).isEqualTo("failed");
        assertThat(rep.get("failedHook")).isEqualTo("vmware:/etc/vmware-tools/backupScripts.d/30-c");
        t.clearTrace();
        assertThat(runner().thaw(QuiesceRunner.ThawKind.THAW, null)).isNull();
        assertThat(t.traceLines()).isEmpty();
    }

    @Test
    void qemuGroupKeepsGlobOrderOnThawAndSkipsNonExecutableAndLeftovers() throws Exception {
        t.script("/etc/qemu/fsfreeze-hook.d/20-b", "b", 0);
        t.script("/etc/qemu/fsfreeze-hook.d/10-a", "a", 0);
        t.script("/etc/qemu/fsfreeze-hook.d/30-c.dpkg-old", "leftover", 0);
        t.script("/etc/qemu/fsfreeze-hook.d/.hidden", "hidden", 0);
        t.write("/etc/qemu/fsfreeze-hook.d/40-noexec", "#!/bin/sh\necho noexec >> " + t.trace() + "\n", "rw-------");
        t.script("/etc/qemu-ga/fsfreeze-hook.d/50-rhel", "rhel", 0);
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines())
                .containsExactly("a freeze", "b freeze", "rhel freeze", "a thaw", "b thaw", "rhel thaw");
    }

    @Test
    void qemuFailureFailsTheFreezeUnlikeTheStockWrapperAndThawsEarlierOnes() throws Exception {
        t.script("/etc/qemu/fsfreeze-hook.d/10-a", "a", 0);
        t.script("/etc/qemu/fsfreeze-hook.d/20-b", "b", 1);
        t.script("/etc/qemu/fsfreeze-hook.d/30-c", "c", 0);
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOf(GuestException.class)
                .satisfies(e -> assertThat(ExitCodes.of((GuestException) e)).isEqualTo(65));
        assertThat(t.traceLines()).containsExactly("a freeze", "b freeze", "a thaw");
    }

    @Test
    void optionalHookFailureIsRecordedButFreezeContinues() throws Exception {
        t.script("/etc/qemu/fsfreeze-hook.d/10-a", "a", 1);
        t.script("/etc/qemu/fsfreeze-hook.d/20-b", "b", 0);
        t.write(
                "/etc/stillpoint/guest.conf",
                "[hook \"/etc/qemu/fsfreeze-hook.d/10-a\"]\noptional = true\n",
                "rw-------");
        Map<String, Object> rep = runner().freeze().toMap();
        assertThat(rep.get("consistency")).isEqualTo("filesystem");
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).containsExactly("a freeze", "b freeze", "b thaw");
    }

    @Test
    void successExitCodesArePerHook() throws Exception {
        t.script("/etc/stillpoint/hooks.d/10-iris", "iris", 5);
        assertThatThrownBy(() -> runner().freeze()).isInstanceOf(GuestException.class);
        t.write(
                "/etc/stillpoint/guest.conf",
                "[hook \"/etc/stillpoint/hooks.d/10-iris\"]\nsuccessExitCodes = 0, 5\n",
                "rw-------");
        t.clearTrace();
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).containsExactly("iris freeze", "iris thaw");
    }

    @Test
    void groupsFreezeInFixedOrderAndThawInReverse() throws Exception {
        t.script("/etc/stillpoint/hooks.d/10-sp", "sp", 0);
        t.script("/etc/stillpoint/hooks.d/20-sp2", "sp2", 0);
        t.script("/usr/local/sbin/pre_freeze", "nutanix-pre", 0);
        t.script("/usr/local/sbin/post_thaw", "nutanix-post", 0);
        t.script("/etc/qemu/fsfreeze-hook.d/10-q", "q", 0);
        t.script("/etc/vmware-tools/backupScripts.d/10-v", "v", 0);
        azure(true, 0, 0);
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines())
                .containsExactly(
                        "v freeze",
                        "q freeze",
                        "nutanix-pre ",
                        "azure-pre p1 p2",
                        "sp freeze",
                        "sp2 freeze",
                        "sp2 thaw",
                        "sp thaw",
                        "azure-post",
                        "nutanix-post ",
                        "q thaw",
                        "v thaw");
    }

    @Test
    void groupsCanBeDisabledInConfigAndSkippedOnCommandLine() throws Exception {
        t.script("/etc/qemu/fsfreeze-hook.d/10-q", "q", 0);
        t.script("/etc/vmware-tools/backupScripts.d/10-v", "v", 0);
        t.write("/etc/stillpoint/guest.conf", "[groups]\nqemu = false\n", "rw-------");
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).containsExactly("v freeze", "v thaw");
    }

    void azure(boolean continueOnFailure, int preExit, int retries) throws Exception {
        t.write("/opt/app/pre.sh", "echo \"azure-pre $*\" >> " + t.trace() + "\nexit " + preExit + "\n", "rwx------");
        t.write("/opt/app/post.sh", "echo \"azure-post$*\" >> " + t.trace() + "\n", "rwx------");
        t.write(
                "/etc/azure/VMSnapshotScriptPluginConfig.json",
                "{\"pluginName\":\"ScriptRunner\",\"preScriptLocation\":\"/opt/app/pre.sh\","
                        + "\"postScriptLocation\":\"/opt/app/post.sh\",\"preScriptParams\":[\"p1\",\"p2\"],\"postScriptParams\":[],"
                        + "\"preScriptNoOfRetries\":" + retries
                        + ",\"postScriptNoOfRetries\":0,\"timeoutInSeconds\":30,"
                        + "\"continueBackupOnFailure\":" + continueOnFailure + ",\"fsFreezeEnabled\":true}",
                "rw-------");
    }

    @Test
    void azureRetriesReallyRerunTheScript() throws Exception {
        azure(true, 1, 2);
        Map<String, Object> rep = runner().freeze().toMap();
        assertThat(t.traceLines()).containsExactly("azure-pre p1 p2", "azure-pre p1 p2", "azure-pre p1 p2");
        assertThat(rep.get("consistency")).isEqualTo("filesystem");
        t.clearTrace();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines())
                .as("Azure runs post scripts even after a failed pre script")
                .containsExactly("azure-post");
    }

    @Test
    void azureWithoutContinueBackupOnFailureAbortsAndStillRunsPost() throws Exception {
        t.script("/etc/vmware-tools/backupScripts.d/10-v", "v", 0);
        azure(false, 1, 0);
        assertThatThrownBy(() -> runner().freeze()).isInstanceOf(GuestException.class);
        assertThat(t.traceLines()).containsExactly("v freeze", "azure-pre p1 p2", "azure-post", "v freezeFail");
    }

    @Test
    void azureBadPermissionsMeanNoAzureScriptsAndCode306() throws Exception {
        azure(true, 0, 0);
        Files.setPosixFilePermissions(
                t.path("/opt/app/pre.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, Object> rep = runner().freeze().toMap();
        assertThat(t.traceLines()).isEmpty();
        assertThat(((Map<?, ?>) rep.get("azure")).get("code")).isEqualTo(306);
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        // with continueBackupOnFailure=false the same error stops the freeze
        azure(false, 0, 0);
        Files.setPosixFilePermissions(
                t.path("/opt/app/pre.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(e.azureCode()).isEqualTo(306));
    }

    @Test
    void freezeFailSendsFreezeFailToVmwareAndThawToOthers() throws Exception {
        t.script("/etc/vmware-tools/backupScripts.d/10-v", "v", 0);
        t.script("/etc/stillpoint/hooks.d/10-sp", "sp", 0);
        runner().freeze();
        t.clearTrace();
        runner().thaw(QuiesceRunner.ThawKind.FREEZE_FAIL, null);
        assertThat(t.traceLines()).containsExactly("sp thaw", "v freezeFail");
    }

    @Test
    void filesystemsFreezeDeepestFirstThawInReverseAndFailureUndoesEverything() throws Exception {
        t.script("/etc/vmware-tools/backupScripts.d/10-v", "v", 0);
        t.script("/etc/stillpoint/hooks.d/10-sp", "sp", 0);
        String data = tmp.resolve("data").toString();
        String deep = tmp.resolve("data/deep").toString();
        runner(List.of("/data", "/data/deep")).freeze();
        assertThat(fs.calls).containsExactly("freeze " + deep, "freeze " + data);
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(fs.calls).containsExactly("freeze " + deep, "freeze " + data, "thaw " + data, "thaw " + deep);
        fs.calls.clear();
        t.clearTrace();
        fs.failOn = java.util.Set.of(data);
        assertThatThrownBy(() -> runner(List.of("/data", "/data/deep")).freeze())
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(ExitCodes.of(e)).isEqualTo(ExitCodes.FSFREEZE_FAILED));
        assertThat(fs.calls).containsExactly("freeze " + deep, "freeze " + data, "thaw " + deep);
        assertThat(t.traceLines()).containsExactly("v freeze", "sp freeze", "sp thaw", "v freezeFail");
        assertThat(runner().frozen()).isFalse();
    }

    @Test
    void unknownMountIsRejectedBeforeAnyHookRuns() throws Exception {
        t.script("/etc/stillpoint/hooks.d/10-sp", "sp", 0);
        assertThatThrownBy(() -> runner(List.of("/nope")).freeze())
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MOUNT_NOT_FOUND));
        assertThat(t.traceLines()).isEmpty();
    }

    @Test
    void secondFreezeIsRefusedAndThawTwiceIsANoOp() throws Exception {
        t.script("/etc/stillpoint/hooks.d/10-sp", "sp", 0);
        runner().freeze();
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(ExitCodes.of(e)).isEqualTo(ExitCodes.BUSY));
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        Map<String, Object> report = dev.stillpoint.guest.Reports.map(new ReportStore(tmp).read());
        assertThat(runner().thaw(QuiesceRunner.ThawKind.THAW, null)).isNull();
        assertThat(t.traceLines()).containsExactly("sp freeze", "sp thaw");
        assertThat(dev.stillpoint.guest.Reports.map(new ReportStore(tmp).read()))
                .isEqualTo(report);
        assertThat(watchdogs).hasSize(1);
    }

    @Test
    void reportAndLogAreWritten() throws Exception {
        t.script("/etc/stillpoint/hooks.d/10-sp", "sp", 0);
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        Map<String, Object> rep = dev.stillpoint.guest.Reports.map(new ReportStore(tmp).read());
        assertThat(rep.get("result")).isEqualTo("ok");
        assertThat(rep.get("consistency")).isEqualTo("application");
        assertThat(((Number) rep.get("freezeWindowMs")).longValue()).isGreaterThanOrEqualTo(0);
        assertThat((List<?>) rep.get("hooks")).hasSize(2);
        String log = Files.readString(tmp.resolve(EventLog.PATH));
        assertThat(log)
                .contains("HOOK_END stillpoint:/etc/stillpoint/hooks.d/10-sp freeze exit 0")
                .contains("HOOK_END stillpoint:/etc/stillpoint/hooks.d/10-sp thaw exit 0")
                .containsPattern("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d");
    }

    @Test
    void noHooksMeansFilesystemConsistency() {
        Map<String, Object> rep = runner().freeze().toMap();
        assertThat(rep.get("consistency")).isEqualTo("filesystem");
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
    }

    @Test
    void hungHookAndItsForkedChildAreKilledAtTheTimeout() throws Exception {
        Path pidFile = tmp.resolve("child.pid");
        t.write(
                "/etc/stillpoint/hooks.d/10-hang",
                "#!/bin/sh\nsleep 300 &\necho $! > " + pidFile + "\nsleep 300\n",
                "rwx------");
        t.write("/etc/stillpoint/guest.conf", "[runner]\ntimeoutSeconds = 1\n", "rw-------");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> runner().freeze()).isInstanceOf(GuestException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
        long child = Long.parseLong(Files.readString(pidFile).trim());
        for (int i = 0;
                i < 50 && ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false);
                i++) Thread.sleep(100);
        assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false))
                .as("forked child killed")
                .isFalse();
        Map<String, Object> rep = dev.stillpoint.guest.Reports.map(new ReportStore(tmp).read());
        assertThat(((Map<?, ?>) ((List<?>) rep.get("hooks")).get(0)).get("result"))
                .isEqualTo("timeout");
    }

    @Test
    void vmwareToolsConfScriptArgIsAppendedAndExecScriptsFalseDisablesTheGroup() throws Exception {
        t.script("/etc/vmware-tools/backupScripts.d/10-v", "v", 0);
        t.write(
                "/etc/vmware-tools/tools.conf",
                "[logging]\nscriptArg = wrong\n[vmbackup]\n# comment\nscriptArg = nightly\n",
                "rw-r--r--");
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).containsExactly("v freeze nightly", "v thaw nightly");
        t.clearTrace();
        t.write("/etc/stillpoint/guest.conf", "[vmware]\nscriptArg = mine\n", "rw-------");
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).as("guest.conf wins").containsExactly("v freeze mine", "v thaw mine");
        t.clearTrace();
        t.write("/etc/vmware-tools/tools.conf", "[vmbackup]\nexecScripts = false\n", "rw-r--r--");
        Map<String, Object> rep = runner().freeze().toMap();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).isEmpty();
        assertThat(rep.get("skipped").toString()).contains("execScripts=false");
    }
}
