/**
 * The backup catalog: a SQLite database (by default {@code <repository>/catalog.db}) that ties
 * the repository's per-disk image snapshots into VM backups and remembers what the repository
 * cannot: the domain XML, the libvirt checkpoint each backup created (the base of the next
 * incremental), the consistency level reached, per-phase timings and the guest's hook report.
 *
 * <p>Schema (version in {@code PRAGMA user_version}, currently 2; version 2 keeps
 * {@code checkpoint} unique only among rows whose consistency is not {@code clean-shutdown}):
 * <pre>
 * backups(id PK, vm_name, vm_uuid, started_at, finished_at (ISO-8601), status, mode, consistency,
 *         checkpoint, parent_backup, domain_xml, guest_report, freeze_window_ms,
 *         preflight_ms, freeze_ms, begin_ms, thaw_ms, copy_ms, end_ms,
 *         bytes_read, bytes_stored, disk_size, error, warnings (newline separated))
 * backup_disks(backup_id, target, source, format, size, snapshot_id, parent_snapshot,
 *              bytes_read, stored_bytes, PK(backup_id, target))
 * </pre>
 * Invariants: a checkpoint name is created by at most one row (an online backup); later rows may
 * repeat it only as offline incrementals ({@code clean-shutdown}), which read that checkpoint's
 * qcow2 bitmap and cannot create one of their own; only {@code complete} rows are
 * used as the base of an incremental; a checkpoint Stillpoint created but did not record here
 * is deleted before the backup command returns (so the catalog is the list of Stillpoint's
 * checkpoints). A newer schema version than this code knows is refused, an older one migrated.
 *
 * <p>The catalog is not the only copy: each complete backup is also written into the repository as
 * a record ({@link dev.stillpoint.engine.catalog.RepositoryRecords}), from which
 * {@code catalog rebuild} recreates the rows on a new host.
 */
package dev.stillpoint.engine.catalog;
