package dev.stillpoint.guest.apps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.hooks.Hook;
import dev.stillpoint.guest.run.GuestTree;
import dev.stillpoint.guest.run.QuiesceRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 3 (seed 003): the built-in {@code [app "iris"]} quiescer against scripted {@code iris},
 * {@code ccontrol}, {@code csession} and {@code logger} on PATH that behave as the seed describes: two instances,
 * IRIS1 running and IRIS2 down; {@code ExternalFreeze}/{@code ExternalThaw} exit 5 on success, 3 on failure
 * (or a code written to {@code bin/freeze-INSTANCE} / {@code bin/thaw-INSTANCE}); a file {@code bin/up-INSTANCE}
 * starts an instance.
 */
class IrisQuiescerTest {
    @TempDir
    Path tmp;

    Path bin;
    Path root;
    String out;
    String err;

    static final String IRIS = String.join(
            "\n",
            "#!/bin/sh",
            "d=$(dirname \"$0\")",
            "up() { [ \"$1\" = IRIS1 ] || [ -f \"$d/up-$1\" ]; }",
            "case \"$1\" in",
            "qlist)",
            "  for i in IRIS1 IRIS2; do",
            "    if up $i; then s='running, since Sun Dec  6 05:00:00 2026'; else s='down, last used Sat Dec  5 23:10:00 2026'; fi",
            "    echo \"$i^/usr/$i^2024.1.0.262.0^$s^iris.cpf^1972^52773^0^ok^IRIS^\"",
            "  done ;;",
            "session)",
            "  inst=$2; cmd=$4",
            "  echo \"$inst $cmd\" >> \"$d/calls\"",
            "  log=$(printf '%s' \"$cmd\" | sed -n 's/.*(\"\\([^\"]*\\)\".*/\\1/p')",
            "  case \"$cmd\" in",
            "    *ExternalFreeze*) rc=$(cat \"$d/freeze-$inst\" 2>/dev/null || echo 5); echo \"ExternalFreeze: System suspended\" >> \"$log\"; exit $rc ;;",
            "    *ExternalThaw*) rc=$(cat \"$d/thaw-$inst\" 2>/dev/null || echo 5); echo \"ExternalThaw: System resumed\" >> \"$log\"; exit $rc ;;",
            "    *ExternalSetHistory*) echo \"ExternalSetHistory\" >> \"$log\"; exit 1 ;;",
            "  esac; exit 99 ;;",
            "*) exit 64 ;;",
            "esac",
            "");

    static final String CCONTROL = String.join(
            "\n",
            "#!/bin/sh",
            "d=$(dirname \"$0\")",
            "[ \"$1\" = qall ] || exit 64",
            "echo 'Instance Name     Version ID        Port   Directory'",
            "echo '-------------------------------   --------------   ------   ---------'",
            "echo 'up >  CACHE1        2017.1.0.792.0    56772  /usr/cachesys'",
            "echo 'dn    CACHE2        2017.1.0.792.0    56773  /usr/cache2'",
            "");

    static final String CSESSION = String.join(
            "\n", "#!/bin/sh", "d=$(dirname \"$0\")", "echo \"csession $1 $3\" >> \"$d/calls\"", "exit 5", "");

    static final String LOGGER = String.join("\n", "#!/bin/sh", "echo \"$*\" >> \"$(dirname \"$0\")/syslog\"", "");

    @BeforeEach
    void setUp() throws IOException {
        bin = tmp.resolve("bin");
        root = tmp.resolve("root");
        Files.createDirectories(bin);
        Files.createDirectories(root);
        exe("logger", LOGGER);
    }

    void exe(String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    }

