package dev.stillpoint.guest.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.cli.GuestMain;
import dev.stillpoint.guest.doctor.Finding.Severity;
import dev.stillpoint.guest.run.GuestTree;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Each case builds one misconfiguration and asserts the exact (and only) finding: severity, code, file, reason. */
class DoctorTest {
    static final String VM = "/etc/vmware-tools/backupScripts.d/";
    static final String QD = "/etc/qemu/fsfreeze-hook.d/";
    static final String AZ = "/etc/azure/VMSnapshotScriptPluginConfig.json";
    static final String OK_SCRIPT = "#!/bin/sh\ncase \"$1\" in freeze) ;; thaw) ;; esac\nexit 0\n";

    @TempDir
    Path root;

    GuestTree t;

    @BeforeEach
    void setUp() {
        t = new GuestTree(root);
    }

    List<Finding> findings() {
        return new Doctor(root, new dev.stillpoint.guest.apps.AppQuiescers()).run().findings;
    }

    /** Exactly one finding, and it is this one. */
    void assertOnly(Severity s, FindingCode c, String file, String reasonPart) {
        assertOnly(s, c, file, reasonPart, null);
    }

    void assertOnly(Severity s, FindingCode c, String file, String reasonPart, Integer azure) {
        List<Finding> f = findings();
        assertThat(f).as("findings %s", f).hasSize(1);
        Finding x = f.get(0);
        assertThat(x.severity).as(x.toString()).isEqualTo(s);
        assertThat(x.code).as(x.toString()).isEqualTo(c);
        assertThat(x.file).as(x.toString()).isEqualTo(file);
        assertThat(x.reason).as(x.toString()).contains(reasonPart);
        assertThat(x.azureCode).as(x.toString()).isEqualTo(azure);
    }

    void chown(String guest, int uid) throws Exception {
        Files.setAttribute(t.path(guest), "unix:uid", uid);
    }

    void azure(String json) throws Exception {
        t.write("/opt/app/pre.sh", "#!/bin/sh\nexit 0\n", "rwx------");
        t.write("/opt/app/post.sh", "#!/bin/sh\nexit 0\n", "rwx------");
        t.write(AZ, json, "rw-------");
    }

    static String azJson(String extra) {
        return "{\"pluginName\":\"ScriptRunner\",\"preScriptLocation\":\"/opt/app/pre.sh\",\"postScriptLocation\":\"/opt/app/post.sh\","
                + "\"timeoutInSeconds\":30" + extra + "}";
    }

    @Test
    void cleanTreeHasNoFindingsAndExitsZero() throws Exception {
        t.write(VM + "10-db", OK_SCRIPT, "rwx------");
        t.write(QD + "10-db", OK_SCRIPT, "rwx------");
        t.write("/usr/local/sbin/pre_freeze", "#!/bin/sh\nexit 0\n", "rwx------");
        t.write("/usr/local/sbin/post_thaw", "#!/bin/sh\nexit 0\n", "rwx------");
        azure(azJson(""));
        assertThat(findings()).isEmpty();
        assertThat(cli()).isZero();
    }

    int cli() {
        CommandLine cl = GuestMain.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute("doctor", "--root", root.toString(), "--json");
    }

    @Test
    void groupWritableVmwareScript() throws Exception {
        t.write(VM + "10-db", OK_SCRIPT, "rwxrwxrwx");
        assertOnly(Severity.ERROR, FindingCode.GROUP_WORLD_WRITABLE, VM + "10-db", "mode 777");
        assertThat(cli()).isEqualTo(3);
    }

    @Test
    void scriptNotOwnedByRoot() throws Exception {
        t.write(VM + "10-db", OK_SCRIPT, "rwx------");
        chown(VM + "10-db", 1000);
        assertOnly(Severity.ERROR, FindingCode.OWNER_NOT_ROOT, VM + "10-db", "owner uid 1000");
    }

    @Test
    void nonExecutableInVmwareDirFailsTheQuiesce() throws Exception {
        t.write(VM + "10-db", OK_SCRIPT, "rw-------");
        assertOnly(Severity.ERROR, FindingCode.NOT_EXECUTABLE, VM + "10-db", "exits 126");
    }

    @Test
    void nonExecutableInQemuDirIsSilentlySkipped() throws Exception {
        t.write(QD + "10-db", OK_SCRIPT, "rw-------");
        assertOnly(Severity.WARNING, FindingCode.NOT_EXECUTABLE, QD + "10-db", "silently skipped");
    }

