package dev.stillpoint.engine.verify;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.catalog.Verification;
import dev.stillpoint.engine.diagnostics.FilesystemState;
import dev.stillpoint.engine.diagnostics.FilesystemStateReport;
import dev.stillpoint.engine.diagnostics.GuestFilesystemInspector;
import dev.stillpoint.engine.instant.InstantRecovery;
import dev.stillpoint.engine.instant.Overlays;
import dev.stillpoint.engine.restore.DomainXmlRewriter;
import dev.stillpoint.engine.restore.DomainXmlRewriter.NbdBacking;
import dev.stillpoint.engine.restore.RestoreFormat;
import dev.stillpoint.engine.restore.RestoredDisk;
import dev.stillpoint.engine.runs.RunJournal;
import dev.stillpoint.engine.vm.GuestExec;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Boots one restore point in isolation and checks it (see the package documentation). */
public final class BootVerification {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration AGENT_CALL = Duration.ofSeconds(10);

    /** What the CLI shows while it runs. */
    public interface Listener {
        Listener NONE = step -> {};

        void step(String what);
    }

    private final VmConnector connector;
    private final InstantRecovery.ExportLauncher launcher;
    private final Clock clock;

    public BootVerification(VmConnector connector, InstantRecovery.ExportLauncher launcher, Clock clock) {
        this.connector = connector;
        this.launcher = launcher;
        this.clock = clock;
    }

