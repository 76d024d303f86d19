package dev.stillpoint.guest.hooks;

import dev.stillpoint.guest.HookGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One hook: what runs at freeze, at thaw and at freezeFail (argv with host paths; null = nothing to run,
 * which counts as success). Stored in the state file at freeze so thaw uses the same list (as VMware does).
 */
public final class Hook {
    public final HookGroup group;
    /** Display id: the guest path of the hook (or of its config file for Azure/built-ins). */
    public final String name;

    public final List<String> freeze;
    public final List<String> thaw;
    /** Command for the rollback of a freeze that failed later on (VMware: freezeFail). */
    public final List<String> freezeFail;

    public final int timeoutSeconds;
    public final Set<Integer> successExitCodes;
    /** Runs of the freeze command after a failure (Azure preScriptNoOfRetries). */
    public final int freezeRetries;

    public final int thawRetries;
    /** A failed freeze does not abort the whole freeze (Azure continueBackupOnFailure, or optional = true). */
    public final boolean continueOnFailure;
    /** Thaw also runs when this hook's own freeze failed (Azure: post scripts always run). */
    public final boolean thawAfterFailedFreeze;
    /** Host paths of the files this hook runs, checked by {@link HookSecurity} before each run (empty: built-in). */
    public final List<String> files;
    /** guest.conf {@code acceptGroupWritable}: the files' group write bit is accepted knowingly. */
    public final boolean acceptGroupWritable;
    /** The hook holds an application lock from its freeze to its thaw (the report records how long). */
    public final boolean holdsLock;

    public Hook(
            HookGroup group,
            String name,
            List<String> freeze,
            List<String> thaw,
            List<String> freezeFail,
            int timeoutSeconds,
            Set<Integer> successExitCodes,
            int freezeRetries,
            int thawRetries,
            boolean continueOnFailure,
            boolean thawAfterFailedFreeze) {
        this(
                group,
                name,
                freeze,
                thaw,
                freezeFail,
                timeoutSeconds,
                successExitCodes,
                freezeRetries,
                thawRetries,
                continueOnFailure,
                thawAfterFailedFreeze,
                List.of(),
                false,
                false);
    }

    public Hook(
            HookGroup group,
            String name,
            List<String> freeze,
            List<String> thaw,
            List<String> freezeFail,
            int timeoutSeconds,
            Set<Integer> successExitCodes,
            int freezeRetries,
            int thawRetries,
            boolean continueOnFailure,
            boolean thawAfterFailedFreeze,
            List<String> files,
            boolean acceptGroupWritable,
            boolean holdsLock) {
        this.group = group;
        this.name = name;
        this.freeze = freeze == null ? null : List.copyOf(freeze);
        this.thaw = thaw == null ? null : List.copyOf(thaw);
        this.freezeFail = freezeFail == null ? null : List.copyOf(freezeFail);
        this.timeoutSeconds = timeoutSeconds;
        this.successExitCodes = Set.copyOf(successExitCodes);
        this.freezeRetries = freezeRetries;
        this.thawRetries = thawRetries;
        this.continueOnFailure = continueOnFailure;
        this.thawAfterFailedFreeze = thawAfterFailedFreeze;
        this.files = List.copyOf(files);
        this.acceptGroupWritable = acceptGroupWritable;
        this.holdsLock = holdsLock;
    }

    /** This hook with the files it runs (and whether their group write bit is accepted). */
    public Hook withFiles(List<String> v, boolean acceptGroup) {
        return copy(v, acceptGroup, holdsLock);
    }

    /** This hook, marked as holding an application lock from freeze to thaw. */
    public Hook holdingLock() {
        return copy(files, acceptGroupWritable, true);
    }

    private Hook copy(List<String> v, boolean acceptGroup, boolean locks) {
        return new Hook(
                group,
                name,
                freeze,
                thaw,
                freezeFail,
                timeoutSeconds,
                successExitCodes,
                freezeRetries,
                thawRetries,
                continueOnFailure,
                thawAfterFailedFreeze,
                v,
                acceptGroup,
                locks);
    }

    public String id() {
        return group.id() + ":" + name;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("group", group.id());
        m.put("name", name);
        m.put("freeze", freeze);
        m.put("thaw", thaw);
        m.put("freezeFail", freezeFail);
        m.put("timeoutSeconds", timeoutSeconds);
        m.put("successExitCodes", new ArrayList<>(new TreeSet<>(successExitCodes)));
        m.put("freezeRetries", freezeRetries);
        m.put("thawRetries", thawRetries);
        m.put("continueOnFailure", continueOnFailure);
        m.put("thawAfterFailedFreeze", thawAfterFailedFreeze);
        if (!files.isEmpty()) m.put("files", files);
        if (acceptGroupWritable) m.put("acceptGroupWritable", true);
        if (holdsLock) m.put("holdsLock", true);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static Hook fromMap(Map<String, Object> m) {
        Set<Integer> codes = new TreeSet<>();
        for (Object o : (List<Object>) m.get("successExitCodes")) codes.add(((Number) o).intValue());
        return new Hook(
                HookGroup.byName((String) m.get("group")),
                (String) m.get("name"),
                strings(m.get("freeze")),
                strings(m.get("thaw")),
                strings(m.get("freezeFail")),
                ((Number) m.get("timeoutSeconds")).intValue(),
                codes,
                ((Number) m.get("freezeRetries")).intValue(),
                ((Number) m.get("thawRetries")).intValue(),
                (Boolean) m.get("continueOnFailure"),
                (Boolean) m.get("thawAfterFailedFreeze"),
                m.get("files") == null ? List.of() : strings(m.get("files")),
                Boolean.TRUE.equals(m.get("acceptGroupWritable")),
                Boolean.TRUE.equals(m.get("holdsLock")));
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object o) {
        if (o == null) return null;
        List<String> out = new ArrayList<>();
        for (Object x : (List<Object>) o) out.add(String.valueOf(x));
        return out;
    }

    @Override
    public String toString() {
        return id();
    }
}
