package dev.stillpoint.testkit.lab;

import java.util.List;

/**
 * What a command run in a guest returned.
 *
 * @param command the command and its arguments, as run
 * @param exitCode the guest command's exit status (128+N when killed by signal N)
 * @param stdout its standard output (UTF-8)
 * @param stderr its standard error (UTF-8)
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {

    public ExecResult {
        command = List.copyOf(command);
    }

    public boolean ok() {
        return exitCode == 0;
    }

    /** Returns this result when the command succeeded; throws with its stderr otherwise. */
    public ExecResult orThrow() {
        if (exitCode != 0) {
            throw new GuestLabException(
                    GuestLabException.Code.GUEST_COMMAND_FAILED,
                    "guest command " + command + " exited with " + exitCode + " (rule: must exit 0); stderr: "
                            + stderr.strip());
        }
        return this;
    }
}
