package dev.stillpoint.cli;

import picocli.CommandLine.Option;

/** {@code --connect URI} (a picocli mixin): the libvirt connection of the commands that reach a hypervisor. */
public final class ConnectOption {
    @Option(
            names = "--connect",
            paramLabel = "URI",
            defaultValue = Connectors.DEFAULT_URI,
            description = "libvirt connection URI (default qemu:///system).")
    public String uri;
}