    @Test
    void packageLeftoverInVmwareDirRuns() throws Exception {
        t.write(VM + "10-db.dpkg-old", OK_SCRIPT, "rwx------");
        assertOnly(
                Severity.ERROR, FindingCode.PACKAGE_LEFTOVER, VM + "10-db.dpkg-old", "VMware runs every regular file");
    }

    @Test
    void packageLeftoverInQemuDirIsIgnored() throws Exception {
        t.write(QD + "10-db.rpmnew", OK_SCRIPT, "rwx------");
        assertOnly(Severity.WARNING, FindingCode.PACKAGE_LEFTOVER, QD + "10-db.rpmnew", ".rpmnew");
    }

    @Test
    void crlfLineEndings() throws Exception {
        t.write(QD + "10-db", OK_SCRIPT.replace("\n", "\r\n"), "rwx------");
        assertOnly(Severity.ERROR, FindingCode.CRLF, QD + "10-db", "dos2unix");
    }

    @Test
    void missingInterpreterLine() throws Exception {
        t.write(VM + "10-db", "case \"$1\" in freeze) ;; esac\n", "rwx------");
        assertOnly(Severity.WARNING, FindingCode.NO_INTERPRETER, VM + "10-db", "no interpreter line");
    }

    @Test
    void nutanixWithoutInterpreterLineIsAnError() throws Exception {
        t.write("/usr/local/sbin/pre_freeze", "echo freeze\n", "rwx------");
        t.write("/usr/local/sbin/post_thaw", "#!/bin/sh\necho thaw\n", "rwx------");
        assertOnly(Severity.ERROR, FindingCode.NO_INTERPRETER, "/usr/local/sbin/pre_freeze", "no interpreter line");
    }

    @Test
    void doubleDispatchOfSeparateFreezeAndThawScripts() throws Exception {
        t.write(VM + "freeze.sh", "#!/bin/sh\nsystemctl stop app\n", "rwx------");
        t.write(VM + "thaw.sh", "#!/bin/sh\nsystemctl start app\n", "rwx------");
        List<Finding> f = findings();
        assertThat(f)
                .extracting(x -> x.code + " " + x.file)
                .containsExactly("DOUBLE_DISPATCH " + VM + "freeze.sh", "DOUBLE_DISPATCH " + VM + "thaw.sh");
        assertThat(f.get(0).reason).contains("runs at freeze AND at thaw");
    }

    @Test
    void doubleDispatchInQemuDir() throws Exception {
        t.write(QD + "pre-db.sh", "#!/bin/sh\nmysql -e 'FLUSH TABLES'\n", "rwx------");
        assertOnly(Severity.ERROR, FindingCode.DOUBLE_DISPATCH, QD + "pre-db.sh", "qemu-ga passes freeze/thaw");
    }

    @Test
    void singlePhaseNameThatDispatchesOnArgumentIsFine() throws Exception {
        t.write(QD + "freeze-db.sh", OK_SCRIPT, "rwx------");
        assertThat(findings()).isEmpty();
    }

    @Test
    void lowerCaseFreezefail() throws Exception {
        t.write(VM + "10-db", "#!/bin/sh\nif [ \"$1\" = freezefail ]; then echo undo; fi\n", "rwx------");
        assertOnly(Severity.WARNING, FindingCode.FREEZEFAIL_LOWERCASE, VM + "10-db", "VMware sends 'freezeFail'");
    }

    @Test
    void directoryInsideVmwareDirIsNotRegular() throws Exception {
        Files.createDirectories(t.path(VM + "old"));
        assertOnly(Severity.WARNING, FindingCode.NOT_REGULAR, VM + "old", "VMware ignores it");
    }

    @Test
    void legacyPreFreezeScriptNotExecutable() throws Exception {
        t.write("/usr/sbin/pre-freeze-script", "#!/bin/sh\nexit 0\n", "rw-------");
        assertOnly(Severity.ERROR, FindingCode.NOT_EXECUTABLE, "/usr/sbin/pre-freeze-script", "exits 126");
    }

    @Test
    void emptyScript() throws Exception {
        t.write(QD + "10-db", "", "rwx------");
        assertOnly(Severity.WARNING, FindingCode.EMPTY_SCRIPT, QD + "10-db", "empty");
    }

