package dev.stillpoint.engine.vm;

/**
 * A disk from the domain XML.
 *
 * @param target     target dev, e.g. "vda"
 * @param source     source file path (null when not file-backed)
 * @param format     driver type, e.g. "qcow2" or "raw"
 * @param skipReason null when the disk is backed up; otherwise why it is skipped (cdrom, read-only, not a file)
 */
public record VmDisk(String target, String source, String format, String skipReason) {
    public boolean included() {
        return skipReason == null;
    }
}
