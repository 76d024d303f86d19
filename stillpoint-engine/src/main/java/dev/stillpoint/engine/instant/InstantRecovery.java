package dev.stillpoint.engine.instant;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.restore.DomainXmlRewriter;
import dev.stillpoint.engine.restore.DomainXmlRewriter.NbdBacking;
import dev.stillpoint.engine.restore.RestoreFormat;
import dev.stillpoint.engine.restore.RestoredDisk;
import dev.stillpoint.engine.restore.RestoredDomain;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Starts, reports, finishes and aborts instant recoveries (see the package documentation). */
public final class InstantRecovery {

    /** Starts the long-lived export of a backup's disks on a unix socket (the CLI runs {@code stillpoint export}). */
    public interface ExportLauncher {
        /** Returns once the socket serves; the process must outlive the caller. */
        RunningExport start(String backupId, Path socket) throws EngineException;
    }

    /** A started export process. */
    public record RunningExport(long pid, String startedAt) {
        /** The process, when it is still this export (a recycled pid has another start time). */
        Optional<ProcessHandle> process() {
            if (pid <= 0) return Optional.empty();
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(h -> startedAt == null
                            || h.info()
                                    .startInstant()
                                    .map(Instant::toString)
                                    .map(startedAt::equals)
                                    .orElse(true));
        }

        public boolean alive() {
            return process().isPresent();
        }

        /** SIGTERM (the export removes its socket), SIGKILL after 10 s; nothing when it is gone. */
        public void stop() {
            process().ifPresent(h -> {
                h.destroy();
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            });
        }
    }

    /** One disk: whether it still reads from the export, and the block pull's progress. */
    public record DiskStatus(String target, boolean dependsOnExport, long done, long total, boolean pulling) {
        public double percent() {
            return total <= 0 ? (dependsOnExport ? 0 : 100) : 100.0 * done / total;
        }
    }

    /**
     * @param state {@code pulling} (disks still read from the export), {@code done} (none does),
     *              {@code export-dead} (disks depend on an export that is gone: the guest sees I/O
     *              errors), {@code domain-gone}, {@code starting} (interrupted before it ran)
     */
    public record Status(InstantSession session, String state, boolean exportAlive, List<DiskStatus> disks) {}

    private final VmConnector connector;
    private final InstantSessions sessions;
    private final String qemuImg;

    public InstantRecovery(VmConnector connector, InstantSessions sessions) {
        this(connector, sessions, "qemu-img");
    }

    InstantRecovery(VmConnector connector, InstantSessions sessions, String qemuImg) {
        this.connector = connector;
        this.sessions = sessions;
        this.qemuImg = qemuImg;
    }