    @Test
    void worldWritableHookDirectory() throws Exception {
        Files.createDirectories(t.path("/etc/stillpoint/hooks.d"));
        Files.setPosixFilePermissions(
                t.path("/etc/stillpoint/hooks.d"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        assertOnly(Severity.ERROR, FindingCode.DIR_WRITABLE, "/etc/stillpoint/hooks.d", "mode 777");
    }

    @Test
    void nutanixMode755() throws Exception {
        t.write("/usr/local/sbin/pre_freeze", "#!/bin/sh\nexit 0\n", "rwxr-xr-x");
        t.write("/usr/local/sbin/post_thaw", "#!/bin/sh\nexit 0\n", "rwx------");
        assertOnly(
                Severity.ERROR,
                FindingCode.NUTANIX_PERMISSIONS,
                "/usr/local/sbin/pre_freeze",
                "mode 755: Nutanix needs root-owned 700");
    }

    @Test
    void nutanixOwnerNotRoot() throws Exception {
        t.write("/usr/local/sbin/pre_freeze", "#!/bin/sh\nexit 0\n", "rwx------");
        t.write("/usr/local/sbin/post_thaw", "#!/bin/sh\nexit 0\n", "rwx------");
        chown("/usr/local/sbin/post_thaw", 1000);
        assertOnly(Severity.ERROR, FindingCode.NUTANIX_PERMISSIONS, "/usr/local/sbin/post_thaw", "owner uid 1000");
    }

    @Test
    void nutanixCrlf() throws Exception {
        t.write("/usr/local/sbin/pre_freeze", "#!/bin/sh\r\nexit 0\r\n", "rwx------");
        t.write("/usr/local/sbin/post_thaw", "#!/bin/sh\nexit 0\n", "rwx------");
        assertOnly(Severity.ERROR, FindingCode.CRLF, "/usr/local/sbin/pre_freeze", "CRLF");
    }

    @Test
    void nutanixOnlyPreFreeze() throws Exception {
        t.write("/usr/local/sbin/pre_freeze", "#!/bin/sh\nexit 0\n", "rwx------");
        assertOnly(
                Severity.WARNING,
                FindingCode.NUTANIX_INCOMPLETE,
                "/usr/local/sbin/pre_freeze",
                "nothing undoes the freeze");
    }

    @Test
    void azureJsonMode644Is317() throws Exception {
        azure(azJson(""));
        Files.setPosixFilePermissions(t.path(AZ), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, AZ, "mode 644", 317);
    }

    @Test
    void azureJsonMode700Is317BecauseOfOwnerExecute() throws Exception {
        azure(azJson(""));
        Files.setPosixFilePermissions(t.path(AZ), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, AZ, "no owner execute bit", 317);
    }

    @Test
    void azureJsonOwnerNotRootIs317() throws Exception {
        azure(azJson(""));
        chown(AZ, 1000);
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, AZ, "owner uid 1000 is not root", 317);
    }

    @Test
    void azureInvalidJsonIs305() throws Exception {
        azure("{\"preScriptLocation\": \"/opt/app/pre.sh\",");
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, AZ, "invalid JSON", 305);
    }

    @Test
    void azureMissingRequiredKeyIs305() throws Exception {
        azure("{\"preScriptLocation\":\"/opt/app/pre.sh\"}");
        assertOnly(
                Severity.ERROR, FindingCode.AZURE_CONFIG, AZ, "field postScriptLocation: required key is missing", 305);
    }

    @Test
    void azureWrongTypeIs305() throws Exception {
        azure(azJson(",\"preScriptNoOfRetries\":\"2\""));
        assertOnly(
                Severity.ERROR,
                FindingCode.AZURE_CONFIG,
                AZ,
                "field preScriptNoOfRetries: must be an integer, got string",
                305);
    }

    @Test
    void azureBooleanAsStringIs305() throws Exception {
        azure(azJson(",\"continueBackupOnFailure\":\"false\""));
        assertOnly(
                Severity.ERROR,
                FindingCode.AZURE_CONFIG,
                AZ,
                "field continueBackupOnFailure: must be true or false",
                305);
    }

    @Test
    void azureTimeoutAboveCapIsCapped() throws Exception {
        azure(azJson("").replace("\"timeoutInSeconds\":30", "\"timeoutInSeconds\":3600"));
        assertOnly(
                Severity.WARNING,
                FindingCode.AZURE_WARNING,
                AZ,
                "field timeoutInSeconds: 3600 is above Azure's cap; 1800 s is used");
    }

