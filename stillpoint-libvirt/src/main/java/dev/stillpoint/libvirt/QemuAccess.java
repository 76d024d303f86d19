package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * QEMU under libvirt runs as {@code libvirt-qemu}, not root: it must be able to create the NBD
 * socket and the scratch files. {@link #prepare} creates the directory, hands it to that user
 * (when we are root and the user exists) and checks that every ancestor lets it through
 * ({@code o+x}), failing with a message that names the blocking directory.
 */
final class QemuAccess {
    static final String QEMU_USER = "libvirt-qemu";

    private final UserPrincipal qemuUser; // null: QEMU runs as us, nothing to do

    private QemuAccess(UserPrincipal qemuUser) {
        this.qemuUser = qemuUser;
    }

    static QemuAccess systemDefault() {
        try {
            return new QemuAccess(
                    FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(QEMU_USER));
        } catch (IOException e) {
            return new QemuAccess(null);
        }
    }

    void prepare(Path dir, String purpose) throws VmException {
        try {
            Files.createDirectories(dir);
            if (qemuUser == null) return;
            if (!Files.getOwner(dir).equals(qemuUser)) Files.setOwner(dir, qemuUser);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                        && !Files.getOwner(p).equals(qemuUser)) {
                    throw new VmException(
                            VmException.Code.BACKUP_FAILED,
                            "QEMU runs as " + QEMU_USER + " and cannot reach the "
                                    + purpose + " directory " + dir + ": " + p + " has mode "
                                    + PosixFilePermissions.toString(perms)
                                    + " (every parent needs o+x; use a directory under /run, /var/tmp or /var/lib)");
                }
            }
        } catch (IOException e) {
            throw new VmException(
                    VmException.Code.BACKUP_FAILED,
                    "cannot prepare the " + purpose + " directory " + dir + " for " + QEMU_USER + ": " + e,
                    e);
        }
    }
}