    /**
     * Runs {@code backup} as domain {@code newName} on overlays in {@code dir} backed by a new
     * export, and starts a block pull of each disk. On failure everything made so far is undone.
     */
    public InstantSession start(BackupRecord backup, String newName, Path dir, ExportLauncher launcher)
            throws EngineException, VmException, IOException {
        if (!backup.complete()) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT,
                    "backup " + backup.id() + " has status '" + backup.status().label()
                            + "'; only complete backups can be restored");
        }
        if (backup.domainXml() == null) {
            throw new EngineException(Code.INVALID_ARGUMENT, "backup " + backup.id() + " has no saved domain XML");
        }
        if (connector.find(newName).isPresent() || sessions.find(newName).isPresent()) {
            throw new EngineException(
                    Code.ALREADY_EXISTS, "a domain or instant recovery named " + newName + " already exists");
        }
        Files.createDirectories(dir);
        Path socket = dir.resolve(newName + ".export.sock");
        List<Path> files = new ArrayList<>();
        List<RestoredDisk> overlays = new ArrayList<>();
        Map<String, NbdBacking> backings = new LinkedHashMap<>();
        for (DiskRecord d : backup.disks()) {
            Path overlay = dir.resolve(newName + "-" + d.target() + ".qcow2");
            if (Files.exists(overlay)) {
                throw new EngineException(
                        Code.ALREADY_EXISTS, "overlay " + overlay + " exists; choose another name or --to");
            }
            files.add(overlay);
            overlays.add(new RestoredDisk(d.target(), overlay, RestoreFormat.QCOW2, d.size(), d.snapshotId()));
            backings.put(d.target(), new NbdBacking(socket, d.target()));
        }
        for (Path boot : DomainXmlRewriter.bootFiles(backup.domainXml()).values()) {
            files.add(dir.resolve(newName + "-" + boot.getFileName()));
        }
        InstantSession session = new InstantSession(
                newName,
                backup.id(),
                "starting",
                Instant.now(),
                0,
                null,
                socket,
                dir,
                overlays.stream().map(RestoredDisk::target).toList(),
                files);
        sessions.save(session); // first: from here on `instant abort NAME` finds whatever exists
        try {
            RunningExport export = launcher.start(backup.id(), socket);
            session = session.withExport(export.pid(), export.startedAt());
            sessions.save(session);
            for (RestoredDisk o : overlays) Overlays.create(qemuImg, o.file(), backings.get(o.target()));
            VmDomain domain = RestoredDomain.define(connector, backup, overlays, backings, newName, dir, true);
            for (String disk : session.disks()) domain.blockPull(disk);
            session = session.withState("pulling");
            sessions.save(session);
            return session;
        } catch (EngineException | VmException | IOException | RuntimeException e) {
            try {
                abort(newName);
            } catch (EngineException | VmException | RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    /** Where an instant recovery stands now. */
    public Status status(InstantSession s) throws VmException {
        boolean alive = s.exportAlive();
        Optional<VmDomain> domain = connector.find(s.domain());
        if (domain.isEmpty()) return new Status(s, "domain-gone", alive, List.of());
        String xml = domain.get().xml(false);
        List<DiskStatus> disks = new ArrayList<>();
        boolean depends = false;
        for (String disk : s.disks()) {
            boolean dep = dependsOnNbd(xml, disk);
            depends |= dep;
            Optional<VmDomain.BlockJob> job = dep ? domain.get().blockJob(disk) : Optional.empty();
            disks.add(new DiskStatus(
                    disk,
                    dep,
                    job.map(VmDomain.BlockJob::done).orElse(0L),
                    job.map(VmDomain.BlockJob::total).orElse(0L),
                    job.isPresent()));
        }
        String state =
                "starting".equals(s.state()) ? "starting" : !depends ? "done" : alive ? "pulling" : "export-dead";
        return new Status(s, state, alive, disks);
    }

    /**
     * Waits until no disk of {@code name} reads from the export (restarting a pull that is not
     * running), then stops the export and forgets the session; the domain runs on its own files.
     */
    public Status finish(String name, Duration timeout, Consumer<Status> progress)
            throws EngineException, VmException, InterruptedException {
        InstantSession s = sessions.find(name)
                .orElseThrow(() -> new EngineException(
                        Code.BACKUP_NOT_FOUND,
                        "no instant recovery named " + name + " (see 'stillpoint instant list')"));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Status st = status(s);
            progress.accept(st);
            switch (st.state()) {
                case "done" -> {
                    stopExport(s);
                    sessions.remove(name);
                    return st;
                }
                case "export-dead", "domain-gone", "starting" ->
                    throw new EngineException(
                            Code.TOOL_FAILED,
                            "instant recovery " + name + " cannot finish: " + st.state()
                                    + " (use 'stillpoint instant abort " + name + "')");
                default -> {
                    VmDomain d = connector.find(name).orElseThrow();
                    for (DiskStatus ds : st.disks())
                        if (ds.dependsOnExport() && !ds.pulling()) d.blockPull(ds.target());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "instant recovery " + name + " still reads from its export after " + timeout.toSeconds()
                                + " s");
            }
            Thread.sleep(500);
        }
    }

    /** Destroys and undefines the domain, deletes the files this recovery made, stops the export. */
    public void abort(String name) throws EngineException, VmException {
        InstantSession s = sessions.find(name)
                .orElseThrow(() -> new EngineException(
                        Code.BACKUP_NOT_FOUND,
                        "no instant recovery named " + name + " (see 'stillpoint instant list')"));
        Optional<VmDomain> domain = connector.find(name);
        if (domain.isPresent()) {
            if (domain.get().state() != VmDomain.State.SHUTOFF) domain.get().destroy();
            domain.get().undefine();
        }
        stopExport(s);
        for (Path f : s.files()) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                throw new EngineException(Code.TOOL_FAILED, "cannot remove " + f + ": " + e.getMessage(), e);
            }
        }
        sessions.remove(name);
    }

    private static void stopExport(InstantSession s) {
        s.export().stop();
        try {
            Files.deleteIfExists(s.socket());
        } catch (IOException ignored) {
            // the export removes it itself
        }
    }

    /** Whether {@code <disk><target dev=disk/>} of the live XML still has a network (NBD) backingStore. */
    static boolean dependsOnNbd(String domainXml, String disk) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            NodeList disks = f.newDocumentBuilder()
                    .parse(new ByteArrayInputStream(domainXml.getBytes(StandardCharsets.UTF_8)))
                    .getElementsByTagName("disk");
            for (int i = 0; i < disks.getLength(); i++) {
                Element d = (Element) disks.item(i);
                NodeList targets = d.getElementsByTagName("target");
                if (targets.getLength() == 0 || !disk.equals(((Element) targets.item(0)).getAttribute("dev"))) continue;
                NodeList stores = d.getElementsByTagName("backingStore");
                for (int j = 0; j < stores.getLength(); j++) {
                    if ("network".equals(((Element) stores.item(j)).getAttribute("type"))) return true;
                }
                return false;
            }
            return false;
        } catch (Exception e) {
            throw new IllegalStateException("cannot parse the domain XML: " + e.getMessage(), e);
        }
    }
}
