package dev.stillpoint.cli.output;

import picocli.CommandLine.Option;

/**
 * {@code --json} worded for any command (a picocli mixin): the repository, image and snapshot
 * commands take it as is; a command whose lines need their own words declares its own.
 */
public final class JsonOption {
    @Option(names = "--json", description = "Print JSON lines on stdout (see docs/scripting.md).")
    boolean json;

    /** Whether {@code --json} was given. */
    public boolean enabled() {
        return json;
    }
}
