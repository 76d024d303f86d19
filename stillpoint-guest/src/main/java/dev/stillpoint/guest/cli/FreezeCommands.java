package dev.stillpoint.guest.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.guest.HookGroup;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.run.GuestListener;
import dev.stillpoint.guest.run.QuiesceRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** freeze, thaw, freeze-fail. */
final class FreezeCommands {
    private FreezeCommands() {}

    abstract static class Base implements Callable<Integer> {
        @Mixin
        GuestOptions common;

        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print events and the report as JSON lines.")
        boolean json;

        @Option(
                names = "--skip-group",
                paramLabel = "GROUP",
                description =
                        "Do not run this group (vmware, qemu, nutanix, azure, stillpoint); used by the installed wrappers.")
        List<String> skip = new ArrayList<>();
        /** Not an option: the CDS training run replaces it with a no-op. */
        dev.stillpoint.guest.run.WatchdogLauncher watchdog = dev.stillpoint.guest.run.WatchdogLauncher.jvm();
        /** Not options: set by {@link FastPath}, which runs without picocli (then {@code spec} is null). */
        PrintWriter out;

        PrintWriter err;

        PrintWriter out() {
            return out != null ? out : spec.commandLine().getOut();
        }

        PrintWriter err() {
            return err != null ? err : spec.commandLine().getErr();
        }

        QuiesceRunner.Options options() {
            Set<HookGroup> skipGroups = EnumSet.noneOf(HookGroup.class);
            for (String s : skip) {
                HookGroup g = HookGroup.byName(s);
                if (g == null)
                    throw GuestMain.badParameter(
                            spec, "--skip-group: unknown group '" + s + "' (vmware, qemu, nutanix, azure, stillpoint)");
                skipGroups.add(g);
            }
            return QuiesceRunner.Options.of(common.root())
                    .withWatchdog(watchdog)
                    .withSkipGroups(skipGroups)
                    .withBuiltIns(new dev.stillpoint.guest.apps.AppQuiescers());
        }

        GuestListener printer() {
            PrintWriter err = err();
            return e -> {
                if (json) {
                    try {
                        err.println(JSON.std.asString(
                                Map.of("time", e.time.toString(), "event", e.kind.name(), "message", e.message)));
                    } catch (IOException ex) {
                        err.println(e);
                    }
                } else {
                    err.println(e.time + " " + e.message);
                }
                err.flush();
            };
        }

        void print(GuestReport report) {
            PrintWriter out = out();
            if (report == null) return;
            if (json) out.println(report.toJson(false));
            else
                out.println(report.operation() + ": " + report.result() + ", consistency " + report.consistency()
                        + (report.freezeWindowMs() != null
                                ? ", freeze window " + report.freezeWindowMs() + " ms"
                                : ""));
            out.flush();
        }
    }

    @Command(name = "freeze", description = "Run freeze hooks of every convention, then freeze the filesystems.")
    static final class Freeze extends Base {
        @Option(
                names = "--no-fsfreeze",
                description = "Run hooks only; the caller (qemu-ga, VMware Tools) freezes filesystems itself.")
        boolean noFsfreeze;

        @Option(
                names = "--mount",
                paramLabel = "PATH",
                description = "Freeze only this mount point (repeatable; guest path below --root).")
        List<String> mounts = new ArrayList<>();

        @Option(
                names = "--max-freeze-seconds",
                paramLabel = "S",
                description = "Watchdog: thaw by itself after S seconds without thaw (default: guest.conf, 60).")
        Integer maxFreeze;

        @Override
        public Integer call() throws Exception {
            return GuestMain.guarded(spec, this::run);
        }

        Integer run() throws Exception {
            if (maxFreeze != null && (maxFreeze < 1 || maxFreeze > 86400)) {
                throw GuestMain.badParameter(spec, "--max-freeze-seconds: " + maxFreeze + " is out of range 1..86400");
            }
            QuiesceRunner.Options o =
                    options().withNoFsfreeze(noFsfreeze).withMounts(mounts).withMaxFreezeSeconds(maxFreeze);
            QuiesceRunner runner = new QuiesceRunner(o, printer());
            print(runner.freeze());
            runner.freezeReturning();
            return 0;
        }
    }

    @Command(
            name = "thaw",
            description =
                    "Thaw the filesystems, then run thaw hooks of the hooks that froze. No-op when nothing is frozen.")
    static final class Thaw extends Base {
        @Option(names = "--no-fsfreeze", description = "Accepted for symmetry with freeze (the freeze state decides).")
        boolean noFsfreeze;

        @Override
        public Integer call() throws Exception {
            return GuestMain.guarded(spec, this::run);
        }

        Integer run() throws Exception {
            print(new QuiesceRunner(options(), printer())
                    .thaw(
                            QuiesceRunner.ThawKind.THAW,
                            null,
                            System.getenv(dev.stillpoint.guest.install.Installer.THAW_HOOK_CLOCK)));
            return 0;
        }
    }

    @Command(
            name = "freeze-fail",
            description = "The snapshot failed after freeze: thaw, VMware scripts get freezeFail, the others thaw.")
    static final class FreezeFail extends Base {
        @Option(names = "--no-fsfreeze", description = "Accepted for symmetry with freeze.")
        boolean noFsfreeze;

        @Override
        public Integer call() throws Exception {
            return GuestMain.guarded(spec, this::run);
        }

        Integer run() throws Exception {
            print(new QuiesceRunner(options(), printer()).thaw(QuiesceRunner.ThawKind.FREEZE_FAIL, null));
            return 0;
        }
    }

