package dev.stillpoint.cli.instant;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.instant.InstantRecovery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@code stillpoint export BACKUP --socket PATH} as a process of its own session
 * ({@code setsid}), so it outlives the command that started it and a Ctrl-C on that terminal; its
 * output goes to {@code PATH.log}. The passphrase reaches it as it reached this process:
 * {@code $STILLPOINT_PASSWORD} in the environment (not visible in the process list) or the same
 * {@code --password-file}.
 */
public final class DetachedExport implements InstantRecovery.ExportLauncher {
    private static final long READY_TIMEOUT_MS = 60_000;

    private final String repo;
    private final Path catalog;
    private final Path passwordFile;

    public DetachedExport(String repo, Path catalog, Path passwordFile) {
        this.repo = repo;
        this.catalog = catalog;
        this.passwordFile = passwordFile;
    }

    @Override
    public InstantRecovery.RunningExport start(String backupId, Path socket) throws EngineException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(
                "setsid",
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx160m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.stillpoint.cli.Main",
                "export",
                backupId,
                "--repo",
                repo,
                "--socket",
                socket.toString()));
        if (catalog != null) cmd.addAll(List.of("--catalog", catalog.toString()));
        if (passwordFile != null) cmd.addAll(List.of("--password-file", passwordFile.toString()));
        Path log = socket.resolveSibling(socket.getFileName() + ".log");
        Process p;
        try {
            Files.deleteIfExists(socket);
            p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
        } catch (IOException e) {
            throw new EngineException(
                    Code.TOOL_FAILED, "cannot start the export of backup " + backupId + ": " + e.getMessage(), e);
        }
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (!accepts(socket)) {
            if (!p.isAlive() || System.currentTimeMillis() > deadline) {
                p.destroyForcibly();
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "the export of backup " + backupId + " did not serve " + socket
                                + (p.isAlive()
                                        ? " within " + READY_TIMEOUT_MS / 1000 + " s"
                                        : " (exit " + exitOf(p) + ")")
                                + ": "
                                + tail(log));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new EngineException(
                        Code.CANCELLED, "interrupted while starting the export of backup " + backupId);
            }
        }
        return new InstantRecovery.RunningExport(
                p.pid(),
                p.toHandle().info().startInstant().map(Instant::toString).orElse(null));
    }

    /** Whether the export accepts connections (the socket file exists from bind, before listen). */
    private static boolean accepts(Path socket) {
        if (!Files.exists(socket)) return false;
        try (java.nio.channels.SocketChannel ch =
                java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            return ch.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private static String exitOf(Process p) {
        try {
            return String.valueOf(p.waitFor());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8).strip();
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
