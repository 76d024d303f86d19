package dev.stillpoint.engine.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Loads sqlite-jdbc's native library the way the repository loads its BLAKE3 library: copied from
 * the jar into a private temporary directory, loaded, and deleted at once.
 *
 * <p>Left to itself, sqlite-jdbc probes the machine (a {@code uname} child process), copies the
 * library to {@code java.io.tmpdir} under a new UUID name with a {@code .lck} companion, and
 * deletes both only at a normal JVM exit: every killed or halted command left ~1 MiB in /tmp (107
 * pairs on a test machine after a few days), and the probe and copy cost ~60 ms of every command
 * that opens a catalog. Here the library of this machine ({@code os.arch} on glibc Linux) is
 * named to sqlite-jdbc with {@code org.sqlite.lib.path}/{@code org.sqlite.lib.name}; when that is
 * not possible (another OS, an unknown architecture, no writable temporary directory, a musl
 * libc whose loader refuses the glibc build) sqlite-jdbc's own loading runs as before.
 */
final class SqliteLibrary {
    private static final String PATH = "org.sqlite.lib.path";
    private static final String NAME = "org.sqlite.lib.name";
    private static boolean done;

    private SqliteLibrary() {}

    /** Loads the library once; never fails (sqlite-jdbc's own loading is the fallback). */
    static synchronized void load() {
        if (done) return;
        done = true;
        if (System.getProperty(PATH) != null || !"Linux".equals(System.getProperty("os.name"))) return;
        String resource = resource(System.getProperty("os.arch"));
        if (resource == null) return;
        Path dir = null;
        try (InputStream in = org.sqlite.JDBC.class.getResourceAsStream(resource)) {
            if (in == null) return;
            dir = Files.createTempDirectory(
                    Path.of(System.getProperty("java.io.tmpdir")),
                    ".stillpoint-sqlite-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.copy(in, dir.resolve("libsqlitejdbc.so"), StandardCopyOption.REPLACE_EXISTING);
            System.setProperty(PATH, dir.toString());
            System.setProperty(NAME, "libsqlitejdbc.so");
            // loads it now (a failed load falls through to sqlite-jdbc's own extraction); mapped, so the file may go
            org.sqlite.SQLiteJDBCLoader.initialize();
        } catch (Exception e) { // sqlite-jdbc's own loading follows at the first connection
            System.clearProperty(PATH);
            System.clearProperty(NAME);
        } finally {
            if (dir != null) delete(dir);
        }
    }

    /** The jar's resource for a glibc Linux {@code os.arch}, or null. */
    static String resource(String arch) {
        String dir = switch (arch == null ? "" : arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> null;
        };
        return dir == null ? null : "/org/sqlite/native/Linux/" + dir + "/libsqlitejdbc.so";
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover private directory in tmp is harmless; nothing to report
        }
    }
}
