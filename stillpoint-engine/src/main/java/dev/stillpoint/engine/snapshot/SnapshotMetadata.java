package dev.stillpoint.engine.snapshot;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What Stillpoint records with a VM snapshot, as the last line of the snapshot's libvirt
 * description (libvirt keeps descriptions with the snapshot, and {@code virsh snapshot-info} /
 * {@code snapshot-dumpxml} show them; no side file can get lost):
 * <pre>
 * stillpoint: consistency=application expires=2026-12-07T05:00:00Z size-before.vda=1234567
 * </pre>
 * {@code consistency}: application, filesystem, crash (a running domain's disk-only snapshot; as
 * for a backup), memory (an internal snapshot with the running VM's memory), clean-shutdown (the
 * domain was shut off); {@code expires}: the deadline after which {@code vm snapshot audit} flags
 * it and {@code prune-expired} deletes it (absent: never); {@code size-before.DISK}: the disk's
 * image file size in bytes just before the snapshot (what the image has grown since).
 * Unknown keys are kept; a description without the line has no metadata.
 *
 * @param text       the description without the metadata line (null when none)
 * @param consistency null when unknown
 * @param expires    null when it never expires
 */
public record SnapshotMetadata(String text, String consistency, Instant expires, Map<String, Long> sizeBefore) {
    static final String PREFIX = "stillpoint:";

    public SnapshotMetadata {
        sizeBefore = Map.copyOf(sizeBefore);
    }

    /** The full description: {@code text} (if any), then the metadata line. */
    public String description() {
        StringBuilder line = new StringBuilder(PREFIX);
        if (consistency != null) line.append(" consistency=").append(consistency);
        if (expires != null) line.append(" expires=").append(expires);
        sizeBefore.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> line.append(" size-before.")
                        .append(e.getKey())
                        .append('=')
                        .append(e.getValue()));
        return text == null || text.isBlank() ? line.toString() : text.strip() + "\n" + line;
    }

    /** Whether the deadline has passed at {@code now}. */
    public boolean expiredAt(Instant now) {
        return expires != null && !now.isBefore(expires);
    }

    /** Parses a description; one without a metadata line gives {@code text} = description and nothing else. */
    public static SnapshotMetadata parse(String description) {
        if (description == null) return new SnapshotMetadata(null, null, null, Map.of());
        String d = description.strip();
        int nl = d.lastIndexOf('\n');
        String last = d.substring(nl + 1).strip();
        if (!last.startsWith(PREFIX)) return new SnapshotMetadata(d, null, null, Map.of());
        String text = nl < 0 ? null : d.substring(0, nl).strip();
        String consistency = null;
        Instant expires = null;
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (String kv : last.substring(PREFIX.length()).trim().split("\\s+")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) continue;
            String k = kv.substring(0, eq), v = kv.substring(eq + 1);
            try {
                if (k.equals("consistency")) consistency = v;
                else if (k.equals("expires")) expires = Instant.parse(v);
                else if (k.startsWith("size-before."))
                    sizes.put(k.substring("size-before.".length()), Long.parseLong(v));
            } catch (DateTimeParseException | NumberFormatException e) {
                // a hand-edited value: ignored, like an unknown key
            }
        }
        return new SnapshotMetadata(text == null || text.isEmpty() ? null : text, consistency, expires, sizes);
    }

    public SnapshotMetadata withExpires(Instant v) {
        return new SnapshotMetadata(text, consistency, Objects.requireNonNull(v, "expires"), sizeBefore);
    }
}
