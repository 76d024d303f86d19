package dev.stillpoint.qemu.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.testkit.HostPrograms;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bare server (an in-memory source of an odd size with holes) against libnbd's and qemu's
 * clients: {@code nbdinfo --list --json} (LIST, INFO, meta contexts), {@code nbdinfo --map},
 * {@code nbdcopy} over four connections with many requests in flight, {@code qemu-img convert},
 * {@code qemu-io -r} pattern reads.
 */
class NbdServerIT {
    static final int SIZE = (12 << 20) + 1024; // sector-aligned, not block-aligned: clients round odd sizes to 512
    static final int BLOCK = InMemoryExportSource.BLOCK;

    @TempDir
    static Path dir;

    static Path socket;
    static InMemoryExportSource vda;
    static NbdServer server;

    @BeforeAll
    static void serve() throws Exception {
        HostPrograms.require("qemu-img", "qemu-io", "nbdinfo", "nbdcopy");
        vda = InMemoryExportSource.patterned(SIZE, 0, 1, 7, 40, 41, 42, 43, 191);
        server = NbdServer.builder()
                .export("vda", vda)
                .export("second", InMemoryExportSource.patterned(BLOCK))
                .build();
        socket = dir.resolve("nbd.sock");
        server.listen(UnixDomainSocketAddress.of(socket));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    static String uri(String export) {
        return "nbd+unix:///" + export + "?socket=" + socket;
    }

    @Test
    void nbdinfoListsBothExportsReadOnlyWithBaseAllocation() throws Exception {
        String out = HostPrograms.run("nbdinfo", "--list", "--json", uri("")).replaceAll("\\s+", "");
        assertThat(out)
                .contains(
                        "\"structured\":true",
                        "\"export-name\":\"vda\"",
                        "\"export-name\":\"second\"",
                        "\"export-size\":" + SIZE + ",",
                        "\"is_read_only\":true",
                        "\"can_multi_conn\":true",
                        "\"can_flush\":false",
                        "\"contexts\":[\"base:allocation\"]",
                        "\"block_size_maximum\":" + (32 << 20));
        assertThat(out.indexOf("\"export-name\":\"vda\"")).isLessThan(out.indexOf("\"export-name\":\"second\""));
    }

    @Test
    void nbdinfoMapShowsTheHoles() throws Exception {
        List<String> map = new ArrayList<>();
        for (String l : HostPrograms.run("nbdinfo", "--map", uri("vda")).strip().split("\n")) {
            String[] f = l.strip().split("\\s+");
            map.add(f[0] + " " + f[1] + " " + f[2]);
        }
        int hole = BlockExtent.STATE_HOLE | BlockExtent.STATE_ZERO;
        assertThat(map)
                .containsExactly(
                        "0 " + 2 * BLOCK + " " + hole,
                        2 * BLOCK + " " + 5 * BLOCK + " 0",
                        7 * BLOCK + " " + BLOCK + " " + hole,
                        8 * BLOCK + " " + 32 * BLOCK + " 0",
                        40 * BLOCK + " " + 4 * BLOCK + " " + hole,
                        44 * BLOCK + " " + (147 * BLOCK) + " 0",
                        191 * BLOCK + " " + BLOCK + " " + hole,
                        192 * BLOCK + " " + (SIZE - 192 * BLOCK) + " 0");
    }

    @Test
    void nbdcopyOverFourConnectionsAndQemuImgConvertCopyEveryByte() throws Exception {
        Path copied = dir.resolve("nbdcopy.raw");
        HostPrograms.run(
                "nbdcopy", "--connections=4", "--requests=16", "--request-size=65536", uri("vda"), copied.toString());
        assertThat(Files.readAllBytes(copied)).isEqualTo(vda.data);
        Path converted = dir.resolve("convert.raw");
        HostPrograms.run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri("vda"), converted.toString());
        assertThat(Files.readAllBytes(converted)).isEqualTo(vda.data);
        assertThat(server.acceptedConnections()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void qemuIoReadsPatternsAcrossHolesAndTheShortTail() throws Exception {
        byte b = vda.data[3 * BLOCK];
        String ok = HostPrograms.run(
                "qemu-io",
                "-r",
                "-f",
                "raw",
                "-c",
                "read -P 0 0 128k",
                "-c",
                String.format("read -P 0x%02x %d 1", b & 0xff, 3 * BLOCK),
                "-c",
                "read -P 0 " + 191 * BLOCK + " 64k",
                "-c",
                "read " + (SIZE - 4096) + " 4096",
                uri("vda"));
        assertThat(ok)
                .doesNotContain("verification failed")
                .contains("read 4096/4096 bytes at offset " + (SIZE - 4096));
        byte wrong = (byte) (b + 1);
        Process p = new ProcessBuilder(
                        "qemu-io",
                        "-r",
                        "-f",
                        "raw",
                        "-c",
                        String.format("read -P 0x%02x %d 1", wrong & 0xff, 3 * BLOCK),
                        uri("vda"))
                .redirectErrorStream(true)
                .start();
        assertThat(new String(p.getInputStream().readAllBytes())).contains("Pattern verification failed");
        p.waitFor();
    }
}
