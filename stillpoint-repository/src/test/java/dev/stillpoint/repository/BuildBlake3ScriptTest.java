package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code src/main/native/build-blake3.sh} runs in every build (generate-resources) and must never
 * fail it: the jar then carries no library and ids use the Java BLAKE3.
 */
class BuildBlake3ScriptTest {
    private static final Path SCRIPT =
            Path.of("src/main/native/build-blake3.sh").toAbsolutePath();

    /**
     * A compiler that cannot build the sources (e.g. Debian's gcc installed with
     * --no-install-recommends: no libc6-dev, so no stdint.h): the script warns and exits 0.
     */
    @Test
    void failingCompilerDoesNotFailTheBuild(@TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path cc = bin.resolve("cc");
        Files.writeString(cc, "#!/bin/sh\necho 'fatal error: stdint.h: No such file or directory' >&2\nexit 1\n");
        Files.setPosixFilePermissions(cc, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = Files.createDirectories(tmp.resolve("c"));
        Files.writeString(src.resolve("blake3.h"), "/* sources present */\n");
        Path out = tmp.resolve("out");
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), out.toString()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("BLAKE3_C_SOURCES", src.toString());
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(log).contains("[WARNING]").contains("pure-Java BLAKE3");
        try (var files = Files.walk(out.getParent())) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith(NativeBlake3.LIBRARY)))
                    .isEmpty();
        }
    }
}
