package dev.stillpoint.testkit.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Starts virtlogd and libvirtd when they are not running (nothing starts them on these machines). */
public final class LibvirtDaemons {
    private static final Path LIBVIRT_SOCKET = Path.of("/run/libvirt/libvirt-sock");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private LibvirtDaemons() {}

    /** Ensures virtlogd and libvirtd run and {@code qemu:///system} answers. Idempotent. */
    public static synchronized void ensureRunning() {
        if (!running("virtlogd")) {
            ProcessRunner.run(List.of("virtlogd", "-d"), Duration.ofSeconds(30)).orThrow();
        }
        if (!running("libvirtd")) {
            ProcessRunner.run(List.of("libvirtd", "-d"), Duration.ofSeconds(30)).orThrow();
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (Files.exists(LIBVIRT_SOCKET)
                    && ProcessRunner.run(List.of("virsh", "-c", "qemu:///system", "version"), Duration.ofSeconds(30))
                                    .exitCode()
                            == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new GuestLabException(
                        GuestLabException.Code.TIMEOUT,
                        "timed out after " + START_TIMEOUT.toSeconds() + " s waiting for libvirtd to answer on "
                                + LIBVIRT_SOCKET);
            }
            sleep(Duration.ofMillis(200));
        }
    }

    /** True when a process whose executable is named {@code name} runs on this host. */
    static boolean running(String name) {
        return ProcessHandle.allProcesses()
                .map(p -> p.info().command().orElse(""))
                .anyMatch(c -> c.equals(name) || c.endsWith("/" + name));
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestLabException(GuestLabException.Code.INTERRUPTED, "interrupted while waiting", e);
        }
    }
}
