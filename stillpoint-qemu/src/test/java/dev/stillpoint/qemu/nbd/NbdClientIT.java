package dev.stillpoint.qemu.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.testkit.HostPrograms;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real {@code qemu-nbd --read-only} serving a qcow2 with data, zero clusters, holes and
 * a persistent dirty bitmap: bytes equal {@code qemu-img convert}, extents equal
 * {@code qemu-img map}, dirty extents equal what was written after the bitmap was added.
 */
class NbdClientIT {
    private static final long SIZE = 64L << 20;
    private static final String BITMAP = "bm0";
    private static final String DIRTY = NbdClient.DIRTY_BITMAP_PREFIX + BITMAP;

    @TempDir
    static Path dir;

    static Path image;
    static Path socket;
    static Process server;

    @BeforeAll
    static void serveImage() throws Exception {
        HostPrograms.require("qemu-img", "qemu-io", "qemu-nbd");
        image = dir.resolve("disk.qcow2");
        socket = dir.resolve("nbd.sock");
        HostPrograms.run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), Long.toString(SIZE));
        HostPrograms.run(
                "qemu-io",
                "-f",
                "qcow2",
                image.toString(),
                "-c",
                "write -P 0x11 0 1M",
                "-c",
                "write -P 0x22 4M 512k",
                "-c",
                "write -z 8M 1M",
                "-c",
                "write -P 0x33 60M 4k");
        HostPrograms.run("qemu-img", "bitmap", "--add", "--enable", "-f", "qcow2", image.toString(), BITMAP);
        HostPrograms.run("qemu-io", "-f", "qcow2", image.toString(), "-c", "write -P 0xab 1M 64k");
        server = new ProcessBuilder(
                        "qemu-nbd",
                        "--read-only",
                        "--persistent",
                        "--shared=4",
                        "--socket=" + socket,
                        "-f",
                        "qcow2",
                        "-x",
                        "vda",
                        "-B",
                        BITMAP,
                        image.toString())
                .redirectErrorStream(true)
                .start();
        waitFor(socket);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly().waitFor();
        }
    }

    @Test
    void bytesReadEqualQemuImgConvert() throws Exception {
        Path raw = dir.resolve("disk.raw");
        HostPrograms.run("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", image.toString(), raw.toString());
        byte[] expected = Files.readAllBytes(raw);
        ByteBuffer actual = ByteBuffer.allocate((int) SIZE);
        try (NbdClient nbd = NbdClient.connect(socket, "vda", List.of(NbdClient.BASE_ALLOCATION))) {
            assertThat(nbd.size()).isEqualTo(SIZE);
            assertThat(nbd.readOnly()).isTrue();
            nbd.read(0, actual);
        }
        assertThat(Arrays.mismatch(actual.array(), expected))
                .as("first differing byte")
                .isEqualTo(-1);
        assertThat(actual.get((int) (1L << 20))).isEqualTo((byte) 0xab);
        assertThat(actual.get((int) (60L << 20))).isEqualTo((byte) 0x33);
    }

    @Test
    void allocationExtentsEqualQemuImgMap() throws Exception {
        List<BlockExtent> expected = merge(qemuImgMap());
        List<BlockExtent> actual;
        try (NbdClient nbd = NbdClient.connect(socket, "vda", List.of(NbdClient.BASE_ALLOCATION, DIRTY))) {
            assertThat(nbd.hasContext(NbdClient.BASE_ALLOCATION)).isTrue();
            actual = merge(allExtents(nbd, NbdClient.BASE_ALLOCATION));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(actual).anySatisfy(e -> assertThat(e.hole()).isTrue());
        assertThat(actual).anySatisfy(e -> assertThat(!e.hole() && !e.zero()).isTrue());
    }

    @Test
    void dirtyExtentsAreExactlyTheWritesAfterTheBitmapWasAdded() throws Exception {
        List<BlockExtent> dirty = new ArrayList<>();
        try (NbdClient nbd = NbdClient.connect(socket, "vda", List.of(NbdClient.BASE_ALLOCATION, DIRTY))) {
            assertThat(nbd.hasContext(DIRTY)).isTrue();
            for (BlockExtent e : allExtents(nbd, DIRTY)) if (e.dirty()) dirty.add(e);
        }
        assertThat(merge(dirty)).containsExactly(new BlockExtent(1L << 20, 64 << 10, BlockExtent.STATE_DIRTY));
    }

    @Test
    void unknownExportFailsWithOptionErrorCode() {
        assertThatThrownBy(() -> NbdClient.connect(socket, "nope", List.of()))
                .isInstanceOf(NbdException.class)
                .satisfies(e -> assertThat(((NbdException) e).code()).isEqualTo(NbdErrorCode.REP_ERR_UNKNOWN))
                .hasMessageContaining("'nope'");
    }

    @Test
    void tcpConnectionReadsTheSameBytes() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process tcp = new ProcessBuilder(
                        "qemu-nbd",
                        "--read-only",
                        "--bind=127.0.0.1",
                        "--port=" + port,
                        "-f",
                        "qcow2",
                        "-x",
                        "vda",
                        image.toString())
                .redirectErrorStream(true)
                .start();
        try {
            NbdClient nbd = connectTcp(port);
            try (nbd) {
                ByteBuffer b = ByteBuffer.allocate(8192);
                nbd.read((4L << 20) - 4096, b);
                assertThat(b.get(0)).isZero();
                assertThat(b.get(4096)).isEqualTo((byte) 0x22);
            }
        } finally {
            tcp.destroy();
            tcp.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Reads 128 MiB of written data in 4 MiB reads and prints the rate (measurement, not a limit). */
    @Test
    void readThroughputOnAFullyAllocatedImage() throws Exception {
        Path big = dir.resolve("big.qcow2");
        Path sock = dir.resolve("big.sock");
        long size = 128L << 20;
        HostPrograms.run("qemu-img", "create", "-q", "-f", "qcow2", big.toString(), Long.toString(size));
        HostPrograms.run("qemu-io", "-f", "qcow2", big.toString(), "-c", "write -P 0x61 0 128M");
        Process p = new ProcessBuilder(
                        "qemu-nbd", "--read-only", "--socket=" + sock, "-f", "qcow2", "-x", "big", big.toString())
                .redirectErrorStream(true)
                .start();
        try {
            for (int i = 0; i < 200 && !Files.exists(sock); i++) Thread.sleep(25);
            try (NbdClient nbd = NbdClient.connect(sock, "big", List.of(NbdClient.BASE_ALLOCATION))) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 << 20);
                long t0 = System.nanoTime();
                for (long at = 0; at < size; at += b.capacity()) {
                    b.clear();
                    nbd.read(at, b);
                    assertThat(b.get(0)).isEqualTo((byte) 0x61);
                }
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf(
                        "NBD read over unix socket: %d MiB in %.2f s = %.0f MiB/s%n", size >> 20, s, (size >> 20) / s);
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static NbdClient connectTcp(int port) throws Exception {
        for (int i = 0; ; i++) {
            try {
                return NbdClient.connect("127.0.0.1", port, "vda", List.of());
            } catch (IOException e) {
                if (i > 100) throw e;
                Thread.sleep(50);
            }
        }
    }

    static List<BlockExtent> allExtents(NbdClient nbd, String context) throws IOException {
        List<BlockExtent> all = new ArrayList<>();
        long at = 0;
        while (at < nbd.size()) {
            List<BlockExtent> part = nbd.blockStatus(context, at, nbd.size() - at);
            all.addAll(part);
            at = part.get(part.size() - 1).end();
        }
        return all;
    }

    static List<BlockExtent> merge(List<BlockExtent> extents) {
        List<BlockExtent> out = new ArrayList<>();
        for (BlockExtent e : extents) {
            BlockExtent last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.end() == e.offset() && last.flags() == e.flags()) {
                out.set(out.size() - 1, new BlockExtent(last.offset(), last.length() + e.length(), last.flags()));
            } else {
                out.add(e);
            }
        }
        return out;
    }

    /** qemu-img map --output=json, as base:allocation flags (HOLE = not data, ZERO = zero). */
    private static List<BlockExtent> qemuImgMap() throws Exception {
        String json = HostPrograms.run("qemu-img", "map", "-U", "--output=json", "-f", "qcow2", image.toString());
        Pattern p = Pattern.compile(
                "\"start\":\\s*(\\d+),\\s*\"length\":\\s*(\\d+),.*?\"zero\":\\s*(true|false),\\s*\"data\":\\s*(true|false)");
        List<BlockExtent> out = new ArrayList<>();
        Matcher m = p.matcher(json);
        while (m.find()) {
            int flags = (m.group(4).equals("true") ? 0 : BlockExtent.STATE_HOLE)
                    | (m.group(3).equals("true") ? BlockExtent.STATE_ZERO : 0);
            out.add(new BlockExtent(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), flags));
        }
        assertThat(out).as("extents parsed from qemu-img map: " + json).isNotEmpty();
        return out;
    }

    private static void waitFor(Path socket) throws Exception {
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            if (!server.isAlive())
                throw new AssertionError("qemu-nbd exited: "
                        + new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            Thread.sleep(25);
        }
        assertThat(socket).exists();
    }
}
