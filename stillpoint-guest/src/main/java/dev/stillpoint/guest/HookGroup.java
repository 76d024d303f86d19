package dev.stillpoint.guest;

import java.util.Locale;

/**
 * Hook conventions, declared in freeze order. Thaw visits the groups in reverse order
 * (the last group to freeze thaws first), so application hooks nest around each other.
 */
public enum HookGroup {
    /** VMware Tools: backupScripts.d ascending (byte order) + legacy slot first; thaw/freezeFail reversed. */
    VMWARE(true),
    /** QEMU guest agent stock hook directories: glob order for freeze and thaw (no reversal). */
    QEMU(false),
    /** Nutanix Guest Tools: usr/local/sbin/pre_freeze and post_thaw, no arguments. */
    NUTANIX(false),
    /** Azure Backup pre/post script framework (VMSnapshotScriptPluginConfig.json). */
    AZURE(false),
    /** Stillpoint's own etc/stillpoint/hooks.d and built-in quiescers; thaw reversed. */
    STILLPOINT(true);

    private final boolean reverseOnThaw;

    HookGroup(boolean reverseOnThaw) {
        this.reverseOnThaw = reverseOnThaw;
    }

    /** Whether this group's hooks thaw in reverse of their freeze order. */
    public boolean reverseOnThaw() {
        return reverseOnThaw;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static HookGroup byName(String s) {
        for (HookGroup g : values()) if (g.id().equals(s.toLowerCase(Locale.ROOT))) return g;
        return null;
    }
}
