package dev.stillpoint.guest.fs;

/** One line of /proc/self/mountinfo (the fields we use). */
public final class Mount {
    public final int id;
    public final int major;
    public final int minor;
    public final String mountPoint;
    public final String fsType;
    public final String source;
    public final boolean readOnly;

    public Mount(int id, int major, int minor, String mountPoint, String fsType, String source, boolean readOnly) {
        this.id = id;
        this.major = major;
        this.minor = minor;
        this.mountPoint = mountPoint;
        this.fsType = fsType;
        this.source = source;
        this.readOnly = readOnly;
    }

    @Override
    public String toString() {
        return mountPoint + " (" + fsType + " " + source + ")";
    }
}
