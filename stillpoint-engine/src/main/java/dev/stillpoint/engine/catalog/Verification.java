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
 * @param screenshot    the console picture kept as evidence, or why there is none (null: none was tried)
 */
public record Verification(
        String backupId,
        Instant startedAt,
        boolean passed,
        Long bootToAgentMs,
        long totalMs,
        List<String> filesystems,
        List<Probe> probes,
        String error,
        Screenshot screenshot) {
    public Verification {
        filesystems = filesystems == null ? List.of() : List.copyOf(filesystems);
        probes = probes == null ? List.of() : List.copyOf(probes);
    }

    /**
     * The booted point's console ({@code virDomainScreenshot}), taken before it is destroyed: the
     * file and its MIME type and size in pixels, or {@code error} saying why there is none (a failed
     * screenshot never fails a verification).
     */
    public record Screenshot(String path, String mimeType, Integer width, Integer height, String error) {
        public static Screenshot failed(String error) {
            return new Screenshot(null, null, null, null, error);
        }

        /** {@code path}, {@code mimeType}, {@code width}, {@code height}, {@code error}: the catalog's and {@code --json}'s shape. */
        public java.util.Map<String, Object> toMap() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("path", path);
            m.put("mimeType", mimeType);
            m.put("width", width);
            m.put("height", height);
            m.put("error", error);
            return m;
        }

        /** The inverse of {@link #toMap} (null for null). */
        public static Screenshot fromMap(java.util.Map<String, Object> m) {
            if (m == null) return null;
            return new Screenshot(
                    (String) m.get("path"),
                    (String) m.get("mimeType"),
                    m.get("width") instanceof Number n ? n.intValue() : null,
                    m.get("height") instanceof Number n ? n.intValue() : null,
                    (String) m.get("error"));
        }
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
