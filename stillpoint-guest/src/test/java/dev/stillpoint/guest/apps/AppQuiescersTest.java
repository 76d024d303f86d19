package dev.stillpoint.guest.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.config.GuestConfigParser;
import dev.stillpoint.guest.run.GuestTree;
import dev.stillpoint.guest.run.QuiesceRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppQuiescersTest {
    @TempDir
    Path root;

    GuestTree t;

    @BeforeEach
    void setUp() {
        t = new GuestTree(root);
    }

    QuiesceRunner runner() {
        QuiesceRunner.Options o = QuiesceRunner.Options.of(root)
                .withNoFsfreeze(true)
                .withWatchdog((r, token, d) -> -1)
                .withBuiltIns(new AppQuiescers());
        return new QuiesceRunner(o, e -> {});
    }

    @Test
    void commandPairWithIrisStyleExitCodesRunsAfterHooksDAndThawsFirst() throws Exception {
        t.script("/etc/stillpoint/hooks.d/10-sp", "sp", 0);
        t.write(
                "/etc/stillpoint/guest.conf",
                "[app \"iris\"]\ntype = command\nfreeze = echo iris-freeze >> " + t.trace() + "; exit 5\n"
                        + "thaw = echo iris-thaw >> " + t.trace() + "\nsuccessExitCodes = 5\n",
                "rw-------");
        Map<String, Object> rep = runner().freeze().toMap();
        assertThat(rep.get("consistency")).isEqualTo("application");
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).containsExactly("sp freeze", "iris-freeze", "iris-thaw", "sp thaw");
    }

    @Test
    void commandFailureCodeIsNotMappedToSuccess() throws Exception {
        t.write(
                "/etc/stillpoint/guest.conf",
                "[app \"iris\"]\ntype = command\nfreeze = exit 3\nsuccessExitCodes = 5\n",
                "rw-------");
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(ExitCodes.of(e)).isEqualTo(64));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> hooks = (List<Map<String, Object>>)
                dev.stillpoint.guest.Reports.map(new dev.stillpoint.guest.state.ReportStore(root).read())
                        .get("hooks");
        assertThat(hooks.get(0).get("name")).isEqualTo("app:iris");
        assertThat(hooks.get(0).get("exitCode")).isEqualTo(3);
    }

    @Test
    void serviceStopsUnitsAtFreezeAndStartsThemInReverseAtThaw() throws Exception {
        t.write("/fake/systemctl", "#!/bin/sh\necho \"systemctl $*\" >> " + t.trace() + "\n", "rwx------");
        t.write(
                "/etc/stillpoint/apps.d/share.conf",
                "type = service\nunits = smbd nfs-server\nsystemctl = " + t.path("/fake/systemctl") + "\n",
                "rw-------");
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(t.traceLines()).containsExactly("systemctl stop smbd nfs-server", "systemctl start nfs-server smbd");
    }

    @Test
    void postgresqlNeedsNoTypeLineAndBuildsPsqlCheckpoint() throws Exception {
        t.write("/etc/stillpoint/guest.conf", "[app \"postgresql\"]\nport = 5433\n", "rw-------");
        var hooks = new AppQuiescers().hooks(root, GuestConfigParser.load(t.path("/etc/stillpoint/guest.conf")));
        assertThat(hooks).hasSize(1);
        assertThat(hooks.get(0).freeze)
                .containsExactly(
                        "runuser",
                        "-u",
                        "postgres",
                        "--",
                        "psql",
                        "-X",
                        "-q",
                        "-w",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-h",
                        "/var/run/postgresql",
                        "-p",
                        "5433",
                        "-d",
                        "postgres",
                        "-c",
                        "CHECKPOINT");
        assertThat(hooks.get(0).thaw).isNull();
    }

    @Test
    void badAppConfigNamesFileSectionKeyAndRule() throws Exception {
        t.write("/etc/stillpoint/guest.conf", "[app \"db\"]\ntype = oracle\n", "rw-------");
        assertThatThrownBy(() -> runner().freeze()).isInstanceOfSatisfying(GuestException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_BAD_VALUE);
            assertThat(e.getMessage())
                    .endsWith(
                            "guest.conf:1: [app \"db\"] type: 'oracle' is not one of postgresql, mysql, mariadb, iris, command, service");
        });
        t.write("/etc/stillpoint/guest.conf", "[app \"postgresql\"]\nprot = 5432\n", "rw-------");
        assertThatThrownBy(() -> runner().freeze()).isInstanceOfSatisfying(GuestException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_UNKNOWN_KEY);
            assertThat(e.getMessage()).contains("[app \"postgresql\"] prot: unknown key for type postgresql");
        });
        t.write("/etc/stillpoint/guest.conf", "", "rw-------");
        t.write("/etc/stillpoint/apps.d/pg.conf", "type = postgresql\nport = 99999\n", "rw-------");
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOfSatisfying(
                        GuestException.class,
                        e -> assertThat(e.getMessage())
                                .endsWith("apps.d/pg.conf: [app \"pg\"] port: 99999 is out of range 1..65535"));
    }
}
