package dev.stillpoint.engine.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteLibraryTest {

    @Test
    void namesTheLibraryOfGlibcLinuxArchitectures() {
        assertThat(SqliteLibrary.resource("amd64")).isEqualTo("/org/sqlite/native/Linux/x86_64/libsqlitejdbc.so");
        assertThat(SqliteLibrary.resource("aarch64")).isEqualTo("/org/sqlite/native/Linux/aarch64/libsqlitejdbc.so");
        assertThat(SqliteLibrary.resource("ppc64le")).isNull();
        assertThat(SqliteLibrary.resource(null)).isNull();
        assertThat(SqliteLibraryTest.class.getResource(SqliteLibrary.resource(System.getProperty("os.arch"))))
                .as("sqlite-jdbc carries this machine's library")
                .isNotNull();
    }

    /** A process that dies right after opening a catalog (no shutdown hooks) leaves nothing in its tmpdir. */
    @Test
    void aKilledCommandLeavesNoLibraryCopyInTmp(@TempDir Path dir) throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "-Djava.io.tmpdir=" + tmp,
                "-cp",
                cp,
                OpenAndHalt.class.getName(),
                dir.resolve("c.db").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("opened");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(f -> f.getFileName().toString()).toList()).isEmpty();
        }
    }

    /** Child: opens a catalog, then halts as a killed process would (no shutdown hooks, no deleteOnExit). */
    public static final class OpenAndHalt {
        public static void main(String[] args) throws Exception {
            try (Catalog c = Catalog.open(Path.of(args[0]))) {
                System.out.println("opened " + c.file());
            }
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }
    }
}
