package dev.stillpoint.cli.analyze;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code stillpoint vm fs-state} against a real Debian 12 guest of the lab (libvirt, TCG, qemu-ga)
 * through the libvirt connector. The expected state is read independently: {@code dumpe2fs -h}
 * run in the guest by {@code scripts/lab exec}.
 */
class FsStateLabIT {
    static final String DOMAIN = "sp-diag-fsit";
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path LAB = ROOT.resolve("scripts/lab");
    static String previousConnector;

    @BeforeAll
    static void up() throws Exception {
        Optional<String> libvirt = ServiceLoader.load(VmConnectorProvider.class).stream()
                .map(p -> p.type().getName()).filter(n -> n.startsWith("dev.stillpoint.libvirt.")).findFirst();
        boolean virsh = run(10, "sh", "-c", "command -v virsh").code == 0;
        if (!(Files.isExecutable(LAB) && libvirt.isPresent() && virsh)) {
            String why = "needs scripts/lab, virsh and the libvirt VmConnectorProvider (lab " + Files.isExecutable(LAB)
                    + ", connector " + libvirt.isPresent() + ", virsh " + virsh + ")";
            if (Boolean.getBoolean("stillpoint.it.required")) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        previousConnector = System.getProperty("stillpoint.connector");
        System.setProperty("stillpoint.connector", libvirt.get());
        run(30, "sh", "-c", ". " + ROOT + "/scripts/lib.sh && stillpoint_start_libvirt");
        check(run(900, LAB.toString(), "up", DOMAIN, "--replace", "--timeout", "600"), "lab up");
    }

    @AfterAll
    static void down() throws Exception {
        if (previousConnector == null) {
            System.clearProperty("stillpoint.connector");
        } else {
            System.setProperty("stillpoint.connector", previousConnector);
        }
        if (Files.isExecutable(LAB)) {
            run(60, "virsh", "-q", "-c", "qemu:///system", "domfsthaw", DOMAIN);
            run(300, LAB.toString(), "down", DOMAIN);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void thawedGuestReportsTheStateDumpe2fsShowsInside() throws Exception {
        Map<String, Object> j = fsState();
        assertThat(j).containsEntry("domain", DOMAIN).containsEntry("freezeStatus", "thawed").containsEntry("note", null);
        List<Map<String, Object>> fs = (List<Map<String, Object>>) j.get("filesystems");
        Map<String, Object> root = fs.stream().filter(f -> ((List<String>) f.get("mountpoints")).contains("/"))
                .findFirst().orElseThrow(() -> new AssertionError("no ext filesystem mounted on / in " + j));
        String device = (String) root.get("device");
        Result inside = run(300, LAB.toString(), "exec", DOMAIN, "--", "/sbin/dumpe2fs", "-h", device);
        Matcher m = Pattern.compile("(?m)^Filesystem state:\\s*(.+?)\\s*$").matcher(inside.out);
        assertThat(m.find()).as("dumpe2fs in the guest: %s %s", inside.out, inside.err).isTrue();
        assertThat(root).containsEntry("state", m.group(1)).containsEntry("error", null)
                .containsEntry("clean", m.group(1).equals("clean"));
    }

    @Test
    void frozenGuestReportsFrozenWithANote() throws Exception {
        check(run(60, "virsh", "-q", "-c", "qemu:///system", "domfsfreeze", DOMAIN), "domfsfreeze");
        try {
            Map<String, Object> j = fsState();
            assertThat(j).containsEntry("freezeStatus", "frozen").containsEntry("filesystems", List.of());
            assertThat((String) j.get("note")).contains("frozen");
        } finally {
            check(run(60, "virsh", "-q", "-c", "qemu:///system", "domfsthaw", DOMAIN), "domfsthaw");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> fsState() throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute("vm", "fs-state", DOMAIN, "--json", "--timeout", "60");
        assertThat(rc).as("exit code; stderr: %s", err).isZero();
        return (Map<String, Object>) JSON.std.anyFrom(out.toString());
    }

    record Result(int code, String out, String err) {}

    static Result run(long timeoutSec, String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("sp-diag-it", ".out");
        Path err = Files.createTempFile("sp-diag-it", ".err");
        try {
            Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", cmd) + " did not finish within " + timeoutSec + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static void check(Result r, String what) throws IOException {
        if (r.code != 0) {
            throw new IOException(what + " exited " + r.code + ": " + r.err);
        }
    }
}
