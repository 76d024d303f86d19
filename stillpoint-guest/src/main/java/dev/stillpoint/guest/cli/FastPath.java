package dev.stillpoint.guest.cli;

import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.HookGroup;
import dev.stillpoint.guest.run.WatchdogLauncher;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The hot path without picocli. The installed wrappers run {@code freeze --no-fsfreeze}, {@code thaw},
 * {@code freeze-fail} (with {@code --skip-group G}) and the freeze arms {@code watchdog}; under TCG emulation
 * building picocli's command model (reflection over every command) and loading its ~170 classes (class file
 * version 49: no class-data sharing, old verifier) cost seconds. This parser accepts exactly those forms plus
 * {@code --root DIR} and {@code --json}, and runs the same command objects with the same output and exit codes.
 * Anything else (any other option, a repeated option, an unknown group, a value starting with '-', help) returns
 * null and picocli parses the command line as before, with its own messages.
 */
final class FastPath {
    private FastPath() {}

    /** Exit code, or null when {@code args} is not a form this handles. */
    static Integer run(String[] args, PrintWriter out, PrintWriter err, WatchdogLauncher watchdog) {
        if (args.length == 0) return null;
        String cmd = args[0];
        boolean noFsfreeze = false;
        boolean json = false;
        Path root = null;
        String token = null;
        Long deadline = null;
        java.util.List<String> skip = new java.util.ArrayList<>();
        Set<String> seen = new HashSet<>();
        boolean watchdogCmd = cmd.equals("watchdog");
        if (!watchdogCmd && !cmd.equals("freeze") && !cmd.equals("thaw") && !cmd.equals("freeze-fail")) return null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            boolean takesValue = name.equals("--root")
                    || name.equals("--skip-group")
                    || name.equals("--token")
                    || name.equals("--deadline");
            if (takesValue && value == null) {
                if (i + 1 >= args.length) return null;
                value = args[++i];
            }
            if (!takesValue && value != null) return null;
            if (takesValue && (value.isEmpty() || value.startsWith("-"))) return null;
            if (!name.equals("--skip-group") && !seen.add(name)) return null;
            switch (name) {
                case "--root":
                    root = Path.of(value);
                    break;
                case "--no-fsfreeze":
                    if (watchdogCmd) return null;
                    noFsfreeze = true;
                    break;
                case "--json":
                    if (watchdogCmd) return null;
                    json = true;
                    break;
                case "--skip-group":
                    if (watchdogCmd || HookGroup.byName(value) == null) return null;
                    skip.add(value);
                    break;
                case "--token":
                    if (!watchdogCmd) return null;
                    token = value;
                    break;
                case "--deadline":
                    if (!watchdogCmd) return null;
                    try {
                        deadline = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        return null;
                    }
                    break;
                default:
                    return null;
            }
        }
        GuestOptions common = new GuestOptions();
        if (root != null) common.root = root;
        try {
            if (watchdogCmd) {
                if (token == null) return null;
                return FreezeCommands.WatchdogCmd.run(common.root(), token);
            }
            FreezeCommands.Base b;
            if (cmd.equals("freeze")) {
                FreezeCommands.Freeze f = new FreezeCommands.Freeze();
                f.noFsfreeze = noFsfreeze;
                b = f;
            } else if (cmd.equals("thaw")) {
                b = new FreezeCommands.Thaw();
            } else {
                b = new FreezeCommands.FreezeFail();
            }
            b.common = common;
            b.json = json;
            b.skip = skip;
            b.out = out;
            b.err = err;
            b.watchdog = watchdog;
            try {
                return b instanceof FreezeCommands.Freeze
                        ? ((FreezeCommands.Freeze) b).run()
                        : b instanceof FreezeCommands.Thaw
                                ? ((FreezeCommands.Thaw) b).run()
                                : ((FreezeCommands.FreezeFail) b).run();
            } catch (GuestException g) {
                err.println("stillpoint-guest: " + g.code()
                        + (g.azureCode() != null ? " (Azure " + g.azureCode() + ")" : "") + ": " + g.getMessage());
                err.flush();
                return ExitCodes.of(g);
            }
        } catch (Exception ex) {
            // as GuestMain's execution exception handler
            err.println("stillpoint-guest: internal error: " + ex);
            ex.printStackTrace(err);
            err.flush();
            return ExitCodes.INTERNAL;
        }
    }
}
