package dev.stillpoint.engine.catalog;

import java.time.Instant;
import java.util.List;

/**
 * One boot verification of a backup (SureBackup for libvirt): the restore point booted in
 * isolation from its export, and what was checked.
 *
 * @param bootToAgentMs from {@code virDomainCreate} to the first answered {@code guest-ping} (null: never answered)
 * @param filesystems   one line per ext filesystem, e.g. {@code /dev/vda / clean}
 * @param error         why it failed (null when it passed)
 */
public record Verification(
        String backupId,
        Instant startedAt,
        boolean passed,
        Long bootToAgentMs,
        long totalMs,
        List<String> filesystems,
        List<Probe> probes,
        String error) {
    public Verification {
        filesystems = filesystems == null ? List.of() : List.copyOf(filesystems);
        probes = probes == null ? List.of() : List.copyOf(probes);
    }

    /** A command run in the booted guest; passed when it exited 0. */
    public record Probe(String command, Integer exitCode, String output) {
        public boolean passed() {
            return exitCode != null && exitCode == 0;
        }

        /** {@code command}, {@code exitCode}, {@code output}: the shape of the catalog's report and of {@code --json}. */
        public java.util.Map<String, Object> toMap() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("command", command);
            m.put("exitCode", exitCode);
            m.put("output", output);
            return m;
        }
    }
}
