package dev.stillpoint.guest.contract;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runner's report of one freeze/thaw cycle, {@value #PATH} in the guest (format: docs/hooks.md, "Report and
 * log"). Written at freeze ({@code result: frozen}, before any FIFREEZE) and rewritten at thaw, freeze-fail or by
 * the watchdog; the host reads it through the guest agent after the thaw. {@link #toJson} is the one writer,
 * {@link #parse} the one reader; a null component is an absent field. Version {@value #VERSION}.
 *
 * @param operation   {@code freeze}, {@code freeze+thaw}, {@code freeze+freeze-fail} or {@code freeze+watchdog}
 * @param consistency {@code application}, {@code filesystem} or {@code none}
 * @param fsfreeze    {@code runner} (the runner did FIFREEZE) or {@code agent} (--no-fsfreeze)
 * @param maxFreezeSeconds the watchdog's limit from the end of the freeze hooks
 * @param deadlineSource   {@code host} when the watchdog's deadline came from the host ({@link FreezeDeadline}); absent otherwise
 * @param failBackup  present when the guest's own policy requires the backup to fail whatever the host's consistency
 *                    policy (Azure {@code continueBackupOnFailure: false}); says which rule and which failure
 * @param ioFrozenMs  how long the guest's filesystems were frozen, guest clock only; how, says {@code ioFrozenBy}
 * @param ioFrozenBy  how {@code ioFrozenMs} was measured: {@code runner} (runner mode: first FIFREEZE to last
 *                    FITHAW, exact); {@code hook-script} (agent mode: the installed qemu-ga hook script's monotonic
 *                    clock when the freeze command had exited, before the agent's FIFREEZE, to its first line at
 *                    thaw, after the agent's FITHAW: an upper bound by a process exit and a shell start);
 *                    {@code hook-jvm} (agent mode without the script's readings: the freeze command's return to the
 *                    thaw process's start, an upper bound that counts a JVM exit); {@code watchdog} (the agent never
 *                    thawed). Absent in reports of older runners.
 * @param appHeld     per lock-holding quiescer (MySQL FTWRL, PostgreSQL backup mode): how long the application
 *                    was held, from the lock taken (freeze hook done) to the lock released (thaw hook done)
 * @param result      see {@link Result}
 */
public record GuestReport(
        int version,
        String operation,
        String root,
        String startedAt,
        List<HookRun> hooks,
        List<String> skipped,
        AzureError azure,
        Boolean hookConsistent,
        String consistency,
        String fsfreeze,
        List<String> frozenMounts,
        List<String> skippedMounts,
        List<String> watchdogThawedMounts,
        Integer maxFreezeSeconds,
        String deadlineSource,
        String failedHook,
        String error,
        String failBackup,
        String thawedAt,
        Long freezeWindowMs,
        Long ioFrozenMs,
        String ioFrozenBy,
        List<Held> appHeld,
        WatchdogFired watchdog,
        List<String> errors,
        String result,
        String finishedAt) {

    public static final int VERSION = 1;
    /** Guest path of the report. */
    public static final String PATH = "/var/lib/stillpoint/last-report.json";

    /** Values of {@code result}. */
    public static final class Result {
        public static final String FROZEN = "frozen";
        public static final String OK = "ok";
        public static final String FAILED = "failed";
        public static final String THAW_INCOMPLETE = "thaw-incomplete";
        public static final String FREEZE_FAILED = "freeze-failed";
        public static final String THAWED_BY_WATCHDOG = "thawed-by-watchdog";

        private Result() {}
    }

    /** Values of {@code consistency}. */
    public static final class Consistency {
        public static final String APPLICATION = "application";
        public static final String FILESYSTEM = "filesystem";
        public static final String NONE = "none";

        private Consistency() {}
    }

    public GuestReport {
        hooks = hooks == null ? null : List.copyOf(hooks);
        appHeld = appHeld == null ? null : List.copyOf(appHeld);
        skipped = copy(skipped);
        frozenMounts = copy(frozenMounts);
        skippedMounts = copy(skippedMounts);
        watchdogThawedMounts = copy(watchdogThawedMounts);
        errors = copy(errors);
    }

    /** One run of a hook ({@code phase} is the argument word passed: freeze, thaw or freezeFail). */
    public record HookRun(
            String group,
            String name,
            String phase,
            boolean rollback,
            String result,
            Integer exitCode,
            Long durationMs,
            Integer attempts,
            String startedAt,
            String error,
            String output,
            Integer azureCode,
            String azureError) {
        /** A run of a hook of any convention but Azure. */
        public HookRun(
                String group,
                String name,
                String phase,
                boolean rollback,
                String result,
                Integer exitCode,
                Long durationMs,
                Integer attempts,
                String startedAt,
                String error,
                String output) {
            this(
                    group,
                    name,
                    phase,
                    rollback,
                    result,
                    exitCode,
                    durationMs,
                    attempts,
                    startedAt,
                    error,
                    output,
                    null,
                    null);
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            put(m, "group", group);
            put(m, "name", name);
            put(m, "phase", phase);
            m.put("rollback", rollback);
            put(m, "result", result);
            put(m, "exitCode", exitCode);
            put(m, "durationMs", durationMs);
            put(m, "attempts", attempts);
            put(m, "startedAt", startedAt);
            put(m, "error", error);
            put(m, "output", output);
            put(m, "azureCode", azureCode);
            put(m, "azureError", azureError);
            return m;
        }

        static HookRun from(Json j) throws ContractException {
            Boolean rb = j.bool("rollback");
            return new HookRun(
                    j.string("group"),
                    j.string("name"),
                    j.string("phase"),
                    rb != null && rb,
                    j.string("result"),
                    j.int32("exitCode"),
                    j.integer("durationMs"),
                    j.int32("attempts"),
                    j.string("startedAt"),
                    j.string("error"),
                    j.string("output"),
                    j.int32("azureCode"),
                    j.string("azureError"));
        }
    }

    /**
     * An Azure error with Azure's code: a pre-check error (302-317), or a runtime failure of a pre/post script
     * (300 PreScriptExecutionFailed, 301 PostScriptExecutionFailed, 308 PreScriptTimeout, 309 PostScriptTimeout)
     * with its {@code name} as Azure's documentation and operators spell it.
     */
    public record AzureError(Integer code, String name, String file, String field, String reason) {
        public AzureError(Integer code, String file, String field, String reason) {
            this(code, null, file, field, reason);
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            put(m, "code", code);
            put(m, "name", name);
            put(m, "file", file);
            put(m, "field", field);
            put(m, "reason", reason);
            return m;
        }

        static AzureError from(Json j) throws ContractException {
            return new AzureError(
                    j.int32("code"), j.string("name"), j.string("file"), j.string("field"), j.string("reason"));
        }
    }

    /** A lock-holding quiescer ({@code hook} id) held the application for {@code ms} milliseconds. */
    public record Held(String hook, long ms) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            put(m, "hook", hook);
            m.put("ms", ms);
            return m;
        }

        static Held from(Json j) throws ContractException {
            Long ms = j.integer("ms");
            return new Held(j.string("hook"), ms == null ? 0 : ms);
        }
    }

    /** The longest time an application was held by a lock-holding quiescer, or null when none held one. */
    public Long appHeldMs() {
        if (appHeld == null || appHeld.isEmpty()) return null;
        long max = 0;
        for (Held h : appHeld) max = Math.max(max, h.ms());
        return max;
    }

    /** The watchdog fired at {@code at} (guest clock). */
    public record WatchdogFired(boolean fired, String at) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fired", fired);
            put(m, "at", at);
            return m;
        }

        static WatchdogFired from(Json j) throws ContractException {
            Boolean f = j.bool("fired");
            return new WatchdogFired(f != null && f, j.string("at"));
        }
    }

    /**
     * The runner's own verdict, as the host takes it: {@code consistency: application}, a result other than
     * {@code failed} and no thaw errors.
     */
    public boolean applicationConsistent() {
        return Consistency.APPLICATION.equals(consistency)
                && !Result.FAILED.equals(result)
                && (errors == null || errors.isEmpty());
    }

    /** The watchdog thawed (no thaw arrived in time). */
    public boolean thawedByWatchdog() {
        return Result.THAWED_BY_WATCHDOG.equals(result);
    }

    // ------------------------------------------------------------------ the writer

    /** The report as a JSON object, fields in the documented order, absent (null) fields left out. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", version);
        put(m, "operation", operation);
        put(m, "root", root);
        put(m, "startedAt", startedAt);
        if (hooks != null) {
            List<Object> hs = new ArrayList<>();
            for (HookRun h : hooks) hs.add(h.toMap());
            m.put("hooks", hs);
        }
        put(m, "skipped", skipped);
        if (azure != null) m.put("azure", azure.toMap());
        put(m, "hookConsistent", hookConsistent);
        put(m, "consistency", consistency);
        put(m, "fsfreeze", fsfreeze);
        put(m, "frozenMounts", frozenMounts);
        put(m, "skippedMounts", skippedMounts);
        put(m, "watchdogThawedMounts", watchdogThawedMounts);
        put(m, "maxFreezeSeconds", maxFreezeSeconds);
        put(m, "deadlineSource", deadlineSource);
        put(m, "failedHook", failedHook);
        put(m, "error", error);
        put(m, "failBackup", failBackup);
        put(m, "thawedAt", thawedAt);
        put(m, "freezeWindowMs", freezeWindowMs);
        put(m, "ioFrozenMs", ioFrozenMs);
        put(m, "ioFrozenBy", ioFrozenBy);
        if (appHeld != null) {
            List<Object> hs = new ArrayList<>();
            for (Held h : appHeld) hs.add(h.toMap());
            m.put("appHeld", hs);
        }
        if (watchdog != null) m.put("watchdog", watchdog.toMap());
        put(m, "errors", errors);
        put(m, "result", result);
        put(m, "finishedAt", finishedAt);
        return m;
    }

    /** {@link #toMap()} as JSON text (pretty: indented, as the report file). */
    public String toJson(boolean pretty) {
        return Json.write(toMap(), pretty);
    }

    // ------------------------------------------------------------------ the reader

    /**
     * Reads a report. Unknown fields are ignored (the report may grow); a missing {@code version} is read as
     * version 1; another version, a field of the wrong type or text that is not a JSON object is an error.
     */
    public static GuestReport parse(String json) throws ContractException {
        return from(new Json(Json.object(json, "guest report"), ""));
    }

    /** {@link #parse} of an already parsed JSON object. */
    public static GuestReport fromMap(Map<?, ?> map) throws ContractException {
        return from(new Json(map, ""));
    }

    private static GuestReport from(Json j) throws ContractException {
        Integer v = j.int32("version");
        if (v != null && v != VERSION) {
            throw new ContractException(
                    "guest report version " + v + " is not supported (this reader knows " + VERSION + ")");
        }
        List<HookRun> hooks = null;
        List<Json> hs = j.objects("hooks");
        if (hs != null) {
            hooks = new ArrayList<>();
            for (Json h : hs) hooks.add(HookRun.from(h));
        }
        List<Held> held = null;
        List<Json> ah = j.objects("appHeld");
        if (ah != null) {
            held = new ArrayList<>();
            for (Json h : ah) held.add(Held.from(h));
        }
        Json az = j.object("azure");
        Json wd = j.object("watchdog");
        return new GuestReport(
                VERSION,
                j.string("operation"),
                j.string("root"),
                j.string("startedAt"),
                hooks,
                j.strings("skipped"),
                az == null ? null : AzureError.from(az),
                j.bool("hookConsistent"),
                j.string("consistency"),
                j.string("fsfreeze"),
                j.strings("frozenMounts"),
                j.strings("skippedMounts"),
                j.strings("watchdogThawedMounts"),
                j.int32("maxFreezeSeconds"),
                j.string("deadlineSource"),
                j.string("failedHook"),
                j.string("error"),
                j.string("failBackup"),
                j.string("thawedAt"),
                j.integer("freezeWindowMs"),
                j.integer("ioFrozenMs"),
                j.string("ioFrozenBy"),
                held,
                wd == null ? null : WatchdogFired.from(wd),
                j.strings("errors"),
                j.string("result"),
                j.string("finishedAt"));
    }

    // ------------------------------------------------------------------ building (the runner)

    public Builder toBuilder() {
        return new Builder(this);
    }

    public static Builder builder() {
        return new Builder(null);
    }

    /** The runner fills the report in steps through a freeze and its thaw. */
    public static final class Builder {
        private String operation;
        private String root;
        private String startedAt;
        private List<HookRun> hooks = new ArrayList<>();
        private List<String> skipped;
        private AzureError azure;
        private Boolean hookConsistent;
        private String consistency;
        private String fsfreeze;
        private List<String> frozenMounts;
        private List<String> skippedMounts;
        private List<String> watchdogThawedMounts;
        private Integer maxFreezeSeconds;
        private String deadlineSource;
        private String failedHook;
        private String error;
        private String failBackup;
        private String thawedAt;
        private Long freezeWindowMs;
        private Long ioFrozenMs;
        private String ioFrozenBy;
        private List<Held> appHeld;
        private WatchdogFired watchdog;
        private List<String> errors;
        private String result;
        private String finishedAt;

        private Builder(GuestReport r) {
            if (r == null) return;
            operation = r.operation;
            root = r.root;
            startedAt = r.startedAt;
            hooks = r.hooks == null ? new ArrayList<>() : new ArrayList<>(r.hooks);
            skipped = r.skipped;
            azure = r.azure;
            hookConsistent = r.hookConsistent;
            consistency = r.consistency;
            fsfreeze = r.fsfreeze;
            frozenMounts = r.frozenMounts;
            skippedMounts = r.skippedMounts;
            watchdogThawedMounts = r.watchdogThawedMounts;
            maxFreezeSeconds = r.maxFreezeSeconds;
            deadlineSource = r.deadlineSource;
            failedHook = r.failedHook;
            error = r.error;
            failBackup = r.failBackup;
            thawedAt = r.thawedAt;
            freezeWindowMs = r.freezeWindowMs;
            ioFrozenMs = r.ioFrozenMs;
            ioFrozenBy = r.ioFrozenBy;
            appHeld = r.appHeld;
            watchdog = r.watchdog;
            errors = r.errors;
            result = r.result;
            finishedAt = r.finishedAt;
        }

        public String startedAt() {
            return startedAt;
        }

        public String result() {
            return result;
        }

        public Builder operation(String v) {
            operation = v;
            return this;
        }

        public Builder root(String v) {
            root = v;
            return this;
        }

        public Builder startedAt(String v) {
            startedAt = v;
            return this;
        }

        public Builder addHook(HookRun v) {
            hooks.add(v);
            return this;
        }

        public Builder skipped(List<String> v) {
            skipped = v;
            return this;
        }

        public Builder azure(AzureError v) {
            azure = v;
            return this;
        }

        public Builder hookConsistent(Boolean v) {
            hookConsistent = v;
            return this;
        }

        public Builder consistency(String v) {
            consistency = v;
            return this;
        }

        public Builder fsfreeze(String v) {
            fsfreeze = v;
            return this;
        }

        public Builder frozenMounts(List<String> v) {
            frozenMounts = v;
            return this;
        }

        public Builder skippedMounts(List<String> v) {
            skippedMounts = v;
            return this;
        }

        public Builder watchdogThawedMounts(List<String> v) {
            watchdogThawedMounts = v;
            return this;
        }

        public Builder maxFreezeSeconds(Integer v) {
            maxFreezeSeconds = v;
            return this;
        }

        public Builder deadlineSource(String v) {
            deadlineSource = v;
            return this;
        }

        public Builder failedHook(String v) {
            failedHook = v;
            return this;
        }

        public Builder error(String v) {
            error = v;
            return this;
        }

        public Builder failBackup(String v) {
            failBackup = v;
            return this;
        }

        public String failBackup() {
            return failBackup;
        }

        public Builder ioFrozenMs(Long v) {
            ioFrozenMs = v;
            return this;
        }

        public Builder ioFrozenBy(String v) {
            ioFrozenBy = v;
            return this;
        }

        public Builder appHeld(List<Held> v) {
            appHeld = v;
            return this;
        }

        public List<HookRun> hooks() {
            return java.util.Collections.unmodifiableList(hooks);
        }

        public Builder thawedAt(String v) {
            thawedAt = v;
            return this;
        }

        public Builder freezeWindowMs(Long v) {
            freezeWindowMs = v;
            return this;
        }

        public Builder watchdog(WatchdogFired v) {
            watchdog = v;
            return this;
        }

        public Builder errors(List<String> v) {
            errors = v;
            return this;
        }

        public Builder result(String v) {
            result = v;
            return this;
        }

        public Builder finishedAt(String v) {
            finishedAt = v;
            return this;
        }

        public GuestReport build() {
            return new GuestReport(
                    VERSION,
                    operation,
                    root,
                    startedAt,
                    hooks,
                    skipped,
                    azure,
                    hookConsistent,
                    consistency,
                    fsfreeze,
                    frozenMounts,
                    skippedMounts,
                    watchdogThawedMounts,
                    maxFreezeSeconds,
                    deadlineSource,
                    failedHook,
                    error,
                    failBackup,
                    thawedAt,
                    freezeWindowMs,
                    ioFrozenMs,
                    ioFrozenBy,
                    appHeld,
                    watchdog,
                    errors,
                    result,
                    finishedAt);
        }
    }

    private static List<String> copy(List<String> l) {
        return l == null ? null : List.copyOf(l);
    }

    private static void put(Map<String, Object> m, String k, Object v) {
        if (v != null) m.put(k, v);
    }
}
