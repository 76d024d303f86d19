package dev.stillpoint.cli.instant;

import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.instant.InstantRecovery;
import dev.stillpoint.engine.instant.InstantSession;
import dev.stillpoint.engine.instant.InstantSessions;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.vm.VmConnector;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint instant list|finish|abort}: domains started by {@code restore --instant}. */
@Command(
        name = "instant",
        mixinStandardHelpOptions = true,
        description = "Domains running from a backup (restore --instant): list, finish, abort.",
        subcommands = {
            InstantCommand.ListCommand.class,
            InstantCommand.FinishCommand.class,
            InstantCommand.AbortCommand.class
        })
public final class InstantCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static InstantSessions sessions() throws EngineException {
        return InstantSessions.open(RunDirectory.defaultStateDir());
    }

    static Map<String, Object> json(InstantRecovery.Status st) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("domain", st.session().domain());
        o.put("backupId", st.session().backupId());
        o.put("state", st.state());
        o.put("startedAt", st.session().startedAt().toString());
        o.put("exportPid", st.session().exportPid());
        o.put("exportAlive", st.exportAlive());
        o.put("socket", st.session().socket().toString());
        o.put(
                "disks",
                st.disks().stream()
                        .map(d -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("target", d.target());
                            m.put("dependsOnExport", d.dependsOnExport());
                            m.put("pulling", d.pulling());
                            m.put("bytesDone", d.done());
                            m.put("bytesTotal", d.total());
                            m.put("percent", Math.round(d.percent() * 10) / 10.0);
                            return m;
                        })
                        .toList());
        return o;
    }

    static String text(InstantRecovery.Status st) {
        StringBuilder b = new StringBuilder(String.format(
                Locale.ROOT,
                "%-20s  %-16s  %-12s  export %s",
                st.session().domain(),
                st.session().backupId(),
                st.state(),
                st.exportAlive() ? "pid " + st.session().exportPid() : "not running"));
        for (InstantRecovery.DiskStatus d : st.disks()) {
            b.append(String.format(
                    Locale.ROOT,
                    "%n  %-6s %s",
                    d.target(),
                    !d.dependsOnExport()
                            ? "on its own file"
                            : String.format(
                                    Locale.ROOT,
                                    "%5.1f%% pulled (%s of %s)%s",
                                    d.percent(),
                                    Output.bytes(d.done()),
                                    Output.bytes(d.total()),
                                    d.pulling() ? "" : ", no pull running")));
        }
        return b.toString();
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Domains that still depend on (or were started from) a repository export, with progress.")
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConnectOption connect;

        @Option(names = "--json", description = "One {\"type\":\"instant\"} line per domain, then a summary.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Output out = Output.of(spec, json);
            InstantSessions sessions = sessions();
            List<InstantSession> all = sessions.list();
            try (VmConnector connector = Connectors.open(connect.uri)) {
                InstantRecovery recovery = new InstantRecovery(connector, sessions);
                for (InstantSession s : all) {
                    InstantRecovery.Status st = recovery.status(s);
                    if (json) out.message("instant", json(st));
                    else out.text(text(st));
                }
            }
            out.summary(Map.of("instant", all.size()), all.isEmpty() ? "no instant recovery" : null);
            return 0;
        }
    }

    @Command(
            name = "finish",
            mixinStandardHelpOptions = true,
            description = "Wait until every disk of NAME runs on its own file, then stop its export.")
    static final class FinishCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The domain started by restore --instant.")
        String name;

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                defaultValue = "86400",
                description = "Give up after this long (default one day).")
        long timeout;

        @Mixin
        ConnectOption connect;

        @Option(names = "--json", description = "Progress lines, then a summary line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Output out = Output.of(spec, json);
            long t0 = System.nanoTime();
            try (VmConnector connector = Connectors.open(connect.uri)) {
                InstantRecovery.Status st = new InstantRecovery(connector, sessions())
                        .finish(name, Duration.ofSeconds(timeout), s -> {
                            long done = s.disks().stream()
                                    .mapToLong(InstantRecovery.DiskStatus::done)
                                    .sum();
                            long total = s.disks().stream()
                                    .mapToLong(InstantRecovery.DiskStatus::total)
                                    .sum();
                            if (json) {
                                out.message(
                                        "progress",
                                        Map.of(
                                                "action",
                                                "instant " + name,
                                                "bytesDone",
                                                done,
                                                "bytesTotal",
                                                total,
                                                "state",
                                                s.state()));
                            }
                        });
                Map<String, Object> o = json(st);
                o.put("durationMs", (System.nanoTime() - t0) / 1_000_000);
                out.summary(o, name + ": every disk runs on its own file; export stopped");
            }
            return 0;
        }
    }

    @Command(
            name = "abort",
            mixinStandardHelpOptions = true,
            description = "Destroy and undefine NAME, delete its overlays, stop its export.")
    static final class AbortCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The domain started by restore --instant.")
        String name;

        @Mixin
        ConnectOption connect;

        @Option(names = "--json", description = "A summary line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Output out = Output.of(spec, json);
            try (VmConnector connector = Connectors.open(connect.uri)) {
                new InstantRecovery(connector, sessions()).abort(name);
            }
            out.summary(
                    Map.of("domain", name, "aborted", true),
                    name + ": destroyed, undefined, overlays deleted, export stopped");
            return 0;
        }
    }
}
