package dev.stillpoint.guest.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "doctor", description = "Check every hook convention found for misconfiguration.")
final class DoctorCommand implements Callable<Integer> {
    @Mixin GuestOptions common;
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() {
        return 0;
    }
}
