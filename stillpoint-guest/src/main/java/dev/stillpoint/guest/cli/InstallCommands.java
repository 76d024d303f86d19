package dev.stillpoint.guest.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

final class InstallCommands {
    private InstallCommands() {}

    @Command(name = "install", description = "Wire the runner into a platform agent.")
    static final class Install implements Callable<Integer> {
        @Mixin GuestOptions common;

        @Override
        public Integer call() { return 0; }
    }

    @Command(name = "uninstall", description = "Undo install.")
    static final class Uninstall implements Callable<Integer> {
        @Mixin GuestOptions common;

        @Override
        public Integer call() { return 0; }
    }
}
