package dev.stillpoint.engine.catalog;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SQLite backup catalog (see package documentation for the schema). Not thread-safe. */
public final class Catalog implements AutoCloseable {

    /** Schema version this code writes. */
    public static final int SCHEMA_VERSION = 3;

    private static final String DEFAULT_FILE = "catalog.db";

    private final Path file;
    private final Connection db;

    private Catalog(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** The default catalog location for a repository directory. */
    public static Path defaultPath(Path repository) {
        return repository.resolve(DEFAULT_FILE);
    }

    /** Opens (creating when missing) the catalog at {@code file}. */
    public static Catalog open(Path file) throws EngineException {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            SqliteLibrary.load();
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            Catalog catalog = new Catalog(file, c);
            catalog.migrate();
            return catalog;
        } catch (SQLException | java.io.IOException e) {
            throw new EngineException(Code.CATALOG, "cannot open catalog " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    private void migrate() throws SQLException, EngineException {
        try (Statement st = db.createStatement()) {
            st.execute("PRAGMA busy_timeout = 10000");
            st.execute("PRAGMA foreign_keys = ON");
            int version;
            try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
                version = rs.getInt(1);
            }
            if (version > SCHEMA_VERSION) {
                throw new EngineException(
                        Code.CATALOG,
                        "catalog " + file + " has schema version " + version + "; this Stillpoint knows versions up to "
                                + SCHEMA_VERSION + " (upgrade Stillpoint)");
            }
            if (version == 0) {
                st.execute("""
                        CREATE TABLE IF NOT EXISTS backups (
                          id TEXT PRIMARY KEY, vm_name TEXT NOT NULL, vm_uuid TEXT, started_at TEXT NOT NULL,
                          finished_at TEXT, status TEXT NOT NULL, mode TEXT, consistency TEXT, checkpoint TEXT,
                          parent_backup TEXT, domain_xml TEXT, guest_report TEXT, freeze_window_ms INTEGER,
                          preflight_ms INTEGER, freeze_ms INTEGER, begin_ms INTEGER, thaw_ms INTEGER,
                          copy_ms INTEGER, end_ms INTEGER, bytes_read INTEGER NOT NULL DEFAULT 0,
                          bytes_stored INTEGER NOT NULL DEFAULT 0, disk_size INTEGER NOT NULL DEFAULT 0,
                          error TEXT, warnings TEXT)""");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS backup_disks (
                          backup_id TEXT NOT NULL REFERENCES backups(id) ON DELETE CASCADE, target TEXT NOT NULL,
                          source TEXT, format TEXT, size INTEGER NOT NULL, snapshot_id TEXT, parent_snapshot TEXT,
                          bytes_read INTEGER NOT NULL DEFAULT 0, stored_bytes INTEGER NOT NULL DEFAULT 0,
                          PRIMARY KEY (backup_id, target))""");
                st.execute("CREATE INDEX IF NOT EXISTS backups_vm ON backups(vm_uuid, started_at)");
                st.execute("CREATE UNIQUE INDEX IF NOT EXISTS backups_checkpoint ON backups(checkpoint)"
                        + " WHERE checkpoint IS NOT NULL");
            }
            if (version < 2) {
                // 2: offline incrementals (clean-shutdown) record the checkpoint they were read from, so only
                // the rows that create checkpoints (online backups) keep a name unique
                st.execute("DROP INDEX IF EXISTS backups_checkpoint");
                st.execute("CREATE UNIQUE INDEX IF NOT EXISTS backups_checkpoint_created ON backups(checkpoint)"
                        + " WHERE checkpoint IS NOT NULL AND consistency IS NOT 'clean-shutdown'");
                st.execute("CREATE INDEX IF NOT EXISTS backups_checkpoint_name ON backups(checkpoint)");
            }
            if (version < 3) {
                // 3: boot verifications (verify --boot), several per backup, the newest counts
                st.execute("""
                        CREATE TABLE IF NOT EXISTS verifications (
                          backup_id TEXT NOT NULL, started_at TEXT NOT NULL, passed INTEGER NOT NULL,
                          boot_to_agent_ms INTEGER, total_ms INTEGER NOT NULL, report TEXT, error TEXT)""");
                st.execute("CREATE INDEX IF NOT EXISTS verifications_backup ON verifications(backup_id, started_at)");
                st.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            }
        }
    }

    /** Records a backup and its disks in one transaction. */
    public void insert(BackupRecord r) throws EngineException {
        String sql = "INSERT INTO backups (id, vm_name, vm_uuid, started_at, finished_at, status, mode, consistency,"
                + " checkpoint, parent_backup, domain_xml, guest_report, freeze_window_ms, preflight_ms, freeze_ms,"
                + " begin_ms, thaw_ms, copy_ms, end_ms, bytes_read, bytes_stored, disk_size, error, warnings)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        try {
            db.setAutoCommit(false);
            try (PreparedStatement ps = db.prepareStatement(sql)) {
                int i = 1;
                ps.setString(i++, r.id());
                ps.setString(i++, r.vmName());
                ps.setString(i++, r.vmUuid());
                ps.setString(i++, r.startedAt().toString());
                ps.setString(i++, r.finishedAt() == null ? null : r.finishedAt().toString());
                ps.setString(i++, r.status().label());
                ps.setString(i++, r.mode() == null ? null : r.mode().label());
                ps.setString(
                        i++, r.consistency() == null ? null : r.consistency().label());
                ps.setString(i++, r.checkpoint());
                ps.setString(i++, r.parentBackup());
                ps.setString(i++, r.domainXml());
                ps.setString(i++, r.guestReport());
                setLong(ps, i++, r.freezeWindowMs());
                for (Phase phase : Phase.values()) setLong(ps, i++, r.phaseMs().get(phase));
                ps.setLong(i++, r.bytesRead());
                ps.setLong(i++, r.bytesStored());
                ps.setLong(i++, r.diskSize());
                ps.setString(i++, r.error());
                ps.setString(i, r.warnings().isEmpty() ? null : String.join("\n", r.warnings()));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = db.prepareStatement(
                    "INSERT INTO backup_disks (backup_id, target, source,"
                            + " format, size, snapshot_id, parent_snapshot, bytes_read, stored_bytes) VALUES (?,?,?,?,?,?,?,?,?)")) {
                for (DiskRecord d : r.disks()) {
                    ps.setString(1, r.id());
                    ps.setString(2, d.target());
                    ps.setString(3, d.source());
                    ps.setString(4, d.format());
                    ps.setLong(5, d.size());
                    ps.setString(6, d.snapshotId());
                    ps.setString(7, d.parentSnapshot());
                    ps.setLong(8, d.bytesRead());
                    ps.setLong(9, d.storedBytes());
                    ps.executeUpdate();
                }
            }
            db.commit();
        } catch (SQLException e) {
            rollbackQuietly();
            throw new EngineException(
                    Code.CATALOG, "cannot record backup " + r.id() + " in catalog " + file + ": " + e.getMessage(), e);
        } finally {
            autoCommitQuietly();
        }
    }

    /** Records one boot verification. */
    public void insert(Verification v) throws EngineException {
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO verifications (backup_id, started_at, passed,"
                + " boot_to_agent_ms, total_ms, report, error) VALUES (?,?,?,?,?,?,?)")) {
            ps.setString(1, v.backupId());
            ps.setString(2, v.startedAt().toString());
            ps.setInt(3, v.passed() ? 1 : 0);
            setLong(ps, 4, v.bootToAgentMs());
            ps.setLong(5, v.totalMs());
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("filesystems", v.filesystems());
            report.put(
                    "probes", v.probes().stream().map(Verification.Probe::toMap).toList());
            if (v.screenshot() != null) report.put("screenshot", v.screenshot().toMap());
            ps.setString(6, com.fasterxml.jackson.jr.ob.JSON.std.asString(report));
            ps.setString(7, v.error());
            ps.executeUpdate();
        } catch (SQLException | java.io.IOException e) {
            throw new EngineException(
                    Code.CATALOG,
                    "cannot record the verification of backup " + v.backupId() + " in catalog " + file + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** The newest verification of each backup that has one. */
    @SuppressWarnings("unchecked")
    public Map<String, Verification> latestVerifications() throws EngineException {
        Map<String, Verification> out = new LinkedHashMap<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT * FROM verifications ORDER BY started_at, rowid");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Map<String, Object> report = rs.getString("report") == null
                        ? Map.of()
                        : com.fasterxml.jackson.jr.ob.JSON.std.mapFrom(rs.getString("report"));
                List<Verification.Probe> probes = new ArrayList<>();
                for (Object o : (List<Object>) report.getOrDefault("probes", List.of())) {
                    Map<String, Object> m = (Map<String, Object>) o;
                    probes.add(new Verification.Probe(
                            (String) m.get("command"),
                            m.get("exitCode") instanceof Number n ? n.intValue() : null,
                            (String) m.get("output")));
                }
                long boot = rs.getLong("boot_to_agent_ms");
                Long bootMs = rs.wasNull() ? null : boot;
                out.put(
                        rs.getString("backup_id"),
                        new Verification(
                                rs.getString("backup_id"),
                                Instant.parse(rs.getString("started_at")),
                                rs.getInt("passed") == 1,
                                bootMs,
                                rs.getLong("total_ms"),
                                (List<String>) report.getOrDefault("filesystems", List.of()),
                                probes,
                                rs.getString("error"),
                                Verification.Screenshot.fromMap((Map<String, Object>) report.get("screenshot"))));
            }
            return out;
        } catch (SQLException | java.io.IOException | RuntimeException e) {
            throw new EngineException(
                    Code.CATALOG, "cannot read verifications from catalog " + file + ": " + e.getMessage(), e);
        }
    }

    /** Finds a backup by full id or unique id prefix. */
    public BackupRecord find(String idOrPrefix) throws EngineException {
        if (idOrPrefix == null || idOrPrefix.isBlank() || !idOrPrefix.matches("[0-9a-fA-F]+")) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT,
                    "backup id '" + idOrPrefix + "' is not a hex id or prefix (see 'stillpoint backups')");
        }
        List<BackupRecord> hits = query("WHERE id LIKE ?", idOrPrefix.toLowerCase() + "%");
        if (hits.isEmpty()) {
            throw new EngineException(
                    Code.BACKUP_NOT_FOUND, "no backup with id '" + idOrPrefix + "' in catalog " + file);
        }
        if (hits.size() > 1) {
            throw new EngineException(
                    Code.AMBIGUOUS_ID,
                    "backup id prefix '" + idOrPrefix + "' matches " + hits.size() + " backups ("
                            + hits.get(0).id() + ", " + hits.get(1).id() + ", ...); give more digits");
        }
        return hits.getFirst();
    }

    /** All backups, oldest first; only those of {@code vmName} when not null. */
    public List<BackupRecord> list(String vmName) throws EngineException {
        return vmName == null ? query("", (Object[]) null) : query("WHERE vm_name = ?", vmName);
    }

    /** The newest complete backup of a VM (by UUID), if any. */
    public Optional<BackupRecord> lastComplete(String vmUuid) throws EngineException {
        List<BackupRecord> all = query("WHERE vm_uuid = ? AND status = 'complete'", vmUuid);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    /** Whether a backup with exactly this id is recorded (complete or failed). */
    public boolean contains(String id) throws EngineException {
        return !query("WHERE id = ?", id).isEmpty();
    }

    /** Whether a checkpoint with this name was recorded by a backup. */
    public boolean knowsCheckpoint(String checkpoint) throws EngineException {
        return !query("WHERE checkpoint = ?", checkpoint).isEmpty();
    }

    private List<BackupRecord> query(String where, Object... args) throws EngineException {
        String sql = "SELECT * FROM backups " + where + " ORDER BY started_at, rowid";
        List<BackupRecord> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            if (args != null) for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(row(rs));
            }
            List<BackupRecord> withDisks = new ArrayList<>(out.size());
            for (BackupRecord r : out) withDisks.add(withDisks(r));
            return withDisks;
        } catch (SQLException e) {
            throw new EngineException(Code.CATALOG, "cannot read catalog " + file + ": " + e.getMessage(), e);
        }
    }

    private BackupRecord row(ResultSet rs) throws SQLException {
        Map<Phase, Long> phases = new LinkedHashMap<>();
        for (Phase phase : Phase.values()) {
            long v = rs.getLong(phase.key() + "_ms");
            if (!rs.wasNull()) phases.put(phase, v);
        }
        long fw = rs.getLong("freeze_window_ms");
        Long freezeWindow = rs.wasNull() ? null : fw;
        String warnings = rs.getString("warnings");
        String finished = rs.getString("finished_at");
        return BackupRecord.builder(
                        rs.getString("id"), rs.getString("vm_name"), Instant.parse(rs.getString("started_at")))
                .vmUuid(rs.getString("vm_uuid"))
                .finishedAt(finished == null ? null : Instant.parse(finished))
                .status(BackupRecord.Status.ofLabel(rs.getString("status")))
                .mode(BackupRecord.Mode.ofLabel(rs.getString("mode")))
                .consistency(Consistency.ofLabel(rs.getString("consistency")))
                .checkpoint(rs.getString("checkpoint"))
                .parentBackup(rs.getString("parent_backup"))
                .domainXml(rs.getString("domain_xml"))
                .guestReport(rs.getString("guest_report"))
                .freezeWindowMs(freezeWindow)
                .phaseMs(phases)
                .bytes(rs.getLong("bytes_read"), rs.getLong("bytes_stored"), rs.getLong("disk_size"))
                .error(rs.getString("error"))
                .warnings(warnings == null ? List.of() : Arrays.asList(warnings.split("\n")))
                .build();
    }

    private BackupRecord withDisks(BackupRecord r) throws SQLException {
        List<DiskRecord> disks = new ArrayList<>();
        try (PreparedStatement ps =
                db.prepareStatement("SELECT * FROM backup_disks WHERE backup_id = ? ORDER BY target")) {
            ps.setString(1, r.id());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    disks.add(new DiskRecord(
                            rs.getString("target"),
                            rs.getString("source"),
                            rs.getString("format"),
                            rs.getLong("size"),
                            rs.getString("snapshot_id"),
                            rs.getString("parent_snapshot"),
                            rs.getLong("bytes_read"),
                            rs.getLong("stored_bytes")));
                }
            }
        }
        return r.toBuilder().disks(disks).build();
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) ps.setNull(i, Types.INTEGER);
        else ps.setLong(i, v);
    }

    private void rollbackQuietly() {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            /* already failing */
        }
    }

    private void autoCommitQuietly() {
        try {
            db.setAutoCommit(true);
        } catch (SQLException ignored) {
            /* connection broken */
        }
    }

    @Override
    public void close() throws EngineException {
        try {
            db.close();
        } catch (SQLException e) {
            throw new EngineException(Code.CATALOG, "cannot close catalog " + file + ": " + e.getMessage(), e);
        }
    }
}
