package dev.stillpoint.cli.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.testkit.S3Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code stillpoint} as a separate JVM (to be killed, or for its own environment) against an S3 server. */
final class ChildCli {
    private ChildCli() {}

    record Run(int code, String out, String err) {}

    /**
     * The command with this test JVM's class path; environment: no {@code $STILLPOINT_REPOSITORY}
     * or {@code $STILLPOINT_PASSWORD} from outside, the S3 server's credentials, the state
     * directory {@code work/state}, the cache {@code work/cache}, then {@code env}; its temp
     * directory ({@code java.io.tmpdir}) is {@link #tmp}.
     */
    static ProcessBuilder process(S3Proxy s3, Path work, Map<String, String> env, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        try {
            Files.createDirectories(tmp(work));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=" + tmp(work),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.stillpoint.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("STILLPOINT_REPOSITORY");
        pb.environment().remove("STILLPOINT_PASSWORD");
        pb.environment().putAll(s3.env());
        pb.environment().put("STILLPOINT_STATE_DIR", work.resolve("state").toString());
        pb.environment().put("STILLPOINT_CACHE_DIR", work.resolve("cache").toString());
        pb.environment().putAll(env);
        return pb;
    }

    /** The children's temp directory: what a killed child leaves there, nothing finds again. */
    static Path tmp(Path work) {
        return work.resolve("child-tmp");
    }

    /** The names of the files in the children's temp directory. */
    static List<String> tmpFiles(Path work) throws java.io.IOException {
        try (var s = Files.list(tmp(work))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Runs {@code pb} to its end (at most 5 minutes), its output in files under {@code work}. */
    static Run run(Path work, ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt"), err = Files.createTempFile(work, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES))
                .as("stillpoint %s finished", String.join(" ", pb.command()))
                .isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** The {@code summary} line of a {@code --json} run. */
    static Map<String, Object> summary(Run r) throws Exception {
        for (String line : r.out().split("\n")) {
            if (line.isBlank()) continue;
            Map<String, Object> m = JSON.std.mapFrom(line);
            if ("summary".equals(m.get("type"))) return m;
        }
        throw new AssertionError("no summary in " + r.out() + r.err());
    }
}
