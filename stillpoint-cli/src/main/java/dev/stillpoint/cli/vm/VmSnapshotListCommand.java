package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.snapshot.SnapshotView;
import dev.stillpoint.engine.snapshot.VmSnapshots;
import dev.stillpoint.engine.vm.VmConnector;
import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
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

/** {@code stillpoint vm snapshot list DOMAIN}. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = {
            "List a domain's snapshots: creation time, domain state then, parent, current, internal/external, "
                    + "overlay files and sizes, the memory state each internal snapshot keeps in the qcow2 "
                    + "(qemu-img's VM SIZE, read from the image's snapshot table) and how much the image has grown."
        })
public final class VmSnapshotListCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = "Domain name or UUID.")
    String domain;

    @Mixin
    ConnectOption connect;

    @Option(
            names = "--json",
            description =
                    "One {\"type\":\"vmSnapshot\"} line per snapshot, one {\"type\":\"image\"} per qcow2, then a summary.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        List<SnapshotView> list;
        List<SnapshotView.Image> images;
        try (VmConnector connector = Connectors.open(connect.uri)) {
            VmSnapshots snapshots = new VmSnapshots(connector, Clock.systemUTC(), printer::warning);
            list = snapshots.list(domain);
            images = snapshots.images(domain, list);
        }
        printer.line(String.format(
                Locale.ROOT,
                "%-24s  %-19s  %-13s  %-20s  %-3s  %-8s  %10s  %-11s  %s",
                "NAME",
                "CREATED",
                "STATE",
                "PARENT",
                "CUR",
                "KIND",
                "VM SIZE",
                "CONSISTENCY",
                "EXPIRES"));
        for (SnapshotView s : list) {
            printer.message("vmSnapshot", json(s));
            printer.line(String.format(
                    Locale.ROOT,
                    "%-24s  %-19s  %-13s  %-20s  %-3s  %-8s  %10s  %-11s  %s",
                    s.name(),
                    s.created() == null ? "?" : TIME.format(s.created()),
                    s.state(),
                    s.parent() == null ? "-" : s.parent(),
                    s.current() ? "*" : "",
                    s.kind(),
                    s.vmStateBytes() < 0 ? "?" : VmPrinter.bytes(s.vmStateBytes()),
                    s.metadata().consistency() == null ? "-" : s.metadata().consistency(),
                    s.metadata().expires() == null
                            ? "never"
                            : s.metadata().expires() + (s.expired() ? " EXPIRED" : "")));
            for (SnapshotView.Disk d : s.disks()) {
                if (!"external".equals(d.mode())) continue;
                printer.line("    " + d.target() + " overlay " + d.file() + " ("
                        + (d.fileBytes() < 0 ? "missing" : VmPrinter.bytes(d.fileBytes())) + ")");
            }
        }
        if (list.isEmpty()) printer.line("no snapshots");
        long vmState = 0, grown = 0;
        for (SnapshotView.Image i : images) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", i.file());
            m.put("fileBytes", i.fileBytes());
            m.put("internalSnapshots", i.snapshots());
            m.put("vmStateBytes", i.vmStateBytes());
            m.put("grownBytes", i.grownBytes() < 0 ? null : i.grownBytes());
            printer.message("image", m);
            if (i.snapshots() > 0 || i.grownBytes() > 0)
                printer.line("image " + i.file() + ": " + VmPrinter.bytes(i.fileBytes()) + ", " + i.snapshots()
                        + " internal snapshot(s) holding " + VmPrinter.bytes(i.vmStateBytes()) + " of VM state"
                        + (i.grownBytes() < 0
                                ? ""
                                : ", grown " + VmPrinter.bytes(i.grownBytes())
                                        + " since the first Stillpoint snapshot"));
            vmState += i.vmStateBytes();
            if (i.grownBytes() > 0) grown += i.grownBytes();
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("domain", domain);
        summary.put("snapshots", list.size());
        summary.put("vmStateBytes", vmState);
        summary.put("grownBytes", grown);
        printer.summary(summary);
        return 0;
    }

    static Map<String, Object> json(SnapshotView s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("created", s.created() == null ? null : s.created().toString());
        m.put("state", s.state());
        m.put("parent", s.parent());
        m.put("current", s.current());
        m.put("kind", s.kind());
        m.put("memory", s.memory());
        m.put("vmStateBytes", s.vmStateBytes() < 0 ? null : s.vmStateBytes());
        m.put("consistency", s.metadata().consistency());
        m.put(
                "expires",
                s.metadata().expires() == null ? null : s.metadata().expires().toString());
        m.put("expired", s.expired());
        m.put("description", s.metadata().text());
        List<Map<String, Object>> disks = new ArrayList<>();
        for (SnapshotView.Disk d : s.disks()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("target", d.target());
            dm.put("mode", d.mode());
            dm.put("file", d.file());
            dm.put("fileBytes", d.fileBytes() < 0 ? null : d.fileBytes());
            dm.put("vmStateBytes", d.vmStateBytes() < 0 ? null : d.vmStateBytes());
            disks.add(dm);
        }
        m.put("disks", disks);
        return m;
    }
}
