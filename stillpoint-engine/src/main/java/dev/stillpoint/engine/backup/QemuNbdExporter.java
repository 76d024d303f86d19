package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.vm.VmDisk;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code qemu-nbd --read-only} for one disk image. The image is opened with a shared read
 * lock, so a domain cannot start writing it while it is exported. With a bitmap, qemu-nbd exits
 * at once when the image lacks it ("Bitmap 'X' is not found") or qemu left it in-use after an
 * unclean shutdown ("Bitmap 'X' is inconsistent and cannot be used"): both become TOOL_FAILED
 * with qemu-nbd's message.
 */
final class QemuNbdExporter implements OfflineExporter {

    private static final long START_TIMEOUT_MS = 15_000;

    private final String program;

    QemuNbdExporter(String program) {
        this.program = program;
    }

    @Override
    public Export export(VmDisk disk, Path socket, String bitmap) throws IOException, EngineException {
        String format = disk.format() == null ? "raw" : disk.format();
        List<String> cmd = new ArrayList<>(List.of(
                program,
                "--read-only",
                "--persistent",
                "--shared=4",
                "--socket=" + socket,
                "--export-name=" + disk.target(),
                "--format=" + format));
        if (bitmap != null) cmd.add("--bitmap=" + bitmap);
        cmd.add(disk.source());
        Path log = Files.createTempFile(socket.getParent(), "qemu-nbd-", ".log");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (!accepting(socket)) {
            if (!p.isAlive()) {
                String out = Files.readString(log, StandardCharsets.UTF_8).strip();
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "qemu-nbd could not export " + disk.source()
                                + (bitmap == null ? "" : " with bitmap " + bitmap)
                                + " (exit " + p.exitValue() + "): " + out);
            }
            if (System.currentTimeMillis() > deadline) {
                stop(p);
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "qemu-nbd did not create socket " + socket + " for " + disk.source() + " within "
                                + START_TIMEOUT_MS + " ms");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop(p);
                throw new EngineException(Code.CANCELLED, "interrupted while starting qemu-nbd for " + disk.source());
            }
        }
        return new Export() {
            @Override
            public Path socket() {
                return socket;
            }

            @Override
            public String exportName() {
                return disk.target();
            }

            @Override
            public String diagnostics() {
                try {
                    if (!p.waitFor(2, TimeUnit.SECONDS)) return "";
                    return "qemu-nbd exited with " + p.exitValue() + ": "
                            + Files.readString(log, StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    return "qemu-nbd exited with " + p.exitValue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "";
                }
            }

            @Override
            public void close() {
                stop(p);
                try {
                    Files.deleteIfExists(socket);
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // the work directory is removed afterwards
                }
            }
        };
    }

    /**
     * Whether qemu-nbd accepts connections on {@code socket}: it creates the socket file before
     * it listens, and a client connecting in between is refused.
     */
    private static boolean accepting(Path socket) {
        if (!Files.exists(socket)) return false;
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(socket)).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
