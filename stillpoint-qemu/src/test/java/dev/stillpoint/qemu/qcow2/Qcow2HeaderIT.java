package dev.stillpoint.qemu.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.testkit.HostPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images made by real qemu-img ({@code snapshot -c}: disk-only, VM SIZE 0) and a real QEMU
 * ({@code savevm} under {@code -M none}: a small saved VM state), read by {@link Qcow2Header} and
 * compared with what {@code qemu-img info --output=json} reports for the same file.
 */
class Qcow2HeaderIT {
    private static final Pattern ENTRY = Pattern.compile("\\{[^{}]*\"vm-state-size\"[^{}]*}");

    @TempDir
    Path dir;

    @Test
    void matchesQemuImgForDiskOnlyAndVmStateSnapshots() throws Exception {
        HostPrograms.require("qemu-img", "qemu-io", "qemu-system-x86_64");
        Path base = dir.resolve("base.qcow2");
        HostPrograms.qcow2(base, "32M", "write -P 0x11 0 1M");
        Path img = dir.resolve("disk.qcow2");
        HostPrograms.run(
                "qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", img.toString());
        HostPrograms.run("qemu-img", "snapshot", "-c", "first", img.toString());
        HostPrograms.qemuIo(img, "write -P 0x22 2M 2M");
        savevm(img, "with-state");
        HostPrograms.run("qemu-img", "snapshot", "-c", "third", img.toString());

        Qcow2Header h = Qcow2Header.read(img);
        List<String[]> expected = qemuImgSnapshots(img);
        assertThat(h.backingFile()).isEqualTo(base.toString());
        assertThat(h.virtualSize()).isEqualTo(32L << 20);
        assertThat(h.snapshots()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            Qcow2Snapshot s = h.snapshots().get(i);
            String[] e = expected.get(i);
            assertThat(s.name()).isEqualTo(e[0]);
            assertThat(s.id()).isEqualTo(e[1]);
            assertThat(s.vmStateSize()).as("VM SIZE of %s", s.name()).isEqualTo(Long.parseLong(e[2]));
            assertThat(s.date().getEpochSecond()).isEqualTo(Long.parseLong(e[3]));
        }
        assertThat(h.snapshot("with-state").vmStateSize()).isPositive();
        assertThat(h.snapshot("first").vmStateSize()).isZero();

        HostPrograms.run("qemu-img", "snapshot", "-d", "with-state", img.toString());
        assertThat(Qcow2Header.read(img).snapshots())
                .extracting(Qcow2Snapshot::name)
                .containsExactly("first", "third");
    }

    /** {name, id, vm-state-size, date-sec} per snapshot, in qemu-img's order. */
    private static List<String[]> qemuImgSnapshots(Path img) throws Exception {
        String json = HostPrograms.run("qemu-img", "info", "--output=json", img.toString());
        List<String[]> out = new ArrayList<>();
        Matcher m = ENTRY.matcher(json);
        while (m.find()) {
            String o = m.group();
            out.add(new String[] {field(o, "name"), field(o, "id"), field(o, "vm-state-size"), field(o, "date-sec")});
        }
        return out;
    }

    private static String field(String object, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*\"?([^\",}\\s]*)").matcher(object);
        if (!m.find()) throw new AssertionError("no " + key + " in " + object);
        return m.group(1);
    }

    /** A QEMU with no machine saves the (tiny) VM state of nothing into the image: VM SIZE > 0. */
    private static void savevm(Path img, String name) throws Exception {
        Process p = new ProcessBuilder(
                        "qemu-system-x86_64",
                        "-M",
                        "none",
                        "-nodefaults",
                        "-display",
                        "none",
                        "-drive",
                        "file=" + img + ",if=none,id=d0,format=qcow2",
                        "-monitor",
                        "stdio")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().write(("savevm " + name + "\nquit\n").getBytes());
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS))
                .as("qemu savevm finished: %s", out)
                .isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(Files.exists(img)).isTrue();
    }
}
