package dev.stillpoint.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.testkit.HostPrograms;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code image restore} to a stream ({@code -}, {@code /dev/stdout}, a named pipe) writes the whole
 * image, zeros included, so its sha256 is the source's; {@code image backup -} reads stdin. Real
 * pipes: the command runs in a separate JVM whose stdin/stdout are pipes, and a FIFO.
 */
class ImageStreamIT {
    @TempDir
    Path tmp;

    Path repo;
    Path image;
    byte[] expect;

    /** A sparse image: data regions, holes between them, an allocated all-zero range, a short tail ending in a hole. */
    @BeforeEach
    void sparseImageInARepository() throws Exception {
        int mib = 1 << 20;
        long size = 9L * mib + 777;
        expect = new byte[(int) size];
        image = tmp.resolve("sparse.raw");
        Random rnd = new Random(7);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long[] r : new long[][] {{100, 5000}, {3L * mib, mib}, {8L * mib + 12345, 4096}}) {
                byte[] d = new byte[(int) r[1]];
                rnd.nextBytes(d);
                System.arraycopy(d, 0, expect, (int) r[0], d.length);
                ch.write(ByteBuffer.wrap(d), r[0]);
            }
            ch.write(ByteBuffer.wrap(new byte[mib]), 6L * mib);
            ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }
        repo = tmp.resolve("repo");
        assertThat(cli("repo", "init", "--repo", repo.toString(), "--encryption", "none"))
                .isZero();
    }

    private static int cli(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        assertThat(code).as(err.toString()).isZero();
        return code;
    }

    private String backup(Path file) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        assertThat(cl.execute("image", "backup", "--repo", repo.toString(), "--name", "img", file.toString(), "--json"))
                .isZero();
        try {
            String[] lines = out.toString().strip().split("\n");
            return (String) JSON.std.mapFrom(lines[lines.length - 1]).get("id");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** {@code stillpoint ARGS} in a separate JVM; its stdout is a pipe this test reads. */
    private Process child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectError(tmp.resolve("err.txt").toFile())
                .start();
    }

    private byte[] restoreThroughPipe(String id, String target) throws Exception {
        Process p = child("image", "restore", id, "--repo", repo.toString(), "--target", target);
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("err.txt"))).isZero();
        assertThat(Files.readString(tmp.resolve("err.txt"))).contains("restored snapshot " + id.substring(0, 8));
        return out;
    }

    @Test
    void restoreToStdoutStreamsEveryByteZerosIncluded() throws Exception {
        String id = backup(image);
        byte[] streamed = restoreThroughPipe(id, "-");
        assertThat(streamed.length).isEqualTo(expect.length);
        assertThat(sha256(streamed))
                .isEqualTo(sha256(Files.readAllBytes(image)))
                .isEqualTo(sha256(expect));
        assertThat(restoreThroughPipe(id, "/dev/stdout")).isEqualTo(expect);
    }

    @Test
    void restoreToANamedPipe() throws Exception {
        String id = backup(image);
        Path fifo = tmp.resolve("fifo");
        HostPrograms.run("mkfifo", fifo.toString());
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        cli("image", "restore", id, "--repo", repo.toString(), "--target", fifo.toString());
        assertThat(sha256(read.get(60, TimeUnit.SECONDS))).isEqualTo(sha256(expect));
    }

    @Test
    void backupFromStdinRestoresTheSameBytes() throws Exception {
        Process p = child("image", "backup", "--repo", repo.toString(), "--name", "stdin", "-", "--json");
        try (var in = p.getOutputStream()) {
            Files.copy(image, in);
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("err.txt"))).isZero();
        String[] lines = out.strip().split("\n");
        Map<String, Object> summary = JSON.std.mapFrom(lines[lines.length - 1]);
        assertThat(summary).containsEntry("size", expect.length);
        Path back = tmp.resolve("back.raw");
        cli("image", "restore", (String) summary.get("id"), "--repo", repo.toString(), "--target", back.toString());
        assertThat(Files.readAllBytes(back)).isEqualTo(expect);
    }
}
