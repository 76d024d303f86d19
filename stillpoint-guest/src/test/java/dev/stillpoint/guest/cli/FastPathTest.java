package dev.stillpoint.guest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.run.GuestTree;
import dev.stillpoint.guest.run.WatchdogLauncher;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The picocli-free hot path gives the same results, output and exit codes as picocli, and declines everything else. */
class FastPathTest {
    @TempDir
    Path root;

    final List<String> armed = new ArrayList<>();
    final WatchdogLauncher noWatchdog = (r, token, d) -> {
        armed.add(token);
        return -1;
    };

    Integer fast(StringWriter out, StringWriter err, String... args) {
        return FastPath.run(args, new PrintWriter(out), new PrintWriter(err), noWatchdog);
    }

    @Test
    void freezeAndThawRunTheHooksLikePicocli() throws Exception {
        GuestTree t = new GuestTree(root);
        t.script("/etc/stillpoint/hooks.d/10-db", "db", 0);
        t.script("/etc/qemu/fsfreeze-hook.d/10-q", "q", 0);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(fast(out, err, "freeze", "--no-fsfreeze", "--root", root.toString()))
                .isZero();
        assertThat(out.toString()).isEqualTo("freeze: frozen, consistency application\n");
        assertThat(err.toString()).contains("freeze root=" + root + " (hooks only, --no-fsfreeze)");
        assertThat(armed).hasSize(1);
        assertThat(t.traceLines()).containsExactly("q freeze", "db freeze");
        assertThat(Files.exists(root.resolve("run/stillpoint/state.json"))).isTrue();

        // a second freeze fails as with picocli: ALREADY_FROZEN, same message and exit code
        StringWriter err2 = new StringWriter();
        int code = fast(new StringWriter(), err2, "freeze", "--no-fsfreeze", "--root=" + root);
        StringWriter err3 = new StringWriter();
        CommandLine cl = GuestMain.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err3));
        assertThat(code)
                .isEqualTo(cl.execute("freeze", "--no-fsfreeze", "--root", root.toString()))
                .isNotZero();
        assertThat(err2.toString()).contains("stillpoint-guest: ALREADY_FROZEN: already frozen since");
        assertThat(err3.toString()).contains("stillpoint-guest: ALREADY_FROZEN: already frozen since");

        StringWriter tout = new StringWriter();
        assertThat(fast(tout, new StringWriter(), "thaw", "--root", root.toString(), "--json"))
                .isZero();
        assertThat(tout.toString()).startsWith("{").contains("\"result\":\"ok\"");
        assertThat(t.traceLines()).containsExactly("q freeze", "db freeze", "db thaw", "q thaw");
        assertThat(Files.exists(root.resolve("run/stillpoint/state.json"))).isFalse();
        // thaw with nothing frozen: no-op, exit 0, no output on stdout
        StringWriter nout = new StringWriter();
        assertThat(fast(nout, new StringWriter(), "thaw", "--root", root.toString()))
                .isZero();
        assertThat(nout.toString()).isEmpty();
    }

    @Test
    void skipGroupIsHonoured() throws Exception {
        GuestTree t = new GuestTree(root);
        t.script("/etc/vmware-tools/backupScripts.d/10-v", "v", 0);
        t.script("/etc/stillpoint/hooks.d/10-db", "db", 0);
        assertThat(fast(
                        new StringWriter(),
                        new StringWriter(),
                        "freeze",
                        "--no-fsfreeze",
                        "--skip-group",
                        "vmware",
                        "--root",
                        root.toString()))
                .isZero();
        assertThat(fast(
                        new StringWriter(),
                        new StringWriter(),
                        "freeze-fail",
                        "--skip-group",
                        "vmware",
                        "--root",
                        root.toString()))
                .isZero();
        assertThat(t.traceLines()).containsExactly("db freeze", "db thaw");
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        String r = root.toString();
        for (String[] args : new String[][] {
            {},
            {"--help"},
            {"report"},
            {"doctor"},
            {"install", "--for", "qemu-ga"},
            {"freeze", "--help"},
            {"freeze", "--mount", "/data"},
            {"freeze", "--max-freeze-seconds", "5"},
            {"freeze", "--root"},
            {"freeze", "--root", r, "--root", r},
            {"freeze", "--json", "--json"},
            {"freeze", "--skip-group", "bogus"},
            {"freeze", "--root", "--json"},
            {"freeze", "extra"},
            {"thaw", "--token", "x"},
            {"freeze", "--no-fsfreeze=true"},
            {"watchdog", "--root", r},
            {"watchdog", "--token", "t", "--deadline", "soon"},
            {"watchdog", "--token", "t", "--json"}
        }) {
            assertThat(fast(new StringWriter(), new StringWriter(), args))
                    .as(String.join(" ", args))
                    .isNull();
        }
        assertThat(armed).isEmpty();
    }

    @Test
    void watchdogWithNoFreezeLeavesAtOnce() {
        assertThat(fast(
                        new StringWriter(),
                        new StringWriter(),
                        "watchdog",
                        "--root",
                        root.toString(),
                        "--token",
                        "t",
                        "--deadline",
                        "0"))
                .isZero();
    }
}