    @Command(name = "watchdog", hidden = true, description = "Internal: the detached watchdog armed by freeze.")
    static final class WatchdogCmd implements Callable<Integer> {
        @Mixin
        GuestOptions common;

        @Option(names = "--token", required = true)
        String token;

        @Option(names = "--deadline", description = "Ignored (the deadline is in the state file).")
        long deadline;

        @Override
        public Integer call() throws Exception {
            return run(common.root(), token);
        }

        static Integer run(java.nio.file.Path root, String token) throws Exception {
            QuiesceRunner r = new QuiesceRunner(QuiesceRunner.Options.of(root), GuestListener.none());
            dev.stillpoint.guest.run.Watchdog.run(r, new dev.stillpoint.guest.state.StateStore(root), token);
            return 0;
        }
    }

    /**
     * The training run of {@code install} for the class-data-sharing archive ({@code -XX:ArchiveClassesAtExit}):
     * runs the hot path (freeze --no-fsfreeze with a qemu and a Stillpoint hook, thaw, in JSON and text, report,
     * a watchdog pass) on a scratch root, so the archive holds the classes the wrappers load. The watchdog
     * launcher is a no-op here; nothing outside the scratch root is touched.
     */
    @Command(
            name = "cds-train",
            hidden = true,
            description = "Internal: class-data-sharing training run of install (scratch --root).")
    static final class CdsTrain implements Callable<Integer> {
        @Mixin
        GuestOptions common;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            java.nio.file.Path root = common.root();
            if (root.getParent() == null)
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "cds-train: --root must be a scratch directory, not /");
            for (String hook : List.of("etc/qemu/fsfreeze-hook.d/10-train", "etc/stillpoint/hooks.d/10-train")) {
                java.nio.file.Path f = root.resolve(hook);
                java.nio.file.Files.createDirectories(f.getParent());
                java.nio.file.Files.writeString(f, "#!/bin/sh\nexit 0\n");
                java.nio.file.Files.setPosixFilePermissions(
                        f, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            picocli.CommandLine cl = GuestMain.commandLine(new picocli.CommandLine.IFactory() {
                @Override
                public <K> K create(Class<K> cls) throws Exception {
                    K k = picocli.CommandLine.defaultFactory().create(cls);
                    if (k instanceof Base) ((Base) k).watchdog = (r, t, d) -> -1;
                    return k;
                }
            });
            PrintWriter sink = new PrintWriter(java.io.Writer.nullWriter());
            cl.setOut(sink);
            cl.setErr(sink);
            String r = root.toString();
            dev.stillpoint.guest.run.WatchdogLauncher none = (x, t, d) -> -1;
            int rc = 0;
            rc |= FastPath.run(new String[] {"freeze", "--no-fsfreeze", "--root", r}, sink, sink, none);
            rc |= FastPath.run(new String[] {"thaw", "--root", r}, sink, sink, none);
            rc |= FastPath.run(new String[] {"thaw", "--root", r}, sink, sink, none);
            rc |= cl.execute("freeze", "--no-fsfreeze", "--root", r, "--json");
            rc |= cl.execute("thaw", "--root", r, "--json");
            rc |= cl.execute("freeze", "--no-fsfreeze", "--root", r);
            rc |= cl.execute("thaw", "--root", r);
            rc |= cl.execute("thaw", "--root", r);
            rc |= cl.execute("report", "--root", r);
            dev.stillpoint.guest.run.Watchdog.run(
                    new QuiesceRunner(QuiesceRunner.Options.of(root), GuestListener.none()),
                    new dev.stillpoint.guest.state.StateStore(root),
                    "cds-train");
            dev.stillpoint.guest.run.WatchdogLauncher.command(root, "cds-train", 0L);
            spec.commandLine().getOut().println(rc == 0 ? "cds-train: ok" : "cds-train: a command failed (" + rc + ")");
            return rc == 0 ? 0 : 1;
        }
    }

    @Command(name = "report", description = "Show the last freeze/thaw report (var/lib/stillpoint/last-report.json).")
    static final class Report implements Callable<Integer> {
        @Mixin
        GuestOptions common;

        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return GuestMain.guarded(spec, this::show);
        }

        private Integer show() throws Exception {
            GuestReport r = new dev.stillpoint.guest.state.ReportStore(common.root()).read();
            PrintWriter out = spec.commandLine().getOut();
            if (r == null) {
                if (json) out.println("null");
                else
                    out.println("no report yet (" + dev.stillpoint.guest.state.ReportStore.PATH + " under "
                            + common.root() + ")");
                return 0;
            }
            if (json) {
                out.println(r.toJson(true));
                return 0;
            }
            out.printf(
                    "%s: %s, consistency %s, started %s%n", r.operation(), r.result(), r.consistency(), r.startedAt());
            if (r.freezeWindowMs() != null)
                out.printf(
                        "freeze window: %s ms; frozen mounts: %s (fsfreeze by %s)%n",
                        r.freezeWindowMs(), r.frozenMounts(), r.fsfreeze());
            if (r.failedHook() != null) out.printf("failed hook: %s%n", r.failedHook());
            for (GuestReport.HookRun h : r.hooks() != null ? r.hooks() : List.<GuestReport.HookRun>of()) {
                out.printf(
                        "  %-10s %-11s %-8s exit %-4s %6s ms  %s%n",
                        h.group(), h.phase(), h.result(), h.exitCode(), h.durationMs(), h.name());
            }
            if (r.watchdog() != null)
                out.println("watchdog fired: " + r.watchdog().toMap());
            return 0;
        }
    }
}
