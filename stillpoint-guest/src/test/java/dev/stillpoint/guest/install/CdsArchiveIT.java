package dev.stillpoint.guest.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stillpoint.guest.run.GuestTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** install creates a usable CDS archive from the real runner jar; the runner starts from it; uninstall removes it. */
class CdsArchiveIT {
    @TempDir
    Path tmp;

    static Path runnerJar() {
        Path j = Path.of("target", "stillpoint-guest.jar");
        boolean required = Boolean.getBoolean("stillpoint.it.required");
        if (!required) assumeTrue(Files.isRegularFile(j), "target/stillpoint-guest.jar not built");
        return j.toAbsolutePath();
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s: %s", cmd, out).isZero();
        return out;
    }

    @Test
    void installWritesTheArchiveTheRunnerAndWatchdogUseItAndUninstallRemovesIt() throws Exception {
        Path jar = runnerJar();
        Path root = tmp.resolve("root");
        GuestTree t = new GuestTree(root);
        t.script("/etc/stillpoint/hooks.d/10-db", "db", 0);
        List<String> actions = new Installer(root, jar).install(Platform.QEMU_GA);
        Path archive = t.path(CdsArchive.ARCHIVE);
        assertThat(actions)
                .contains("wrote " + CdsArchive.ARCHIVE + " (class-data-sharing archive: faster runner startup)");
        assertThat(Files.size(archive)).isGreaterThan(100_000);
        assertThat(Files.readString(root.resolve(Installer.MANIFEST_DIR).resolve("qemu-ga.json")))
                .contains(CdsArchive.ARCHIVE);
        // a second install with the same jar keeps the archive
        assertThat(new Installer(root, jar).install(Platform.QEMU_GA)).isEmpty();

        // the runner's classes come from the archive, with exactly the wrapper's flags and class path
        Path installed = t.path(Installer.JAR);
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(CdsArchive.JVM_OPTS);
        cmd.addAll(CdsArchive.useArchive(installed));
        cmd.addAll(List.of("-Xlog:class+load", "-jar", installed.toString(), "thaw", "--root", root.toString()));
        String log = run(cmd);
        assertThat(log)
                .contains("dev.stillpoint.guest.cli.GuestLauncher source: shared objects file (top)")
                .contains("dev.stillpoint.guest.run.QuiesceRunner source: shared objects file (top)")
                .doesNotContain("picocli.CommandLine source:");

        // the installed wrapper runs freeze and thaw through it (the real watchdog is armed and disarmed)
        for (String op : List.of("freeze", "thaw")) {
            ProcessBuilder pb =
                    new ProcessBuilder("sh", t.path(Installer.QEMU_HOOK).toString(), op).redirectErrorStream(true);
            pb.environment().put("STILLPOINT_JAVA", java());
            pb.environment().put("STILLPOINT_GUEST_JAR", installed.toString());
            pb.environment().put("STILLPOINT_GUEST_ARGS", "--root " + root);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).doesNotContain("warning").doesNotContain("cds");
        }
        assertThat(t.traceLines()).containsExactly("db freeze", "db thaw");

        // a replaced jar makes the archive unusable: the JVM ignores it silently and still runs
        Files.copy(jar, installed, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(
                installed, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        List<String> stale = new ArrayList<>(List.of(java()));
        stale.addAll(CdsArchive.JVM_OPTS);
        stale.addAll(CdsArchive.useArchive(installed));
        stale.addAll(List.of("-jar", installed.toString(), "report", "--root", root.toString()));
        assertThat(run(stale)).startsWith("freeze+thaw: ok").doesNotContain("warning");
        // install notices the newer jar and regenerates the archive
        assertThat(new Installer(root, jar).install(Platform.QEMU_GA))
                .anyMatch(a -> a.startsWith("wrote " + CdsArchive.ARCHIVE));

        new Installer(root, null).uninstall(Platform.QEMU_GA);
        assertThat(Files.exists(archive)).isFalse();
        assertThat(Files.exists(installed)).isFalse();
    }
}
