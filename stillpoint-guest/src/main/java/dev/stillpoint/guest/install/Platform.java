package dev.stillpoint.guest.install;

/** Agents the runner can be wired into. */
public enum Platform {
    QEMU_GA("qemu-ga"),
    VMWARE("vmware"),
    NUTANIX("nutanix"),
    AZURE("azure");

    private final String id;

    Platform(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Platform byId(String s) {
        for (Platform p : values()) if (p.id.equals(s)) return p;
        return null;
    }
}
