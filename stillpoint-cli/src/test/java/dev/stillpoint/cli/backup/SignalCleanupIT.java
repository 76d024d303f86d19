package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM during a backup (separate JVM): cleanup runs before exit, nothing is left behind. */
class SignalCleanupIT {
    @TempDir
    Path tmp;

    static void sh(String script) throws Exception {
        Process p =
                new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(script + ": " + out).isZero();
    }

    @Test
    void sigtermDuringCopyCleansUpAndRecordsAFailedBackup() throws Exception {
        HostPrograms.require("qemu-img");
        HostPrograms.require("qemu-nbd");
        Path image = tmp.resolve("sp-engine-sig-vda.qcow2");
        sh("head -c 768M /dev/urandom > " + tmp.resolve("d.raw") + " && qemu-img convert -q -f raw -O qcow2 "
                + tmp.resolve("d.raw") + " " + image + " && rm " + tmp.resolve("d.raw"));
        Path repo = tmp.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        Path work = tmp.resolve("work");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(
                        java,
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dstillpoint.connector=" + StaticConnectorProvider.class.getName(),
                        "-Dstillpoint.test.domain=sp-engine-sig=" + image,
                        "dev.stillpoint.cli.Main",
                        "backup",
                        "sp-engine-sig",
                        "--repo",
                        repo.toString(),
                        "--work-dir",
                        work.toString(),
                        "--json"))
                .redirectError(tmp.resolve("err.txt").toFile())
                .start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.contains("\"type\":\"progress\"")) {
                // wait until the copy is under way
            }
            assertThat(line)
                    .as("a progress line before the end; stderr: " + Files.readString(tmp.resolve("err.txt")))
                    .isNotNull();
            p.toHandle().destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(Files.readString(tmp.resolve("err.txt"))).contains("cancelled");
        assertThat(ProcessHandle.allProcesses()
                        .filter(h -> h.info().commandLine().orElse("").contains(image.toString())))
                .as("no qemu-nbd left")
                .isEmpty();
        try (var s = Files.list(work)) {
            assertThat(s.toList()).as("work directory removed").isEmpty();
        }
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + repo.resolve("catalog.db"));
                var rs = c.createStatement().executeQuery("SELECT status, error FROM backups")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("failed");
            assertThat(rs.getString(2)).contains("cancelled");
        }
    }
}
