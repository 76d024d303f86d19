package dev.stillpoint.engine.catalog;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryRecord;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The catalog's rows as the repository keeps them, so that the repository describes itself: each
 * complete VM backup is also written into the repository as a record ({@link Repository#putRecord},
 * name = backup id, snapshots = disk target to snapshot id, body = the JSON below), and
 * {@link #rebuild} recreates a catalog from a repository alone on a new host.
 *
 * <p>Body (docs/repository-format.md, "Records"): {@code format} {@value #FORMAT}, {@code version}
 * 1, every field of {@link BackupRecord} (ISO-8601 times, labels for status, mode and
 * consistency, {@code phaseMs} by phase key) and its disks without their snapshot ids (those are
 * the record's snapshots, which {@code copy} renames; a disk's parent snapshot is its manifest's
 * parent), and {@code verification}, the newest boot verification when there is one.
 */
public final class RepositoryRecords {
    public static final String FORMAT = "stillpoint-backup";

    private RepositoryRecords() {}

    /** Writes {@code r} (a complete backup) and its newest verification (or null) into {@code repository}. */
    public static RepositoryRecord publish(Repository repository, BackupRecord r, Verification verification)
            throws IOException {
        Map<String, String> snapshots = new TreeMap<>();
        for (DiskRecord d : r.disks()) snapshots.put(d.target(), d.snapshotId());
        return repository.putRecord(r.id(), snapshots, body(r, verification));
    }

    /** Writes the catalog's row of {@code backupId} again with its newest verification (after {@code verify}). */
    public static RepositoryRecord republish(Repository repository, Catalog catalog, String backupId)
            throws IOException, EngineException {
        BackupRecord r = catalog.find(backupId);
        return publish(repository, r, catalog.latestVerifications().get(r.id()));
    }

    static String body(BackupRecord r, Verification v) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", 1);
        m.put("id", r.id());
        m.put("vmName", r.vmName());
        m.put("vmUuid", r.vmUuid());
        m.put("startedAt", r.startedAt().toString());
        m.put("finishedAt", r.finishedAt() == null ? null : r.finishedAt().toString());
        m.put("status", r.status().label());
        m.put("mode", r.mode() == null ? null : r.mode().label());
        m.put("consistency", r.consistency() == null ? null : r.consistency().label());
        m.put("checkpoint", r.checkpoint());
        m.put("parentBackup", r.parentBackup());
        m.put("domainXml", r.domainXml());
        m.put("guestReport", r.guestReport());
        m.put("freezeWindowMs", r.freezeWindowMs());
        Map<String, Object> phases = new LinkedHashMap<>();
        r.phaseMs().forEach((p, ms) -> phases.put(p.key(), ms));
        m.put("phaseMs", phases);
        m.put("bytesRead", r.bytesRead());
        m.put("bytesStored", r.bytesStored());
        m.put("diskSize", r.diskSize());
        m.put("error", r.error());
        m.put("warnings", r.warnings());
        List<Map<String, Object>> disks = new ArrayList<>();
        for (DiskRecord d : r.disks()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("target", d.target());
            dm.put("source", d.source());
            dm.put("format", d.format());
            dm.put("size", d.size());
            dm.put("bytesRead", d.bytesRead());
            dm.put("storedBytes", d.storedBytes());
            disks.add(dm);
        }
        m.put("disks", disks);
        if (v != null) {
            Map<String, Object> vm = new LinkedHashMap<>();
            vm.put("startedAt", v.startedAt().toString());
            vm.put("passed", v.passed());
            vm.put("bootToAgentMs", v.bootToAgentMs());
            vm.put("totalMs", v.totalMs());
            vm.put("filesystems", v.filesystems());
            vm.put("probes", v.probes().stream().map(Verification.Probe::toMap).toList());
            vm.put("error", v.error());
            if (v.screenshot() != null) vm.put("screenshot", v.screenshot().toMap());
            m.put("verification", vm);
        }
        return JSON.std.asString(m);
    }

    /** A backup and its verification as read back from a record. */
    record Parsed(BackupRecord backup, Verification verification, List<String> notes) {}

    /** Reads a record's body; {@code snapshots} (all of the repository's) give each disk its snapshot and parent. */
    @SuppressWarnings("unchecked")
    static Parsed parse(RepositoryRecord rec, Map<String, SnapshotInfo> snapshots) throws EngineException {
        try {
            Map<String, Object> m = JSON.std.mapFrom(rec.body());
            if (!FORMAT.equals(m.get("format")) || !(m.get("version") instanceof Number n) || n.intValue() != 1)
                throw new EngineException(
                        Code.CATALOG,
                        "record " + rec.id() + " (" + rec.name() + ") is not a " + FORMAT + " version 1 record");
            List<String> notes = new ArrayList<>();
            List<DiskRecord> disks = new ArrayList<>();
            for (Object o : list(m.get("disks"))) {
                Map<String, Object> d = (Map<String, Object>) o;
                String target = (String) d.get("target");
                String snap = rec.snapshots().get(target);
                SnapshotInfo s = snap == null ? null : snapshots.get(snap);
                if (s == null) {
                    notes.add("backup " + rec.name() + ": disk " + target + " is no longer in the repository (snapshot "
                            + snap + " forgotten); left out");
                    continue;
                }
                disks.add(new DiskRecord(
                        target,
                        (String) d.get("source"),
                        (String) d.get("format"),
                        num(d.get("size")),
                        snap,
                        s.parent(),
                        num(d.get("bytesRead")),
                        num(d.get("storedBytes"))));
            }
            Map<Phase, Long> phases = new LinkedHashMap<>();
            if (m.get("phaseMs") instanceof Map<?, ?> pm)
                for (Phase p : Phase.values()) if (pm.get(p.key()) instanceof Number x) phases.put(p, x.longValue());
            List<String> warnings = new ArrayList<String>(strings(m.get("warnings")));
            String id = (String) m.get("id");
            BackupRecord b = BackupRecord.builder(
                            id, (String) m.get("vmName"), Instant.parse((String) m.get("startedAt")))
                    .vmUuid((String) m.get("vmUuid"))
                    .finishedAt(m.get("finishedAt") == null ? null : Instant.parse((String) m.get("finishedAt")))
                    .status(BackupRecord.Status.ofLabel((String) m.get("status")))
                    .mode(BackupRecord.Mode.ofLabel((String) m.get("mode")))
                    .consistency(Consistency.ofLabel((String) m.get("consistency")))
                    .checkpoint((String) m.get("checkpoint"))
                    .parentBackup((String) m.get("parentBackup"))
                    .domainXml((String) m.get("domainXml"))
                    .guestReport((String) m.get("guestReport"))
                    .freezeWindowMs(m.get("freezeWindowMs") instanceof Number x ? x.longValue() : null)
                    .phaseMs(phases)
                    .bytes(num(m.get("bytesRead")), num(m.get("bytesStored")), num(m.get("diskSize")))
                    .error((String) m.get("error"))
                    .warnings(warnings)
                    .disks(disks)
                    .build();
            Verification v = null;
            if (m.get("verification") instanceof Map<?, ?> vm) {
                List<Verification.Probe> probes = new ArrayList<>();
                for (Object o : list(vm.get("probes"))) {
                    Map<String, Object> p = (Map<String, Object>) o;
                    probes.add(new Verification.Probe(
                            (String) p.get("command"),
                            p.get("exitCode") instanceof Number x ? x.intValue() : null,
                            (String) p.get("output")));
                }
                v = new Verification(
                        id,
                        Instant.parse((String) vm.get("startedAt")),
                        Boolean.TRUE.equals(vm.get("passed")),
                        vm.get("bootToAgentMs") instanceof Number x ? x.longValue() : null,
                        num(vm.get("totalMs")),
                        strings(vm.get("filesystems")),
                        probes,
                        (String) vm.get("error"),
                        vm.get("screenshot") instanceof Map<?, ?> sm
                                ? Verification.Screenshot.fromMap((Map<String, Object>) sm)
                                : null);
            }
            return new Parsed(b, v, notes);
        } catch (EngineException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new EngineException(
                    Code.CATALOG, "record " + rec.id() + " (" + rec.name() + ") is malformed: " + e.getMessage(), e);
        }
    }

    private static List<Object> list(Object o) {
        return o instanceof List<?> l ? new ArrayList<Object>(l) : List.of();
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(String::valueOf).toList();
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    /**
     * What {@link #rebuild} did.
     *
     * @param fromRecords   backups recreated from their records (everything the catalog had)
     * @param fromManifests backups recreated from snapshot manifests alone (no record: written
     *                      before records existed, or the record was lost)
     * @param present       backups the catalog had already (left as they are)
     * @param images        snapshots that belong to no VM backup (e.g. {@code image backup})
     * @param notes         what could not be recreated, one line each
     */
    public record Rebuild(int fromRecords, int fromManifests, int present, int images, List<String> notes) {}

    /**
     * A VM backup as a repository holds it: named by a record, or only by its snapshots' tags.
     *
     * @param snapshots every snapshot of the backup that the repository still holds
     */
    public record StoredBackup(String id, String vmName, Instant startedAt, Set<String> snapshots) {}

    /**
     * The VM backups {@code repository} holds (oldest first), from its records and from the tags
     * of snapshots no record names; without a catalog (what {@code copy} selects by).
     */
    public static List<StoredBackup> backups(Repository repository) throws IOException, EngineException {
        Map<String, SnapshotInfo> snapshots = new LinkedHashMap<>();
        for (SnapshotInfo s : repository.snapshots()) snapshots.put(s.id(), s);
        Map<String, StoredBackup> out = new LinkedHashMap<>();
        Set<String> covered = new HashSet<>();
        for (RepositoryRecord rec : repository.records()) {
            covered.addAll(rec.snapshots().values());
            String vm;
            Instant at;
            try {
                Map<String, Object> m = JSON.std.mapFrom(rec.body());
                vm = (String) m.get("vmName");
                at = Instant.parse((String) m.get("startedAt"));
            } catch (IOException | RuntimeException e) {
                throw new EngineException(
                        Code.CATALOG,
                        "record " + rec.id() + " (" + rec.name() + ") is malformed: " + e.getMessage(),
                        e);
            }
            Set<String> held = new java.util.TreeSet<>(rec.snapshots().values());
            held.retainAll(snapshots.keySet());
            if (!held.isEmpty()) out.put(rec.name(), new StoredBackup(rec.name(), vm, at, held));
        }
        for (SnapshotInfo s : snapshots.values()) {
            String b = s.tags().get(TAG_BACKUP);
            if (covered.contains(s.id())
                    || b == null
                    || !b.matches("[0-9a-f]{16}")
                    || s.tags().get(TAG_DOMAIN) == null) continue;
            StoredBackup had = out.get(b);
            Set<String> ids = new java.util.TreeSet<>(had == null ? Set.of() : had.snapshots());
            ids.add(s.id());
            Instant at = had == null || s.time().isBefore(had.startedAt()) ? s.time() : had.startedAt();
            out.put(b, new StoredBackup(b, s.tags().get(TAG_DOMAIN), at, ids));
        }
        List<StoredBackup> list = new ArrayList<>(out.values());
        list.sort(Comparator.comparing(StoredBackup::startedAt));
        return list;
    }

    /** Tag names the backup job gives each disk snapshot ({@code BackupJob}). */
    static final String TAG_BACKUP = "backup",
            TAG_DOMAIN = "domain",
            TAG_UUID = "uuid",
            TAG_DISK = "disk",
            TAG_CHECKPOINT = "checkpoint";

    /**
     * Adds to {@code catalog} every backup {@code repository} holds that the catalog does not:
     * from its newest record, else (a repository written before records, or a record lost) from
     * the tags of its snapshots, which give domain, UUID, disks, checkpoint, parent and times
     * but no domain XML, consistency, timings or guest report; each such gap is in the notes.
     */
    public static Rebuild rebuild(Repository repository, Catalog catalog) throws IOException, EngineException {
        Map<String, SnapshotInfo> snapshots = new LinkedHashMap<>();
        for (SnapshotInfo s : repository.snapshots()) snapshots.put(s.id(), s);
        Map<String, RepositoryRecord> newest = new LinkedHashMap<>();
        for (RepositoryRecord r : repository.records()) newest.put(r.name(), r); // oldest first: the last one wins
        List<String> notes = new ArrayList<>();
        Set<String> covered = new HashSet<>();
        List<BackupRecord> rows = new ArrayList<>();
        Map<String, Verification> verifications = new HashMap<>();
        for (RepositoryRecord rec : newest.values()) {
            covered.addAll(rec.snapshots().values());
            Parsed p = parse(rec, snapshots);
            notes.addAll(p.notes());
            if (p.backup().disks().isEmpty()) continue;
            rows.add(p.backup());
            if (p.verification() != null) verifications.put(p.backup().id(), p.verification());
        }
        Set<String> recorded = new HashSet<>();
        for (BackupRecord r : rows) recorded.add(r.id());

        // snapshots no record names: group the backup job's snapshots by their backup tag
        Map<String, List<SnapshotInfo>> byBackup = new LinkedHashMap<>();
        int images = 0;
        for (SnapshotInfo s : snapshots.values()) {
            if (covered.contains(s.id())) continue;
            String b = s.tags().get(TAG_BACKUP);
            if (b == null || !b.matches("[0-9a-f]{16}") || s.tags().get(TAG_DOMAIN) == null) {
                images++;
                continue;
            }
            byBackup.computeIfAbsent(b, k -> new ArrayList<>()).add(s);
        }
        Map<String, String> backupOfSnapshot = new HashMap<>();
        for (BackupRecord r : rows) for (DiskRecord d : r.disks()) backupOfSnapshot.put(d.snapshotId(), r.id());
        byBackup.forEach((b, list) -> list.forEach(s -> backupOfSnapshot.put(s.id(), b)));
        for (Map.Entry<String, List<SnapshotInfo>> e : byBackup.entrySet()) {
            List<SnapshotInfo> list = e.getValue();
            list.sort(Comparator.comparing(SnapshotInfo::time));
            SnapshotInfo first = list.getFirst();
            String parentSnapshot = list.stream()
                    .map(SnapshotInfo::parent)
                    .filter(java.util.Objects::nonNull)
                    .findFirst()
                    .orElse(null);
            List<DiskRecord> disks = new ArrayList<>();
            long size = 0, stored = 0;
            for (SnapshotInfo s : list) {
                disks.add(new DiskRecord(
                        s.tags().getOrDefault(TAG_DISK, s.name()),
                        null,
                        null,
                        s.size(),
                        s.id(),
                        s.parent(),
                        0,
                        s.storedBytes()));
                size += s.size();
                stored += s.storedBytes();
            }
            String cp = first.tags().get(TAG_CHECKPOINT);
            rows.add(BackupRecord.builder(e.getKey(), first.tags().get(TAG_DOMAIN), first.time())
                    .vmUuid(first.tags().get(TAG_UUID))
                    .finishedAt(list.getLast().time())
                    .status(BackupRecord.Status.COMPLETE)
                    .mode(parentSnapshot == null ? BackupRecord.Mode.FULL : BackupRecord.Mode.INCREMENTAL)
                    .checkpoint(cp == null || cp.isEmpty() ? null : cp)
                    .parentBackup(parentSnapshot == null ? null : backupOfSnapshot.get(parentSnapshot))
                    .bytes(0, stored, size)
                    .warnings(List.of("rebuilt from snapshot manifests: the repository holds no record of this backup"
                            + " (no domain XML, consistency, timings or guest report)"))
                    .disks(disks)
                    .build());
        }

        rows.sort(Comparator.comparing(BackupRecord::startedAt));
        int present = 0, fromRecords = 0, fromManifests = 0;
        for (BackupRecord r : rows) {
            if (catalog.contains(r.id())) {
                present++;
                continue;
            }
            if (r.checkpoint() != null && r.consistency() == null && catalog.knowsCheckpoint(r.checkpoint())) {
                notes.add("backup " + r.id() + ": checkpoint " + r.checkpoint()
                        + " is recorded by another backup; left out of this one");
                r = r.toBuilder().checkpoint(null).build();
            }
            catalog.insert(r);
            if (recorded.contains(r.id())) fromRecords++;
            else {
                fromManifests++;
                notes.add("backup " + r.id() + " (" + r.vmName()
                        + "): no record in the repository; rebuilt from its snapshot manifests without domain XML"
                        + " (restore --define needs it), consistency, timings or guest report");
            }
            Verification v = verifications.get(r.id());
            if (v != null) catalog.insert(v);
        }
        return new Rebuild(fromRecords, fromManifests, present, images, notes);
    }
}
