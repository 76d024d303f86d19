package dev.stillpoint.guest.state;

import dev.stillpoint.guest.contract.ContractException;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.hooks.Hook;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The freeze between the separate freeze and thaw invocations ({@link StateStore}).
 *
 * @param token            identifies this freeze (the watchdog's argument)
 * @param phase            {@code hooks} while freeze hooks run, {@code frozen} after them
 * @param runnerPid        the freeze runner (the watchdog undoes the hooks at once when it dies in phase hooks)
 * @param hooks            hooks that froze, freeze order, full definitions (thaw re-reads nothing)
 * @param mounts           mount points the runner froze, freeze order
 * @param skippedMounts    mounts FIFREEZE skipped (not supported, busy), or null
 * @param hooksDoneAt      epoch ms: freeze hooks ended (the start of the window in agent mode)
 * @param fsFreezeStartedAt epoch ms: first FIFREEZE, or null before
 * @param deadline         epoch ms: when the watchdog thaws (0 while hooks run)
 * @param report           the freeze-phase report
 */
public record FreezeState(
        String token,
        String startedAt,
        Phase phase,
        long runnerPid,
        boolean noFsfreeze,
        List<Hook> hooks,
        List<String> mounts,
        List<String> skippedMounts,
        long hooksDoneAt,
        Long fsFreezeStartedAt,
        long deadline,
        int maxFreezeSeconds,
        long watchdogPid,
        GuestReport report) {
    public static final int VERSION = 1;

    /** Where the freeze is. */
    public enum Phase {
        HOOKS("hooks"),
        FROZEN("frozen");

        private final String id;

        Phase(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        static Phase byId(String id) {
            for (Phase p : values()) if (p.id.equals(id)) return p;
            throw new IllegalArgumentException("unknown phase '" + id + "'");
        }
    }

    public FreezeState {
        hooks = List.copyOf(hooks);
        mounts = List.copyOf(mounts);
        skippedMounts = skippedMounts == null ? null : List.copyOf(skippedMounts);
    }

    public FreezeState withHooks(List<Hook> v) {
        return new FreezeState(
                token,
                startedAt,
                phase,
                runnerPid,
                noFsfreeze,
                v,
                mounts,
                skippedMounts,
                hooksDoneAt,
                fsFreezeStartedAt,
                deadline,
                maxFreezeSeconds,
                watchdogPid,
                report);
    }

    public FreezeState withWatchdogPid(long v) {
        return new FreezeState(
                token,
                startedAt,
                phase,
                runnerPid,
                noFsfreeze,
                hooks,
                mounts,
                skippedMounts,
                hooksDoneAt,
                fsFreezeStartedAt,
                deadline,
                maxFreezeSeconds,
                v,
                report);
    }

    /** After the hooks: the mounts about to be frozen, the watchdog's deadline and the freeze-phase report. */
    public FreezeState frozen(
            List<String> v, long hooksDone, long fsFreezeStarted, long newDeadline, int maxFreeze, GuestReport rep) {
        return new FreezeState(
                token,
                startedAt,
                Phase.FROZEN,
                runnerPid,
                noFsfreeze,
                hooks,
                v,
                skippedMounts,
                hooksDone,
                fsFreezeStarted,
                newDeadline,
                maxFreeze,
                watchdogPid,
                rep);
    }

    /** The filesystems froze: {@code v} is when the first FIFREEZE was issued (the start of the I/O-frozen window). */
    public FreezeState withFsFreezeStartedAt(long v) {
        return new FreezeState(
                token,
                startedAt,
                phase,
                runnerPid,
                noFsfreeze,
                hooks,
                mounts,
                skippedMounts,
                hooksDoneAt,
                v,
                deadline,
                maxFreezeSeconds,
                watchdogPid,
                report);
    }

    /** Some mounts were skipped by FIFREEZE: only {@code done} are frozen. */
    public FreezeState withSkippedMounts(List<String> done, List<String> skipped, GuestReport rep) {
        return new FreezeState(
                token,
                startedAt,
                phase,
                runnerPid,
                noFsfreeze,
                hooks,
                done,
                skipped,
                hooksDoneAt,
                fsFreezeStartedAt,
                deadline,
                maxFreezeSeconds,
                watchdogPid,
                rep);
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("token", token);
        m.put("startedAt", startedAt);
        m.put("phase", phase.id());
        m.put("runnerPid", runnerPid);
        m.put("noFsfreeze", noFsfreeze);
        List<Object> hs = new ArrayList<>();
        for (Hook h : hooks) hs.add(h.toMap());
        m.put("hooks", hs);
        m.put("mounts", mounts);
        if (skippedMounts != null) m.put("skippedMounts", skippedMounts);
        m.put("hooksDoneAt", hooksDoneAt);
        if (fsFreezeStartedAt != null) m.put("fsFreezeStartedAt", fsFreezeStartedAt);
        m.put("deadline", deadline);
        m.put("maxFreezeSeconds", maxFreezeSeconds);
        m.put("watchdogPid", watchdogPid);
        m.put("report", report.toMap());
        return m;
    }

    /** Throws (ClassCastException, NullPointerException, IllegalArgumentException, ContractException) on a bad file. */
    @SuppressWarnings("unchecked")
    static FreezeState fromMap(Map<String, Object> m) throws ContractException {
        Object v = m.get("version");
        if (!(v instanceof Number) || ((Number) v).intValue() != VERSION)
            throw new IllegalArgumentException("version " + v + " is not " + VERSION);
        List<Hook> hooks = new ArrayList<>();
        for (Object h : (List<Object>) m.get("hooks")) hooks.add(Hook.fromMap((Map<String, Object>) h));
        return new FreezeState(
                (String) m.get("token"),
                (String) m.get("startedAt"),
                Phase.byId((String) m.get("phase")),
                num(m, "runnerPid"),
                (Boolean) m.get("noFsfreeze"),
                hooks,
                strings(m.get("mounts")),
                strings(m.get("skippedMounts")),
                num(m, "hooksDoneAt"),
                m.get("fsFreezeStartedAt") == null ? null : num(m, "fsFreezeStartedAt"),
                num(m, "deadline"),
                (int) num(m, "maxFreezeSeconds"),
                num(m, "watchdogPid"),
                GuestReport.fromMap((Map<?, ?>) m.get("report")));
    }

    private static long num(Map<String, Object> m, String k) {
        return ((Number) m.get(k)).longValue();
    }

    private static List<String> strings(Object o) {
        if (o == null) return null;
        List<String> out = new ArrayList<>();
        for (Object x : (List<?>) o) out.add((String) x);
        return out;
    }
}
