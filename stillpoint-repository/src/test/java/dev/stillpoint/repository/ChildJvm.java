package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test support: a class of this module run in a JVM of its own, on the tests' class path. */
final class ChildJvm {
    private ChildJvm() {}

    /** The command line that runs {@code main} with {@code args} in a new JVM given {@code jvmArgs}. */
    static List<String> command(List<String> jvmArgs, Class<?> main, String... args) {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", cp, main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs it to the end (failing after {@code timeoutSeconds}); asserts exit 0 and returns its output (stdout and stderr). */
    static String run(long timeoutSeconds, List<String> jvmArgs, Class<?> main, String... args) throws Exception {
        Process p = new ProcessBuilder(command(jvmArgs, main, args))
                .redirectErrorStream(true)
                .start();
        try {
            byte[] all = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(timeoutSeconds, TimeUnit.SECONDS))
                    .as("child JVM finished")
                    .isTrue();
            String out = new String(all, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("child exit; output: %s", out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }
}
