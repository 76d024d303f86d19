package dev.stillpoint.cli.files;

import dev.stillpoint.cli.output.Output;
import picocli.CommandLine.Option;

/** {@code --host-kernel}: the fast file-level path (files, restore --files, mount, files --history). */
public final class HostKernelOption {
    @Option(
            names = "--host-kernel",
            description =
                    "Fast path: let the host's kernel read the guest's filesystems (loop devices, mounts ro,nodev,"
                            + "nosuid,noexec, a copy-on-write overlay) instead of booting the isolated appliance. "
                            + "The guest's filesystem images are untrusted input to the host kernel, as root: use it only for "
                            + "guests you trust. No LVM (no device-mapper here): LVM volumes need the default path.")
    boolean hostKernel;

    /** True when asked; prints the warning first. */
    boolean enabled(Output out) {
        if (hostKernel) warnFor(out);
        return hostKernel;
    }

    static void warnFor(Output out) {
        out.warn("--host-kernel: the guest's filesystems are parsed by the host kernel (as root), not by an "
                + "isolated appliance; a malicious or corrupt guest filesystem can attack the host");
    }

    public boolean hostKernel() {
        return hostKernel;
    }
}
