/**
 * Offline diagnostics from logs: VMware stun times against a database mirror's QoS timeout, and
 * freeze-to-thaw windows (seed 003). Parsers and statistics only; nothing here prints, the CLI
 * ({@code stillpoint analyze ...}) renders text or JSON.
 *
 * <h2>Input files (all parsers)</h2>
 * Plain or gzip (detected by magic bytes), LF or CRLF, UTF-8 with bad bytes replaced, a leading BOM
 * dropped. Every named file is checked before any is read: a missing one fails with
 * {@link dev.stillpoint.engine.diagnostics.DiagnosticsException} code {@code FILE_NOT_FOUND} naming
 * it. A damaged gzip keeps the lines read before the damage (warning). An empty file is no error.
 *
 * <h2>Stun: vmware.log</h2>
 * ESXi logs one line per stun when the VM runs again; the value is how long the VM was stopped in
 * microseconds (a {@code long}: values beyond 2^31 us are real on stuck consolidations):
 * <pre>
 * 2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us   ESXi 5/6
 * 2022-06-14T07:48:02.373Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for 305880 us ESXi 7+
 * Jan 04 22:15:58.846: vcpu-0| Checkpoint_Unstun: vm stopped for 38123 us              old, no year
 * vmware-1.log:2017-01-04T22:15:58.846Z| ...                                            grep -H output
 * </pre>
 * {@code CheckpointUnstun} (seed 003's prose spelling) is accepted too. Any thread may log it
 * ({@code vcpu-N}, {@code vmx}); the thread is recorded, every line counts as one stun. Skipped
 * with a line-numbered warning: no timestamp (line cut at the front), no {@code N us} (cut at the
 * end), N beyond 2^63-1. Yearless times: the last is placed in the file's modification year (the
 * year before if its month/day lies after the modification date); each December-to-January step
 * earlier in the file is one year further back.
 *
 * <p><b>Snapshot operations.</b> Stuns from all files are merged in time order; identical stuns
 * (time, value, thread) found in two files count once. A stun logged more than the group gap
 * (default 120 s) after the previous one starts a new operation. The Checkpoint_Unstun line itself
 * says nothing about the operation, so its kind comes from:
 * <ol>
 *   <li>marker lines, when the file has them (full vmware.log): a line containing (case-insensitive)
 *       {@code consolidat}, {@code RemoveSnapshot}, {@code Snapshot_Delete}, {@code DeleteSnapshot}
 *       marks a consolidate; {@code TakeSnapshot}, {@code Create snapshot}, {@code CreateSnapshot}
 *       a create; markers count when timed from one group gap before the first stun up to the last
 *       one; consolidate wins (consolidation logs helper snapshots being taken);</li>
 *   <li>otherwise the order (seed 003: "one group at snapshot creation, the other 45 minutes later
 *       when each disk's snapshot was removed/consolidated"): a backup creates a snapshot with one
 *       stun for all disks and removes it with at least one stun per disk. A group with several
 *       stuns is a consolidate; a single stun is a create unless the operation before it was a
 *       create, then it is that snapshot's consolidate. Such kinds are flagged {@code inferred}.</li>
 * </ol>
 *
 * <p><b>QoS verdict</b> (seed 003, mirror QoS timeline): on an idle mirror the backup member pings
 * the primary after half the QoS timeout and takes over when the other half passes without an
 * answer. Per stun: {@code safe} when stun &lt;= timeout/2, {@code at risk} when timeout/2 &lt; stun &lt;
 * timeout, {@code failover} when stun &gt;= timeout. The smallest safe timeout is twice the longest
 * stun rounded up to whole seconds (at least 1 s); seed 003 warns that QoS timeouts above ~30 s
 * bring their own problems.
 *
 * <p><b>Statistics</b>: min, max, total; median (mean of the two middle values for an even count,
 * rounded half up); p95 by nearest rank (the maximum when there are fewer than 20 values).
 *
 * <h2>Freeze windows</h2>
 * Text logs, line formats may mix in one file (examples from seeds 000 and 003):
 * <pre>
 * Wed Jan 4 16:30:36 EST 2017: H20152 IS FROZEN            Caché snapshot.log (also IS THAWED,
 * Wed Jan 4 16:30:42 EST 2017: H20152 IS THAWED              FREEZE FAILED, THAW FAILED); key = instance
 * 01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended   Caché instance log
 * 01/04/2017 16:30:42: Backup.General.ExternalThaw: System resumed         (key = file name minus -pre_post)
 * Sat Mar  2 03:00:01 JST 2024                            sample hooks: a `date` line, then
 * freeze                                                    freeze | thaw | freezefail (any case)
 * 2024/03/02  3:00:01.25                                  Windows %date% %time% line, then the word
 * Sat 03/02/2024  3:00:05.10 Running pre_freeze script    Nutanix Windows samples (post_thaw = thaw)
 * </pre>
 * Time formats: see {@code LogTimes} (C, en_US and ja_JP {@code date}, Windows ja-JP year-first and
 * en-US month-first, ISO-8601); zone abbreviations with a fixed offset are applied, unknown ones
 * leave the time zone-less. The sample hooks write freeze and thaw into different files
 * ({@code ...-freeze.log}, {@code ...-thaw.log}); markers are paired per (format, key) where a
 * hook log's key is its file name without the freeze/thaw word. Pairing rules:
 * {@link dev.stillpoint.engine.diagnostics.FreezeLogAnalyzer}.
 *
 * <p>Stillpoint's JSON report (stillpoint-guest {@code last-report.json}; one object, an array or
 * JSON Lines) gives complete windows; fields read (details in {@code StillpointReportReader}):
 * {@code result} (ok, thawed-by-watchdog, thaw-incomplete, freeze-failed, failed, frozen),
 * {@code freezeWindowMs} (number; required for thawed results), {@code thawedAt|thawCompletedAt},
 * {@code frozenAt|freezeStartedAt} (else thawedAt − freezeWindowMs, else {@code startedAt|start}),
 * {@code finishedAt|end}, {@code vm|host|hostname}, {@code hooks[]} ({@code name|path},
 * {@code phase}, {@code result}, {@code exitCode}, {@code durationMs}). Times are ISO-8601 or epoch ms.
 */
package dev.stillpoint.engine.diagnostics;
