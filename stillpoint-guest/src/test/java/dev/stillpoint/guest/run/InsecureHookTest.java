package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.doctor.Doctor;
import dev.stillpoint.guest.doctor.FindingCode;
import dev.stillpoint.guest.state.ReportStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 17 item 7: a hook that others could have changed is not run; the freeze fails as for a failed hook. */
class InsecureHookTest extends SyslogFixture {
    static final String Q = "/etc/qemu/fsfreeze-hook.d/";

    void chmod(String guest, String perms) throws Exception {
        Files.setPosixFilePermissions(t.path(guest), PosixFilePermissions.fromString(perms));
    }

    /** 10-a runs and is undone; 20-bad is refused and not run; 30-c never runs; the report and syslog say why. */
    void assertRefused(String badGuest, String rule, String namedFile) throws Exception {
        assertThatThrownBy(() -> runner().freeze()).isInstanceOfSatisfying(GuestException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.HOOK_INSECURE);
            assertThat(e.exitCode()).isEqualTo(ExitCodes.hookFailed(2));
            assertThat(e.getMessage()).contains(rule).contains(namedFile);
        });
        assertThat(t.traceLines()).containsExactly("a freeze", "a thaw");
        GuestReport rep = GuestReport.parse(Files.readString(t.root.resolve(ReportStore.PATH)));
        assertThat(rep.result()).isEqualTo("failed");
        assertThat(rep.failedHook()).isEqualTo("qemu:" + badGuest);
        GuestReport.HookRun refused = rep.hooks().stream()
                .filter(h -> h.result().equals("refused"))
                .findFirst()
                .orElseThrow();
        assertThat(refused.name()).isEqualTo(badGuest);
        assertThat(refused.error()).contains(rule).contains(namedFile);
        assertThat(Files.readString(t.root.resolve(EventLog.PATH)))
                .contains("refused (not run)")
                .contains(rule)
                .contains(namedFile);
        List<String> lines = syslog.await(2);
        assertThat(lines)
                .anySatisfy(l -> assertThat(l)
                        .startsWith("<11>")
                        .contains("stillpoint-guest:")
                        .contains("refused")
                        .contains(rule));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("freeze failed"));
        assertThat(runner().frozen()).isFalse();
    }

    void chain() throws Exception {
        t.script(Q + "10-a", "a", 0);
        t.script(Q + "30-c", "c", 0);
    }

    @Test
    void worldWritableHookIsRefused() throws Exception {
        chain();
        t.script(Q + "20-bad", "bad", 0);
        chmod(Q + "20-bad", "rwxrwxrwx");
        assertRefused(Q + "20-bad", "GROUP_WORLD_WRITABLE", Q + "20-bad");
    }

    @Test
    void hookNotOwnedByRootIsRefused() throws Exception {
        chain();
        t.script(Q + "20-bad", "bad", 0);
        Files.setAttribute(t.path(Q + "20-bad"), "unix:uid", 1000);
        assertRefused(Q + "20-bad", "OWNER_NOT_ROOT", Q + "20-bad");
    }

    @Test
    void hookInAWorldWritableDirectoryIsRefused() throws Exception {
        chain();
        t.script(Q + "20-bad", "bad", 0);
        chmod("/etc/qemu", "rwxrwxrwx");
        // every hook of that directory is below /etc/qemu: the first one is refused, nothing runs
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOfSatisfying(
                        GuestException.class,
                        e -> assertThat(e.getMessage())
                                .contains("DIR_WRITABLE /etc/qemu:")
                                .contains("refused"));
        assertThat(t.traceLines()).isEmpty();
        assertThat(syslog.await(2)).anySatisfy(l -> assertThat(l).contains("DIR_WRITABLE"));
    }

    @Test
    void symlinkToAWorldWritableTargetOutsideTheDirectoryIsRefused() throws Exception {
        chain();
        Path target = t.script("/opt/evil/hook.sh", "bad", 0);
        chmod("/opt/evil/hook.sh", "rwxrwxrwx");
        Files.createSymbolicLink(t.path(Q + "20-bad"), target);
        assertRefused(Q + "20-bad", "GROUP_WORLD_WRITABLE", "-> /opt/evil/hook.sh");
    }

    @Test
    void symlinkToATargetInAWorldWritableDirectoryIsRefused() throws Exception {
        chain();
        Path target = t.script("/opt/evil/hook.sh", "bad", 0);
        chmod("/opt/evil", "rwxrwxrwx");
        Files.createSymbolicLink(t.path(Q + "20-bad"), target);
        assertRefused(Q + "20-bad", "DIR_WRITABLE", "/opt/evil");
    }

    @Test
    void guestConfCanAcceptAGroupWritableHookButNeverAWorldWritableOne() throws Exception {
        chain();
        t.script(Q + "20-bad", "bad", 0);
        chmod(Q + "20-bad", "rwxrwx---");
        t.write("/etc/stillpoint/guest.conf", "[hook \"" + Q + "20-bad\"]\nacceptGroupWritable = true\n", "rw-------");
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines())
                .containsExactly("a freeze", "bad freeze", "c freeze", "a thaw", "bad thaw", "c thaw");
        t.clearTrace();
        chmod(Q + "20-bad", "rwxrwx-w-");
        assertRefused(Q + "20-bad", "GROUP_WORLD_WRITABLE", Q + "20-bad");
    }

    @Test
    void aHookThatBecomesWritableBeforeThawIsNotRunAtThaw() throws Exception {
        chain();
        runner().freeze();
        chmod(Q + "30-c", "rwxrwxrwx");
        assertThatThrownBy(() -> runner().thaw(QuiesceRunner.ThawKind.THAW, null))
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.THAW_INCOMPLETE));
        assertThat(t.traceLines()).containsExactly("a freeze", "c freeze", "a thaw");
    }

    @Test
    void doctorAndRunnerUseTheSameRule() throws Exception {
        chain();
        Path target = t.script("/opt/evil/hook.sh", "bad", 0);
        chmod("/opt/evil", "rwxrwxrwx");
        Files.createSymbolicLink(t.path(Q + "20-bad"), target);
        Doctor.Result r = new Doctor(t.root, null).run();
        assertThat(r.findings).anySatisfy(f -> {
            assertThat(f.code).isEqualTo(FindingCode.DIR_WRITABLE);
            assertThat(f.file).isEqualTo("/opt/evil");
            assertThat(f.reason).contains("refuses to run it");
        });
    }
}
