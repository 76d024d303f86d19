package dev.stillpoint.guest.config;

import dev.stillpoint.guest.HookGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settings from {@code etc/stillpoint/guest.conf} (format: see {@link GuestConfigParser} and docs/hooks.md).
 * Defaults apply when the file or a key is absent.
 */
public final class GuestConfig {
    public static final int DEFAULT_TIMEOUT_SECONDS = 60;
    public static final int DEFAULT_MAX_FREEZE_SECONDS = 60;
    public static final int MAX_TIMEOUT_SECONDS = 86400;

    int timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
    int maxFreezeSeconds = DEFAULT_MAX_FREEZE_SECONDS;
    Set<Integer> successExitCodes = Set.of(0);
    final Set<HookGroup> disabledGroups = EnumSet.noneOf(HookGroup.class);
    String vmwareScriptArg = "";
    final List<String> includeMounts = new ArrayList<>();
    final List<String> excludeMounts = new ArrayList<>();
    final Map<String, HookSettings> hooks = new LinkedHashMap<>();
    final Set<String> sectionsSeen = new java.util.HashSet<>();
    /** Built-in quiescers: name -> settings (issue 5). */
    final Map<String, Map<String, String>> apps = new LinkedHashMap<>();

    public static GuestConfig defaults() {
        return new GuestConfig();
    }

    public int timeoutSeconds() {
        return timeoutSeconds;
    }

    public int maxFreezeSeconds() {
        return maxFreezeSeconds;
    }

    public Set<Integer> successExitCodes() {
        return successExitCodes;
    }

    public boolean enabled(HookGroup g) {
        return !disabledGroups.contains(g);
    }

    public String vmwareScriptArg() {
        return vmwareScriptArg;
    }

    public List<String> includeMounts() {
        return Collections.unmodifiableList(includeMounts);
    }

    public List<String> excludeMounts() {
        return Collections.unmodifiableList(excludeMounts);
    }

    public Map<String, HookSettings> hooks() {
        return Collections.unmodifiableMap(hooks);
    }

    public Map<String, Map<String, String>> apps() {
        return Collections.unmodifiableMap(apps);
    }

    /** Settings for a hook known by any of its guest paths, or null. */
    public HookSettings hook(List<String> guestPaths) {
        for (String p : guestPaths) {
            HookSettings s = hooks.get(p);
            if (s != null) return s;
        }
        return null;
    }
}