    @Test
    void azureTimeoutZeroIsOutOfRange() throws Exception {
        azure(azJson("").replace("\"timeoutInSeconds\":30", "\"timeoutInSeconds\":0"));
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, AZ, "field timeoutInSeconds: 0 is out of range", 305);
    }

    @Test
    void azurePollTimeOutOfRange() throws Exception {
        azure(azJson(",\"ScriptsExecutionPollTimeSeconds\":9"));
        assertOnly(
                Severity.WARNING,
                FindingCode.AZURE_WARNING,
                AZ,
                "field ScriptsExecutionPollTimeSeconds: 9 is outside 1..5; Azure uses 3");
    }

    @Test
    void azureUnknownKey() throws Exception {
        azure(azJson(",\"timeoutInSecond\":60"));
        assertOnly(Severity.WARNING, FindingCode.AZURE_WARNING, AZ, "field timeoutInSecond: unknown key");
    }

    @Test
    void azurePreScriptMissingIs302() throws Exception {
        azure(azJson(""));
        Files.delete(t.path("/opt/app/pre.sh"));
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, "/opt/app/pre.sh", "script not found", 302);
    }

    @Test
    void azurePostScriptMissingIs303() throws Exception {
        azure(azJson(""));
        Files.delete(t.path("/opt/app/post.sh"));
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, "/opt/app/post.sh", "script not found", 303);
    }

    @Test
    void azurePreScriptMode755Is306() throws Exception {
        azure(azJson(""));
        Files.setPosixFilePermissions(
                t.path("/opt/app/pre.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertOnly(
                Severity.ERROR, FindingCode.AZURE_CONFIG, "/opt/app/pre.sh", "mode 755 gives group/other access", 306);
    }

    @Test
    void azurePostScriptOwnerIs307AndContinueFalseFailsBackup() throws Exception {
        azure(azJson(",\"continueBackupOnFailure\":false"));
        chown("/opt/app/post.sh", 1000);
        assertOnly(Severity.ERROR, FindingCode.AZURE_CONFIG, "/opt/app/post.sh", "so the backup fails", 307);
    }

    @Test
    void azureScriptWithPythonInterpreterRunsUnderSh() throws Exception {
        azure(azJson(""));
        t.write("/opt/app/pre.sh", "#!/usr/bin/python3\nprint('x')\n", "rwx------");
        assertOnly(
                Severity.ERROR,
                FindingCode.AZURE_SH_INTERPRETER,
                "/opt/app/pre.sh",
                "ignores the interpreter line '#!/usr/bin/python3'");
    }

    @Test
    void azureHostConfWorldWritableIs314() throws Exception {
        t.write("/etc/azure/VMSnapshotPluginHost.conf", "[pre_post]\ntimeoutInSeconds: 1800\n", "rw-rw-rw-");
        assertOnly(
                Severity.ERROR,
                FindingCode.AZURE_HOST_CONF,
                "/etc/azure/VMSnapshotPluginHost.conf",
                "group and other digits must be 0 or 4",
                314);
    }

    @Test
    void qemuGaInstalledWithHooksButHookOff() throws Exception {
        t.write("/usr/sbin/qemu-ga", "\u007fELF", "rwxr-xr-x");
        t.write(
                "/lib/systemd/system/qemu-guest-agent.service",
                "[Service]\nExecStart=-/usr/sbin/qemu-ga\n",
                "rw-r--r--");
        t.write(QD + "10-db", OK_SCRIPT, "rwx------");
        assertOnly(
                Severity.ERROR,
                FindingCode.QEMU_HOOK_NOT_ENABLED,
                "/etc/qemu/qemu-ga.conf",
                "fsfreeze-hook.d scripts never run");
    }

    @Test
    void qemuGaRunningWithoutHookAlthoughDropInEnablesIt() throws Exception {
        t.write("/usr/sbin/qemu-ga", "\u007fELF", "rwxr-xr-x");
        t.write("/etc/qemu/fsfreeze-hook", "#!/bin/sh\nexit 0\n", "rwxr-xr-x");
        t.write(
                "/etc/systemd/system/qemu-guest-agent.service.d/stillpoint.conf",
                "[Service]\nExecStart=\nExecStart=-/usr/sbin/qemu-ga -F/etc/qemu/fsfreeze-hook\n",
                "rw-r--r--");
        t.write("/proc/4242/cmdline", "/usr/sbin/qemu-ga\0", "r--r--r--");
        assertOnly(Severity.ERROR, FindingCode.QEMU_HOOK_NOT_ENABLED, "/proc (qemu-ga)", "restart the agent");
    }

    @Test
    void qemuGaHookEnabledButHookFileMissing() throws Exception {
        t.write("/usr/sbin/qemu-ga", "\u007fELF", "rwxr-xr-x");
        t.write(
                "/etc/systemd/system/qemu-guest-agent.service.d/stillpoint.conf",
                "[Service]\nExecStart=\nExecStart=-/usr/sbin/qemu-ga -F/etc/qemu/fsfreeze-hook\n",
                "rw-r--r--");
        assertOnly(
                Severity.ERROR, FindingCode.QEMU_HOOK_MISSING, "/etc/qemu/fsfreeze-hook", "missing or not executable");
    }

    @Test
    void qemuGaEnabledThroughQemuGaConfIsFine() throws Exception {
        t.write("/usr/sbin/qemu-ga", "\u007fELF", "rwxr-xr-x");
        t.write("/etc/qemu/fsfreeze-hook", "#!/bin/sh\nexit 0\n", "rwxr-xr-x");
        t.write("/etc/qemu/qemu-ga.conf", "[general]\nfsfreeze-hook=/etc/qemu/fsfreeze-hook\n", "rw-r--r--");
        t.write("/proc/4242/cmdline", "/usr/sbin/qemu-ga\0", "r--r--r--");
        t.write(QD + "10-db", OK_SCRIPT, "rwx------");
        assertThat(findings()).isEmpty();
    }

    @Test
    void invalidGuestConf() throws Exception {
        t.write("/etc/stillpoint/guest.conf", "[runner]\ntimeoutSeconds = soon\n", "rw-------");
        assertOnly(
                Severity.ERROR,
                FindingCode.CONFIG_INVALID,
                "/etc/stillpoint/guest.conf",
                "CONFIG_BAD_VALUE: guest.conf:2 [runner] timeoutSeconds: 'soon' is not an integer");
    }

    @Test
    void guestConfHookSectionMatchesNothing() throws Exception {
        t.write(
                "/etc/stillpoint/guest.conf",
                "[hook \"/etc/qemu/fsfreeze-hook.d/10-gone\"]\nsuccessExitCodes = 0,5\n",
                "rw-------");
        assertOnly(
                Severity.WARNING,
                FindingCode.CONFIG_UNKNOWN_HOOK,
                "/etc/stillpoint/guest.conf",
                "matches no discovered hook");
    }

    @Test
    void activeFreezeIsReported() throws Exception {
        t.write(
                "/run/stillpoint/state.json",
                "{\"version\":1,\"token\":\"x\",\"startedAt\":\"2026-01-01T00:00:00Z\",\"phase\":\"frozen\","
                        + "\"runnerPid\":1,\"noFsfreeze\":true,\"hooks\":[],\"mounts\":[],\"hooksDoneAt\":0,\"deadline\":0,"
                        + "\"maxFreezeSeconds\":60,\"watchdogPid\":-1,\"report\":{\"version\":1,\"result\":\"frozen\"}}",
                "rw-------");
        assertOnly(
                Severity.WARNING,
                FindingCode.FROZEN_NOW,
                "/run/stillpoint/state.json",
                "a freeze is active since 2026-01-01T00:00:00Z");
    }

    @Test
    void groupWritableGuestConfRunsCommandsAsRoot() throws Exception {
        t.write("/etc/stillpoint/guest.conf", "[runner]\ntimeoutSeconds = 30\n", "rw-rw-r--");
        assertOnly(
                Severity.ERROR,
                FindingCode.CONFIG_PERMISSIONS,
                "/etc/stillpoint/guest.conf",
                "mode 664 lets group/others change commands");
    }

    @Test
    void appsDFileNotOwnedByRoot() throws Exception {
        t.write("/etc/stillpoint/apps.d/iris.conf", "type = command\nfreeze = true\n", "rw-------");
        chown("/etc/stillpoint/apps.d/iris.conf", 1000);
        assertOnly(
                Severity.ERROR, FindingCode.CONFIG_PERMISSIONS, "/etc/stillpoint/apps.d/iris.conf", "owner uid 1000");
    }

    @Test
    void badAppsDFileIsAConfigError() throws Exception {
        t.write("/etc/stillpoint/apps.d/db.conf", "type = oracle\n", "rw-------");
        assertOnly(
                Severity.ERROR,
                FindingCode.CONFIG_INVALID,
                "/etc/stillpoint/apps.d/db.conf",
                "[app \"db\"] type: 'oracle' is not one of");
    }
}
