package dev.stillpoint.engine.backup;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The per-job directory for NBD sockets and scratch files. QEMU runs as {@code libvirt-qemu}
 * and must be able to create files here, so the directory is handed to that user when it
 * exists. Kept short: unix socket paths are limited to 107 bytes.
 */
final class WorkDir {

    static final String QEMU_USER = "libvirt-qemu";

    private WorkDir() {}

    /** The work directory of run {@code runId} below {@code base} (default: java.io.tmpdir), named before it exists. */
    static Path pathFor(Path base, String runId) {
        Path parent = base != null ? base : Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
        return parent.toAbsolutePath().resolve("sp-" + runId);
    }

    /** Creates {@code dir} (its parent if needed) for this run alone: fails when it exists. */
    static Path create(Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
            UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            UserPrincipal user = lookup.lookupPrincipalByName(QEMU_USER);
            Files.setOwner(dir, user);
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(QEMU_USER);
            Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class)
                    .setGroup(group);
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException | UnsupportedOperationException e) {
            // no libvirt-qemu user here (unit tests, other hypervisors): keep root-owned
        }
        return dir;
    }

    /** Removes the directory and everything in it; returns false when something remains. */
    static boolean delete(Path dir) {
        if (dir == null || !Files.exists(dir)) return true;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    /* reported by the final check */
                }
            });
        } catch (IOException ignored) {
            // reported by the final check
        }
        return !Files.exists(dir);
    }
}
