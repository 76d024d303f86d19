package dev.stillpoint.cli.backup;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.testkit.lab.GuestLab;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The e2e ITs' entry to the lab: every IT of this module's Failsafe JVM uses the one shared guest
 * of {@link GuestLab#shared()} (booted on first use, removed at JVM exit), never a guest of its own.
 * It skips when a host program is missing, or fails with {@code -Dstillpoint.it.required=true}.
 */
public final class E2eGuest {
    private static final List<String> PROGRAMS =
            List.of("virsh", "libvirtd", "virtlogd", "qemu-system-x86_64", "qemu-img", "qemu-nbd");

    private static final Pattern EXTRA = Pattern.compile("sp-e2e-[a-z0-9]+-(\\d+)");
    private static final Pattern WORK = Pattern.compile("sp-e2e-work-(?:[a-z]+-)?(\\d+)");

    private E2eGuest() {}

    /**
     * Checks the host, makes the CLI use libvirt's connector (the test classpath also registers
     * test connectors such as {@link StaticConnectorProvider}) and returns the shared booted guest.
     */
    public static GuestLab shared() {
        requireHost();
        return GuestLab.shared();
    }

    /** The host checks and connector choice of {@link #shared()}, for an IT that boots a guest of its own. */
    public static void requireHost() {
        List<String> missing = new ArrayList<>();
        for (String p : PROGRAMS) {
            if (!onPath(p)) missing.add(p);
        }
        Optional<String> libvirt = ServiceLoader.load(VmConnectorProvider.class).stream()
                .map(p -> p.type().getName())
                .filter(n -> n.startsWith("dev.stillpoint.libvirt."))
                .findFirst();
        if (libvirt.isEmpty()) missing.add("a libvirt VmConnectorProvider on the test classpath");
        if (!missing.isEmpty()) {
            String why = "e2e needs " + missing + " (missing on this host)";
            if (Boolean.getBoolean("stillpoint.it.required"))
                fail(why + "; stillpoint.it.required=true forbids skipping");
            assumeTrue(false, why);
        }
        System.setProperty("stillpoint.connector", libvirt.get());
    }

    /** A domain name for extra domains of this JVM (restored copies): {@code sp-e2e-ROLE-PID}. */
    public static String extraDomain(String role) {
        return "sp-e2e-" + role + "-" + ProcessHandle.current().pid();
    }

    /**
     * Removes extra domains ({@code sp-e2e-ROLE-PID}) and work directories ({@code sp-e2e-work-PID}
     * under the lab directory) left by test JVMs that died before their cleanup ran.
     */
    public static void removeLeftoversOfDeadJvms(Path labDir) {
        for (String name : GuestLab.virsh("list", "--all", "--name")
                .orThrow()
                .stdout()
                .lines()
                .map(String::strip)
                .toList()) {
            Matcher m = EXTRA.matcher(name);
            if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                System.err.println("e2e: removing " + name + " (its test JVM " + m.group(1) + " is gone)");
                GuestLab.attach(name).close();
            }
        }
        String[] entries = labDir.toFile().list();
        for (String entry : entries == null ? new String[0] : entries) {
            Matcher m = WORK.matcher(entry);
            if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                Path dead = labDir.resolve(entry);
                // an export a dead JVM's instant recovery or verification started outlives it (own session)
                ProcessHandle.allProcesses()
                        .filter(h -> h.info().commandLine().orElse("").contains(dead.toString()))
                        .forEach(ProcessHandle::destroyForcibly);
                deleteTree(dead);
            }
        }
    }

    /**
     * A fresh work directory {@code LAB_DIR/sp-e2e-work-ROLE-PID} that QEMU (libvirt-qemu) can read,
     * with this JVM's Stillpoint state directory (run journals, instant recoveries) inside it.
     */
    public static Path workDir(Path labDir, String role) throws IOException {
        Path work = labDir.resolve(
                "sp-e2e-work-" + role + "-" + ProcessHandle.current().pid());
        deleteTree(work);
        Files.createDirectories(work);
        Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        System.setProperty("stillpoint.stateDir", work.resolve("state").toString());
        return work;
    }

    /** Undoes {@link #workDir}. */
    public static void removeWorkDir(Path work) {
        System.clearProperty("stillpoint.stateDir");
        deleteTree(work);
    }

    /** Deletes {@code dir} and everything below it; nothing when it does not exist. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }
}