    /**
     * Boots {@code backup} from its export on throwaway overlays in {@code dir}, runs the checks and
     * {@code probes}, keeps a picture of its console in {@code evidenceDir}, and removes everything
     * else again. A failed check is a failed verification (the
     * result says why), not an exception; exceptions are for a verification that could not run.
     */
    public Verification run(
            BackupRecord backup,
            Path dir,
            Path evidenceDir,
            List<String> probes,
            Duration bootTimeout,
            RunJournal journal,
            Listener listener)
            throws EngineException, VmException, IOException {
        if (!backup.complete()) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT,
                    "backup " + backup.id() + " has status '" + backup.status().label()
                            + "'; only complete backups can be verified");
        }
        if (backup.domainXml() == null) {
            throw new EngineException(Code.INVALID_ARGUMENT, "backup " + backup.id() + " has no saved domain XML");
        }
        Instant started = clock.instant();
        long t0 = System.nanoTime();
        String name = "sp-verify-" + backup.id().substring(0, 8) + "-"
                + HexFormat.of().formatHex(bytes(2));
        Path work = dir.resolve(name);
        Path socket = work.resolve("export.sock");
        List<Path> files = new ArrayList<>();
        List<RestoredDisk> overlays = new ArrayList<>();
        Map<String, NbdBacking> backings = new LinkedHashMap<>();
        for (DiskRecord d : backup.disks()) {
            Path overlay = work.resolve(d.target() + ".qcow2");
            files.add(overlay);
            overlays.add(new RestoredDisk(d.target(), overlay, RestoreFormat.QCOW2, d.size(), d.snapshotId()));
            backings.put(d.target(), new NbdBacking(socket, d.target()));
        }
        Map<String, Path> boot = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e :
                DomainXmlRewriter.bootFiles(backup.domainXml()).entrySet()) {
            Path copy = work.resolve(e.getValue().getFileName());
            files.add(copy);
            boot.put(e.getKey(), copy);
        }
        journal.update(r -> r.withWorkDir(work).withFiles(files).withThrowawayDomain(name));
        Files.createDirectories(work);
        work.toFile().setExecutable(true, false);
        work.toFile().setReadable(true, false);
        InstantRecovery.RunningExport export = null;
        VmDomain domain = null;
        Long bootMs = null;
        List<String> fsLines = new ArrayList<>();
        List<Verification.Probe> probeResults = new ArrayList<>();
        String error = null;
        Verification.Screenshot screenshot = null;
        try {
            listener.step("export of backup " + backup.id());
            export = launcher.start(backup.id(), socket);
            for (RestoredDisk o : overlays) Overlays.create(o.file(), backings.get(o.target()));
            for (Map.Entry<String, Path> e :
                    DomainXmlRewriter.bootFiles(backup.domainXml()).entrySet()) {
                if (Files.isRegularFile(e.getValue())) Files.copy(e.getValue(), boot.get(e.getKey()));
                else boot.put(e.getKey(), e.getValue());
            }
            Map<String, RestoredDisk> byTarget = new LinkedHashMap<>();
            for (RestoredDisk o : overlays) byTarget.put(o.target(), o);
            String xml = DomainXmlRewriter.withLoopbackConsole(DomainXmlRewriter.withoutInterfaces(
                    DomainXmlRewriter.rewrite(backup.domainXml(), name, byTarget, boot, work, backings)));
            domain = connector.define(xml);
            listener.step("booting " + name + " (no network)");
            long bootStart = System.nanoTime();
            domain.start();
            VmDomain.GuestAgent agent = domain.agent();
            long deadline = bootStart + bootTimeout.toNanos();
            while (true) {
                if (agent.ping(Duration.ofSeconds(2))) {
                    bootMs = (System.nanoTime() - bootStart) / 1_000_000;
                    break;
                }
                if (System.nanoTime() > deadline) break;
                sleep(1000);
            }
            if (bootMs == null) {
                error = "the guest agent did not answer within " + bootTimeout.toSeconds() + " s of the boot";
            } else {
                listener.step("guest agent answered after " + bootMs + " ms; checking filesystems");
                error = checkFilesystems(domain, fsLines);
                for (String probe : probes) {
                    listener.step("probe: " + probe);
                    Verification.Probe p = probe(agent, probe);
                    probeResults.add(p);
                    if (!p.passed() && error == null) {
                        error = "probe '" + probe + "' "
                                + (p.exitCode() == null ? "did not finish" : "exited " + p.exitCode());
                    }
                }
            }
            listener.step("console screenshot");
            screenshot = screenshot(domain, evidenceDir, backup.id() + "-" + started.toEpochMilli());
        } finally {
            listener.step("removing " + name);
            teardown(domain, export, work, files);
        }
        return new Verification(
                backup.id(),
                started,
                error == null,
                bootMs,
                (System.nanoTime() - t0) / 1_000_000,
                fsLines,
                probeResults,
                error,
                screenshot);
    }

    /** The console as evidence; any failure is the result's reason, never the verification's. */
    private static Verification.Screenshot screenshot(VmDomain domain, Path evidenceDir, String baseName) {
        try {
            if (domain.state() != VmDomain.State.RUNNING) {
                return Verification.Screenshot.failed("the domain was not running (" + domain.state() + ")");
            }
            return ConsoleEvidence.save(domain.screenshot(), evidenceDir, baseName);
        } catch (VmException | IOException | RuntimeException e) {
            return Verification.Screenshot.failed(String.valueOf(e.getMessage()));
        }
    }

    private static String checkFilesystems(VmDomain domain, List<String> lines) throws VmException {
        FilesystemStateReport report = new GuestFilesystemInspector().inspect(domain, Duration.ofSeconds(30));
        String error = null;
        for (FilesystemState fs : report.filesystems()) {
            String state = fs.state() == null ? "unreadable (" + fs.error() + ")" : fs.state();
            lines.add(fs.device() + " " + String.join(",", fs.mountpoints()) + " " + state);
            if ((fs.state() == null || fs.state().contains("error")) && error == null) {
                error = "filesystem " + fs.device() + " is " + state;
            }
        }
        if (report.filesystems().isEmpty() && error == null) error = "the guest agent listed no ext filesystem";
        return error;
    }

    private static Verification.Probe probe(VmDomain.GuestAgent agent, String command) {
        try {
            GuestExec.Result r = GuestExec.run(
                    agent, "/bin/sh", List.of("-c", command), Duration.ofSeconds(120), Duration.ofMillis(200));
            if (r == null) return new Verification.Probe(command, null, "did not finish within 120 s");
            String out = (r.stdout() + r.stderr()).strip();
            return new Verification.Probe(command, r.exitCode(), out.length() > 4000 ? out.substring(0, 4000) : out);
        } catch (VmException e) {
            return new Verification.Probe(command, null, e.getMessage());
        }
    }

    private void teardown(VmDomain domain, InstantRecovery.RunningExport export, Path work, List<Path> files) {
        if (domain != null) {
            try {
                if (domain.state() != VmDomain.State.SHUTOFF) domain.destroy();
            } catch (VmException ignored) {
                // undefine below still removes it
            }
            try {
                domain.undefine();
            } catch (VmException ignored) {
                // a later run's recovery removes it (the journal names it)
            }
        }
        if (export != null) export.stop();
        try (var s = Files.walk(work)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // journaled: removed by a later run
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
