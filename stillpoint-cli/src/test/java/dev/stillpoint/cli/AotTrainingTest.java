package dev.stillpoint.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's AOT training run: every step must pass, or the launcher silently starts without a cache. */
class AotTrainingTest {

    @Test
    void everyTrainingStepSucceedsAndTheImageComesBackIdentical(@TempDir Path dir) throws Exception {
        byte[] image = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(image);
        Path raw = Files.write(dir.resolve("image.raw"), image);
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        java,
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        cp,
                        AotTraining.class.getName(),
                        dir.toString(),
                        raw.toString()))
                .redirectErrorStream(true);
        pb.environment().put("STILLPOINT_PASSWORD", "aot-training-test");
        pb.environment().put("STILLPOINT_CACHE_DIR", dir.resolve("cache").toString());
        pb.environment().put("STILLPOINT_STATE_DIR", dir.resolve("state").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(Files.readAllBytes(dir.resolve("restored.raw"))).isEqualTo(image);
        assertThat(dir.resolve("catalog.db")).exists();
    }
}
