package dev.stillpoint.guest.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command takes. */
public final class GuestOptions {
    @Option(names = "--root", paramLabel = "DIR", description = "Root of the guest tree (default /).")
    Path root = Path.of("/");

    Path root() {
        return root.toAbsolutePath().normalize();
    }
}