    Hook hook(String... keys) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("logDir", "/var/log");
        for (int i = 0; i < keys.length; i += 2) m.put(keys[i], keys[i + 1]);
        return AppQuiescers.hook(root, "iris", m, dev.stillpoint.guest.config.GuestConfig.defaults());
    }

    /** Runs a hook command with the fakes first on PATH; returns its exit code. */
    int run(List<String> argv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("PATH", bin + ":/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] o = p.getInputStream().readAllBytes();
        byte[] e = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        out = new String(o, StandardCharsets.UTF_8);
        err = new String(e, StandardCharsets.UTF_8);
        return p.exitValue();
    }

    List<String> lines(String name) throws IOException {
        Path p = bin.resolve(name);
        return Files.exists(p) ? Files.readAllLines(p) : List.of();
    }

    String instanceLog(String inst) {
        return root.resolve("var/log/" + inst + "-pre_post.log").toString();
    }

    @Test
    void freezesTheRunningInstanceSkipsTheDownOneAndThawsWithSetHistory() throws Exception {
        exe("iris", IRIS);
        Hook h = hook();
        assertThat(h.holdsLock).isTrue();
        assertThat(h.timeoutSeconds).isEqualTo(300);
        assertThat(run(h.freeze)).as(err).isZero();
        assertThat(out).contains("IRIS1 IS FROZEN").contains("IRIS2 is down: skipped");
        assertThat(lines("calls"))
                .containsExactly(
                        "IRIS1 ##Class(Backup.General).ExternalFreeze(\"" + instanceLog("IRIS1") + "\",,,,,,1800)");
        assertThat(Files.readAllLines(Path.of(instanceLog("IRIS1"))))
                .containsExactly("ExternalFreeze: System suspended");
        assertThat(run(h.thaw)).as(err).isZero();
        assertThat(out).contains("IRIS1 IS THAWED");
        assertThat(lines("calls"))
                .containsExactly(
                        "IRIS1 ##Class(Backup.General).ExternalFreeze(\"" + instanceLog("IRIS1") + "\",,,,,,1800)",
                        "IRIS1 ##Class(Backup.General).ExternalThaw(\"" + instanceLog("IRIS1") + "\")",
                        "IRIS1 ##Class(Backup.General).ExternalSetHistory(\"" + instanceLog("IRIS1") + "\")");
        assertThat(Path.of(instanceLog("IRIS2"))).doesNotExist();
        assertThat(lines("syslog")).isEmpty();
    }

    @Test
    void aFailedFreezeThawsTheInstancesAlreadyFrozenLogsToSyslogAndFails() throws Exception {
        exe("iris", IRIS);
        Files.writeString(bin.resolve("up-IRIS2"), "");
        Files.writeString(bin.resolve("freeze-IRIS2"), "3");
        Hook h = hook();
        assertThat(run(h.freeze)).isEqualTo(1);
        assertThat(lines("calls"))
                .extracting(l -> l.substring(0, l.indexOf("(\"")))
                .containsExactly(
                        "IRIS1 ##Class(Backup.General).ExternalFreeze",
                        "IRIS2 ##Class(Backup.General).ExternalFreeze",
                        "IRIS1 ##Class(Backup.General).ExternalThaw",
                        "IRIS1 ##Class(Backup.General).ExternalSetHistory");
        assertThat(lines("syslog"))
                .singleElement()
                .satisfies(l -> assertThat(l)
                        .startsWith("-p user.err -t stillpoint-guest")
                        .contains("freeze of IRIS2 failed"));
        // nothing is left to thaw
        assertThat(run(h.thaw)).isZero();
        assertThat(out).contains("nothing to thaw");
    }

    @Test
    void anUnknownFreezeStatusIsAFailureToo() throws Exception {
        exe("iris", IRIS);
        Files.writeString(bin.resolve("freeze-IRIS1"), "1");
        assertThat(run(hook().freeze)).isEqualTo(1);
        assertThat(lines("syslog"))
                .singleElement()
                .satisfies(l -> assertThat(l).contains("unknown ExternalFreeze status 1"));
    }

    @Test
    void aFailedThawIsReportedAndLoggedAndSkipsSetHistory() throws Exception {
        exe("iris", IRIS);
        Hook h = hook();
        assertThat(run(h.freeze)).isZero();
        Files.writeString(bin.resolve("thaw-IRIS1"), "3");
        assertThat(run(h.thaw)).isEqualTo(1);
        assertThat(lines("calls")).noneMatch(l -> l.contains("ExternalSetHistory"));
        assertThat(lines("syslog")).singleElement().satisfies(l -> assertThat(l).contains("thaw of IRIS1 failed"));
    }

    @Test
    void cacheInstancesComeFromCcontrolQallAndRunThroughCsession() throws Exception {
        exe("ccontrol", CCONTROL);
        exe("csession", CSESSION);
        Hook h = hook();
        assertThat(run(h.freeze)).as(err).isZero();
        assertThat(out).contains("CACHE1 IS FROZEN").contains("CACHE2 is down: skipped");
        assertThat(run(h.thaw)).as(err).isZero();
        assertThat(lines("calls"))
                .containsExactly(
                        "csession CACHE1 ##Class(Backup.General).ExternalFreeze(\"" + instanceLog("CACHE1")
                                + "\",,,,,,1800)",
                        "csession CACHE1 ##Class(Backup.General).ExternalThaw(\"" + instanceLog("CACHE1") + "\")",
                        "csession CACHE1 ##Class(Backup.General).ExternalSetHistory(\"" + instanceLog("CACHE1")
                                + "\")");
    }

    @Test
    void withoutIrisOrCcontrolTheFreezeFailsAndSaysWhy() throws Exception {
        assertThat(run(hook().freeze)).isEqualTo(1);
        assertThat(err).contains("neither iris nor ccontrol found");
    }

    @Test
    void onlyTheConfiguredInstances() throws Exception {
        exe("iris", IRIS);
        Files.writeString(bin.resolve("up-IRIS2"), "");
        assertThat(run(hook("instances", "IRIS2").freeze)).isZero();
        assertThat(lines("calls")).singleElement().satisfies(l -> assertThat(l).startsWith("IRIS2 "));
    }

    @Test
    void throughTheRunnerTheReportShowsTheHookAndHowLongIrisWasHeld() throws Exception {
        exe("iris", IRIS);
        new GuestTree(root)
                .write(
                        "/etc/stillpoint/guest.conf",
                        "[app \"iris\"]\niris = " + bin.resolve("iris") + "\n",
                        "rw-------");
        QuiesceRunner.Options o = QuiesceRunner.Options.of(root)
                .withNoFsfreeze(true)
                .withWatchdog((r, token, d) -> -1)
                .withBuiltIns(new AppQuiescers());
        new QuiesceRunner(o, e -> {}).freeze();
        Thread.sleep(200);
        GuestReport rep = new QuiesceRunner(o, e -> {}).thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(rep.result()).isEqualTo("ok");
        assertThat(rep.consistency()).isEqualTo("application");
        List<String> phases = new ArrayList<>();
        for (GuestReport.HookRun r : rep.hooks()) phases.add(r.name() + " " + r.phase() + " " + r.result());
        assertThat(phases).containsExactly("app:iris freeze ok", "app:iris thaw ok");
        assertThat(rep.appHeld()).singleElement().satisfies(hd -> {
            assertThat(hd.hook()).isEqualTo("stillpoint:app:iris");
            assertThat(hd.ms()).isGreaterThanOrEqualTo(200);
        });
        assertThat(rep.ioFrozenMs()).isNotNull();
    }
}
