package dev.stillpoint.cli.image;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code stillpoint image ...}: raw disk images in and out of a repository. */
@Command(
        name = "image",
        description = "Back up and restore raw disk images.",
        mixinStandardHelpOptions = true,
        subcommands = {ImageBackupCommand.class, ImageRestoreCommand.class})
public final class ImageCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
