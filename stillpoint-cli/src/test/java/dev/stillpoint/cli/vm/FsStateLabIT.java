package dev.stillpoint.cli.vm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import dev.stillpoint.cli.backup.E2eGuest;
import dev.stillpoint.testkit.lab.ExecResult;
import dev.stillpoint.testkit.lab.GuestLab;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code stillpoint vm fs-state} against a real Debian 12 guest of the lab (libvirt, TCG, qemu-ga;
 * the JVM's shared guest, {@link E2eGuest}) through the libvirt connector. The expected state is read
 * independently: {@code dumpe2fs -h} run in the guest through the agent.
 */
class FsStateLabIT {
    static GuestLab guest;
    static String domain;
    static String previousConnector;

    @BeforeAll
    static void up() {
        previousConnector = System.getProperty("stillpoint.connector");
        guest = E2eGuest.shared();
        domain = guest.name();
    }

    @AfterAll
    static void down() {
        if (previousConnector == null) {
            System.clearProperty("stillpoint.connector");
        } else {
            System.setProperty("stillpoint.connector", previousConnector);
        }
        if (guest != null) {
            GuestLab.virsh("domfsthaw", domain); // best effort: never leave the shared guest frozen
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void thawedGuestReportsTheStateDumpe2fsShowsInside() throws Exception {
        Map<String, Object> j = fsState();
        assertThat(j)
                .containsEntry("domain", domain)
                .containsEntry("freezeStatus", "thawed")
                .containsEntry("note", null);
        List<Map<String, Object>> fs = (List<Map<String, Object>>) j.get("filesystems");
        Map<String, Object> root = fs.stream()
                .filter(f -> ((List<String>) f.get("mountpoints")).contains("/"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no ext filesystem mounted on / in " + j));
        String device = (String) root.get("device");
        ExecResult inside = guest.exec("/sbin/dumpe2fs", "-h", device);
        Matcher m = Pattern.compile("(?m)^Filesystem state:\\s*(.+?)\\s*$").matcher(inside.stdout());
        assertThat(m.find())
                .as("dumpe2fs in the guest: %s %s", inside.stdout(), inside.stderr())
                .isTrue();
        assertThat(root)
                .containsEntry("state", m.group(1))
                .containsEntry("error", null)
                .containsEntry("clean", m.group(1).equals("clean"));
    }

    @Test
    void frozenGuestReportsFrozenWithANote() throws Exception {
        GuestLab.virsh("domfsfreeze", domain).orThrow();
        try {
            Map<String, Object> j = fsState();
            assertThat(j).containsEntry("freezeStatus", "frozen").containsEntry("filesystems", List.of());
            assertThat((String) j.get("note")).contains("frozen");
        } finally {
            GuestLab.virsh("domfsthaw", domain).orThrow();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> fsState() throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute("vm", "fs-state", domain, "--json", "--timeout", "60");
        assertThat(rc).as("exit code; stderr: %s", err).isZero();
        return (Map<String, Object>) JSON.std.anyFrom(out.toString());
    }
}
