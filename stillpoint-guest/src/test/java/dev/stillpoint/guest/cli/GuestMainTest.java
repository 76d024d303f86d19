package dev.stillpoint.guest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.run.GuestTree;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Exit codes are the same standalone and when mounted by a host CLI with its own exception handler. */
class GuestMainTest {
    @TempDir
    Path root;

    @Command(name = "host")
    static final class Host implements Runnable {
        @Override
        public void run() {}
    }

    int run(boolean mounted, StringWriter err, String... args) {
        CommandLine cl;
        if (mounted) {
            cl = new CommandLine(new Host());
            cl.setExecutionExceptionHandler((ex, line, pr) -> 99);
            cl.addSubcommand("guest", GuestMain.commandLine());
            String[] a = new String[args.length + 1];
            a[0] = "guest";
            System.arraycopy(args, 0, a, 1, args.length);
            args = a;
        } else {
            cl = GuestMain.commandLine();
        }
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void failedHookExitCodeAndMessageStandaloneAndMounted() throws Exception {
        GuestTree t = new GuestTree(root);
        t.script("/etc/stillpoint/hooks.d/10-ok", "ok", 0);
        t.script("/etc/stillpoint/hooks.d/20-bad", "bad", 7);
        for (boolean mounted : new boolean[] {false, true}) {
            StringWriter err = new StringWriter();
            assertThat(run(mounted, err, "freeze", "--root", root.toString(), "--no-fsfreeze"))
                    .as("mounted=%s", mounted)
                    .isEqualTo(65);
            assertThat(err.toString())
                    .contains(
                            "stillpoint-guest: HOOK_FAILED: freeze hook 2 stillpoint:/etc/stillpoint/hooks.d/20-bad failed");
        }
    }

    @Test
    void badConfigIsExit2AndDoctorErrorsExit3() throws Exception {
        GuestTree t = new GuestTree(root);
        t.write("/etc/stillpoint/guest.conf", "[runner]\ntimeoutSeconds = x\n", "rw-------");
        for (boolean mounted : new boolean[] {false, true}) {
            StringWriter err = new StringWriter();
            assertThat(run(mounted, err, "freeze", "--root", root.toString(), "--no-fsfreeze"))
                    .isEqualTo(2);
            assertThat(err.toString())
                    .contains("CONFIG_BAD_VALUE")
                    .contains("guest.conf:2 [runner] timeoutSeconds: 'x' is not an integer");
            assertThat(run(mounted, new StringWriter(), "doctor", "--root", root.toString()))
                    .isEqualTo(3);
            assertThat(run(mounted, new StringWriter(), "thaw", "--root", root.toString()))
                    .as("thaw with nothing frozen")
                    .isZero();
        }
    }
}
