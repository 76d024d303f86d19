package dev.stillpoint.engine.restore;

/** Output format of restored disks. */
public enum RestoreFormat {
    /** qcow2 via a sparse raw temp file and {@code qemu-img convert -O qcow2} (holes stay holes). */
    QCOW2("qcow2"),
    /** Sparse raw file written directly. */
    RAW("raw");

    private final String extension;

    RestoreFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    /** libvirt driver type. */
    public String driverType() {
        return extension;
    }
}
