package dev.stillpoint.guest.run;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.config.GuestConfig;
import dev.stillpoint.guest.config.GuestConfigParser;
import dev.stillpoint.guest.fs.FsFreezer;
import dev.stillpoint.guest.fs.Mount;
import dev.stillpoint.guest.fs.MountTable;
import dev.stillpoint.guest.hooks.Hook;
import dev.stillpoint.guest.hooks.HookDiscovery;
import dev.stillpoint.guest.hooks.HookGroup;
import dev.stillpoint.guest.state.ReportStore;
import dev.stillpoint.guest.state.StateStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * freeze / thaw / freeze-fail / watchdog thaw. Invariants:
 * <ul>
 *   <li>freeze runs hooks in discovery order; a failing hook (unless it may continue) rolls back every hook that
 *       froze: VMware scripts get {@code freezeFail}, the others {@code thaw}, in thaw order; nothing stays frozen.</li>
 *   <li>thaw runs only hooks whose freeze succeeded (plus Azure post scripts, which Azure always runs), in thaw
 *       order (groups reversed; VMware and Stillpoint reversed inside the group; QEMU keeps glob order).</li>
 *   <li>a thaw with nothing frozen is a no-op and leaves the last report alone.</li>
 *   <li>nothing is written under the root between the first FIFREEZE and the thaw, except run/stillpoint (tmpfs).</li>
 * </ul>
 */
public final class QuiesceRunner {
    public static final String CONFIG = "etc/stillpoint/guest.conf";

    /** How thaw was asked for. */
    public enum ThawKind { THAW, FREEZE_FAIL, WATCHDOG }

    /** Inputs of a run. */
    public static final class Options {
        public Path root = Path.of("/");
        public boolean noFsfreeze;
        public List<String> mounts = new ArrayList<>();
        public Set<HookGroup> skipGroups = EnumSet.noneOf(HookGroup.class);
        public Integer maxFreezeSeconds;
        public WatchdogLauncher watchdog = WatchdogLauncher.jvm();
        public FsFreezer freezer;
        public MountTable mountTable;
        public HookDiscovery.BuiltIns builtIns;
        public long lockWaitMillis = 600_000;
    }

    private final Options o;
    private final GuestListener listener;
    private final EventLog log;
    private final StateStore store;
    private final ReportStore reports;

    public QuiesceRunner(Options options, GuestListener listener) {
        this.o = options;
        this.log = new EventLog(options.root);
        this.listener = listener.and(log);
        this.store = new StateStore(options.root);
        this.reports = new ReportStore(options.root);
        if (o.freezer == null) o.freezer = FsFreezer.program(store.dir().resolve("tmp"));
    }

    public GuestConfig config() { return GuestConfigParser.load(o.root.resolve(CONFIG)); }

    // ---------------------------------------------------------------- freeze

    @SuppressWarnings("try")
    public Map<String, Object> freeze() {
        GuestConfig cfg = config();
        try (AutoCloseable ignored = store.lock(o.lockWaitMillis)) {
            return freezeLocked(cfg);
        } catch (GuestException e) {
            throw e;
        } catch (Exception e) {
            throw new GuestException(ErrorCode.IO, "freeze: " + e.getMessage(), e);
        } finally {
            log.flush();
        }
    }

    private Map<String, Object> freezeLocked(GuestConfig cfg) {
        Map<String, Object> existing = store.load();
        if (existing != null) {
            throw new GuestException(ErrorCode.ALREADY_FROZEN, "already frozen since " + existing.get("startedAt")
                    + " (" + store.file() + "); run thaw first");
        }
        Map<String, Object> rep = newReport("freeze");
        emit(GuestEvent.Kind.START, "freeze root=" + o.root + (o.noFsfreeze ? " (hooks only, --no-fsfreeze)" : ""));
        HookDiscovery.Result found = new HookDiscovery(o.root, cfg, o.skipGroups, o.builtIns).discover();
        for (String s : found.skipped) emit(GuestEvent.Kind.SKIPPED, s);
        rep.put("skipped", new ArrayList<>(found.skipped));
        if (found.azure != null && found.azure.error() != null) {
            var e = found.azure.error();
            Map<String, Object> az = new LinkedHashMap<>();
            az.put("code", e.azureCode);
            az.put("file", e.file);
            az.put("field", e.field);
            az.put("reason", e.reason);
            rep.put("azure", az);
            if (found.azure.errorFailsBackup()) {
                String msg = "Azure pre-check failed with code " + e.azureCode + " and continueBackupOnFailure is false: " + e;
                return fail(rep, msg, new GuestException(ErrorCode.AZURE_CONFIG, msg, e.azureCode, ExitCodes.BAD_INPUT, null));
            }
        }
        List<String> mounts = o.noFsfreeze ? List.of() : selectMounts(cfg);
        int maxFreeze = o.maxFreezeSeconds != null ? o.maxFreezeSeconds : cfg.maxFreezeSeconds();
        // Identifies this freeze (state, watchdog arguments); unique, not secret. Not UUID.randomUUID():
        // SecureRandom's provider setup costs over a second under TCG, on the freeze's hot path.
        java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
        String token = new UUID(rnd.nextLong() ^ System.nanoTime(), rnd.nextLong() ^ ProcessHandle.current().pid()).toString();
        // The watchdog is armed before the first hook: if this process dies while hooks run, it undoes
        // the hooks that froze (state is saved after each one); after the hooks it waits maxFreezeSeconds.
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("version", 1);
        state.put("token", token);
        state.put("startedAt", rep.get("startedAt"));
        state.put("phase", "hooks");
        state.put("runnerPid", ProcessHandle.current().pid());
        state.put("noFsfreeze", o.noFsfreeze);
        state.put("hooks", new ArrayList<>());
        state.put("mounts", List.of());
        state.put("hooksDoneAt", System.currentTimeMillis());
        state.put("deadline", 0L);
        state.put("maxFreezeSeconds", maxFreeze);
        state.put("report", rep);
        // Saved before the launch: a watchdog that finds no state (or another token) leaves at once, and a
        // fast-starting one (CDS archive) must never read the file before this freeze is in it.
        state.put("watchdogPid", -1L);
        store.save(state);
        long pid = o.watchdog.launch(o.root, token, 0L);
        state.put("watchdogPid", pid);
        store.save(state);
        List<Hook> frozen = new ArrayList<>();
        boolean allOk = true;
        for (int i = 0; i < found.hooks.size(); i++) {
            Hook h = found.hooks.get(i);
            if (h.freeze == null) {
                frozen.add(h);
                saveHooks(state, frozen);
                continue;
            }
            boolean ok = runHook(rep, h, "freeze", h.freeze, h.freezeRetries, false);
            if (ok) {
                frozen.add(h);
                saveHooks(state, frozen);
                continue;
            }
            allOk = false;
            if (h.continueOnFailure) {
                emit(GuestEvent.Kind.ERROR, h.id() + " freeze failed; continuing (optional / continueBackupOnFailure)");
                if (h.thawAfterFailedFreeze) {
                    frozen.add(h);
                    saveHooks(state, frozen);
                }
                continue;
            }
            if (h.thawAfterFailedFreeze) frozen.add(h);
            rollback(rep, frozen);
            store.clear();
            killWatchdog(pid, token);
            rep.put("failedHook", h.id());
            String msg = "freeze hook " + (i + 1) + " " + h.id() + " failed; all hooks were undone, nothing is frozen";
            return fail(rep, msg, new GuestException(ErrorCode.HOOK_FAILED, msg, null, ExitCodes.hookFailed(i + 1), null));
        }
        long deadline = System.currentTimeMillis() + maxFreeze * 1000L;
        emit(GuestEvent.Kind.WATCHDOG, "armed: thaws by itself at " + Instant.ofEpochMilli(deadline)
                + " (maxFreezeSeconds=" + maxFreeze + ", pid " + pid + ")");
        rep.put("hookConsistent", allOk);
        rep.put("consistency", allOk && !found.hooks.isEmpty() ? "application" : "filesystem");
        rep.put("fsfreeze", o.noFsfreeze ? "agent" : "runner");
        rep.put("frozenMounts", mounts);
        rep.put("maxFreezeSeconds", maxFreeze);
        rep.put("result", "frozen");
        state.put("phase", "frozen");
        state.put("mounts", mounts);
        state.put("hooksDoneAt", System.currentTimeMillis());
        state.put("deadline", deadline);
        if (!mounts.isEmpty()) emit(GuestEvent.Kind.FS_FREEZE, "freezing " + mounts + " (deepest first)");
        state.put("fsFreezeStartedAt", System.currentTimeMillis());
        state.put("report", rep);
        rep.put("finishedAt", Instant.now().toString());
        reports.write(rep);
        store.save(state);
        log.flush();
        // From here on nothing may be written under the root except run/stillpoint.
        List<String> done = new ArrayList<>();
        List<String> skippedMounts = new ArrayList<>();
        for (String m : mounts) {
            FsFreezer.Result r = o.freezer.freeze(m);
            if (r.ok) {
                done.add(m);
            } else if (r.skipped) {
                skippedMounts.add(m + ": " + r.message);
            } else {
                for (int i = done.size() - 1; i >= 0; i--) o.freezer.thaw(done.get(i));
                store.clear();
                killWatchdog(pid, token);
                emit(GuestEvent.Kind.ERROR, "fsfreeze " + m + " failed: " + r.message + "; thawed " + done);
                rep.put("frozenMounts", List.of());
                rollback(rep, frozen);
                String msg = "filesystem freeze of " + m + " failed: " + r.message + "; everything was undone";
                return fail(rep, msg, new GuestException(ErrorCode.FSFREEZE_FAILED, msg));
            }
        }
        if (!skippedMounts.isEmpty()) {
            state.put("mounts", done);
            state.put("skippedMounts", skippedMounts);
            rep.put("frozenMounts", done);
            store.save(state);
        }
        return rep;
    }

    private void saveHooks(Map<String, Object> state, List<Hook> frozen) {
        List<Object> maps = new ArrayList<>();
        for (Hook h : frozen) maps.add(h.toMap());
        state.put("hooks", maps);
        store.save(state);
    }

    private Map<String, Object> fail(Map<String, Object> rep, String msg, GuestException e) {
        emit(GuestEvent.Kind.ERROR, msg);
        rep.put("result", "failed");
        rep.put("consistency", "none");
        rep.put("error", msg);
        rep.put("finishedAt", Instant.now().toString());
        reports.write(rep);
        throw e;
    }

    /** Undo of a freeze: freezeFail to VMware scripts, thaw to the others, in thaw order. Exit codes only recorded. */
    private void rollback(Map<String, Object> rep, List<Hook> frozen) {
        for (Hook h : thawOrder(frozen)) {
            if (h.freezeFail == null) continue;
            runHook(rep, h, h.group == HookGroup.VMWARE ? "freezeFail" : "thaw", h.freezeFail, 0, true);
        }
    }

    List<String> selectMounts(GuestConfig cfg) {
        MountTable table = o.mountTable != null ? o.mountTable : MountTable.read();
        boolean realRoot = o.root.toAbsolutePath().normalize().toString().equals("/");
        List<Mount> chosen = new ArrayList<>();
        if (!o.mounts.isEmpty()) {
            for (String gm : o.mounts) {
                String host = HookDiscovery.resolve(o.root, gm).toAbsolutePath().normalize().toString();
                Mount m = table.at(host);
                if (m == null) {
                    throw new GuestException(ErrorCode.MOUNT_NOT_FOUND, "--mount " + gm + ": " + host
                            + " is not a mount point (see /proc/self/mountinfo)");
                }
                chosen.add(m);
            }
            chosen = MountTable.deepestFirst(chosen);
        } else if (realRoot) {
            for (Mount m : table.freezable()) {
                if (!cfg.includeMounts().isEmpty() && !cfg.includeMounts().contains(m.mountPoint)) continue;
                if (cfg.excludeMounts().contains(m.mountPoint)) continue;
                chosen.add(m);
            }
        }
        List<String> out = new ArrayList<>();
        for (Mount m : chosen) out.add(m.mountPoint);
        return out;
    }

    // ---------------------------------------------------------------- thaw

    /** Thaws; returns the final report, or null when nothing was frozen (no-op). */
    @SuppressWarnings("try")
    public Map<String, Object> thaw(ThawKind kind, String watchdogToken) {
        try (AutoCloseable ignored = store.lock(o.lockWaitMillis)) {
            return thawLocked(kind, watchdogToken);
        } catch (GuestException e) {
            throw e;
        } catch (Exception e) {
            throw new GuestException(ErrorCode.IO, "thaw: " + e.getMessage(), e);
        } finally {
            log.flush();
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> thawLocked(ThawKind kind, String watchdogToken) {
        Map<String, Object> state = store.load();
        String op = kind == ThawKind.FREEZE_FAIL ? "freeze-fail" : kind == ThawKind.WATCHDOG ? "watchdog" : "thaw";
        if (state == null || (kind == ThawKind.WATCHDOG && !state.get("token").equals(watchdogToken))) {
            if (kind != ThawKind.WATCHDOG) emit(GuestEvent.Kind.END, op + ": nothing is frozen; nothing to do");
            return null;
        }
        long thawStart = System.currentTimeMillis();
        Map<String, Object> rep = (Map<String, Object>) state.get("report");
        rep.put("operation", "freeze+" + op);
        List<String> failures = new ArrayList<>();
        List<String> mounts = (List<String>) state.get("mounts");
        boolean noFs = Boolean.TRUE.equals(state.get("noFsfreeze"));
        boolean incomplete = "hooks".equals(state.get("phase"));
        if (kind == ThawKind.WATCHDOG) {
            listener.on(new GuestEvent(Instant.now(), GuestEvent.Kind.WATCHDOG, incomplete
                    ? "freeze runner (pid " + state.get("runnerPid") + ") died while running freeze hooks; undoing the hooks that froze"
                    : "no thaw within maxFreezeSeconds=" + state.get("maxFreezeSeconds") + " s; thawing filesystems and running thaw hooks"));
        }
        for (int i = mounts.size() - 1; i >= 0; i--) {
            FsFreezer.Result r = o.freezer.thaw(mounts.get(i));
            if (!r.ok) failures.add("fsfreeze -u " + mounts.get(i) + ": " + r.message);
        }
        List<String> agentThawed = new ArrayList<>();
        if (kind == ThawKind.WATCHDOG && noFs) {
            // qemu-ga (or VMware) froze the filesystems itself and never thaws on its own: thaw what is frozen
            // (all local freezable mounts; with a --root other than /, those at or below the root).
            MountTable table = o.mountTable != null ? o.mountTable : MountTable.read();
            String r = o.root.toAbsolutePath().normalize().toString();
            List<Mount> all = new ArrayList<>(table.freezable());
            for (int i = all.size() - 1; i >= 0; i--) {
                String mp = all.get(i).mountPoint;
                if (!r.equals("/") && !mp.equals(r) && !mp.startsWith(r + "/")) continue;
                if (o.freezer.thaw(mp).ok) agentThawed.add(mp);
            }
        }
        long fsThawed = System.currentTimeMillis();
        if (!mounts.isEmpty()) emit(GuestEvent.Kind.FS_THAW, "thawed " + mounts + " (reverse order)");
        if (!agentThawed.isEmpty()) emit(GuestEvent.Kind.FS_THAW, "watchdog thawed agent-frozen " + agentThawed);
        log.flush();
        if (kind != ThawKind.WATCHDOG) {
            killWatchdog(((Number) state.get("watchdogPid")).longValue(), (String) state.get("token"));
        }
        List<Hook> hooks = new ArrayList<>();
        for (Object m : (List<Object>) state.get("hooks")) hooks.add(Hook.fromMap((Map<String, Object>) m));
        for (Hook h : thawOrder(hooks)) {
            boolean ff = kind == ThawKind.FREEZE_FAIL || incomplete;
            List<String> cmd = ff ? h.freezeFail : h.thaw;
            if (cmd == null) continue;
            String word = ff && h.group == HookGroup.VMWARE ? "freezeFail" : "thaw";
            if (!runHook(rep, h, word, cmd, h.thawRetries, false) && !ff) failures.add(h.id() + " " + word + " failed");
        }
        if (incomplete) {
            rep.put("consistency", "none");
            rep.put("error", "freeze runner died while running freeze hooks");
        }
        long window = incomplete ? 0 : noFs ? thawStart - ((Number) state.get("hooksDoneAt")).longValue()
                : fsThawed - ((Number) state.get("fsFreezeStartedAt")).longValue();
        rep.put("freezeWindowMs", window);
        rep.put("thawedAt", Instant.ofEpochMilli(fsThawed).toString());
        if (state.containsKey("skippedMounts")) rep.put("skippedMounts", state.get("skippedMounts"));
        if (!agentThawed.isEmpty()) rep.put("watchdogThawedMounts", agentThawed);
        if (kind == ThawKind.WATCHDOG) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("fired", true);
            w.put("at", Instant.ofEpochMilli(thawStart).toString());
            rep.put("watchdog", w);
        }
        if (kind == ThawKind.FREEZE_FAIL) rep.put("consistency", "none");
        rep.put("errors", failures);
        rep.put("result", kind == ThawKind.WATCHDOG ? "thawed-by-watchdog"
                : kind == ThawKind.FREEZE_FAIL ? "freeze-failed" : failures.isEmpty() ? "ok" : "thaw-incomplete");
        rep.put("finishedAt", Instant.now().toString());
        store.clear();
        emit(GuestEvent.Kind.END, op + " done: " + rep.get("result") + ", freeze window " + window + " ms"
                + (failures.isEmpty() ? "" : ", failures: " + failures));
        reports.write(rep);
        if (!failures.isEmpty() && kind != ThawKind.WATCHDOG) {
            throw new GuestException(ErrorCode.THAW_INCOMPLETE, op + " finished with failures: " + String.join("; ", failures));
        }
        return rep;
    }

    /** Whether a freeze is active (state file present). */
    public boolean frozen() { return store.load() != null; }

    /** Thaw order: groups in reverse declaration order; within a group reversed when the platform reverses. */
    public static List<Hook> thawOrder(List<Hook> freezeOrder) {
        List<Hook> out = new ArrayList<>();
        HookGroup[] groups = HookGroup.values();
        for (int g = groups.length - 1; g >= 0; g--) {
            List<Hook> in = new ArrayList<>();
            for (Hook h : freezeOrder) if (h.group == groups[g]) in.add(h);
            if (groups[g].reverseOnThaw()) java.util.Collections.reverse(in);
            out.addAll(in);
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    @SuppressWarnings("unchecked")
    private boolean runHook(Map<String, Object> rep, Hook h, String word, List<String> cmd, int retries, boolean rollback) {
        emit(GuestEvent.Kind.HOOK_START, h.id() + " " + word + (rollback ? " (rollback)" : ""));
        Instant started = Instant.now();
        HookProcess.Outcome out = null;
        int attempts = 0;
        boolean ok = false;
        while (attempts <= retries) {
            attempts++;
            out = HookProcess.run(cmd, h.timeoutSeconds * 1000L, store.dir().resolve("tmp"));
            ok = out.notStarted == null && !out.timedOut && h.successExitCodes.contains(out.exitCode);
            if (ok) break;
            if (attempts <= retries) emit(GuestEvent.Kind.HOOK_END, h.id() + " " + word + " " + describe(out, h) + "; retrying");
        }
        String result = ok ? "ok" : out.timedOut ? "timeout" : out.notStarted != null ? "not-started" : "failed";
        emit(GuestEvent.Kind.HOOK_END, h.id() + " " + word + " " + describe(out, h) + (attempts > 1 ? " after " + attempts + " attempts" : ""));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("group", h.group.id());
        r.put("name", h.name);
        r.put("phase", word);
        r.put("rollback", rollback);
        r.put("result", result);
        r.put("exitCode", out.exitCode);
        r.put("durationMs", out.durationMs);
        r.put("attempts", attempts);
        r.put("startedAt", started.toString());
        if (out.notStarted != null) r.put("error", out.notStarted);
        if (!out.output.isEmpty()) r.put("output", out.output);
        ((List<Object>) rep.computeIfAbsent("hooks", k -> new ArrayList<>())).add(r);
        return ok;
    }

    private static String describe(HookProcess.Outcome out, Hook h) {
        if (out.timedOut) return "timed out after " + h.timeoutSeconds + " s; its process group was killed";
        if (out.notStarted != null) return "could not start: " + out.notStarted;
        return "exit " + out.exitCode + " in " + out.durationMs + " ms" + (h.successExitCodes.contains(out.exitCode) ? "" : " (failure; success = " + h.successExitCodes + ")");
    }

    private Map<String, Object> newReport(String op) {
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("version", 1);
        rep.put("operation", op);
        rep.put("root", o.root.toString());
        rep.put("startedAt", Instant.now().toString());
        rep.put("hooks", new ArrayList<>());
        return rep;
    }

    private void emit(GuestEvent.Kind k, String msg) { listener.on(new GuestEvent(Instant.now(), k, msg)); }

    static void killWatchdog(long pid, String token) {
        if (pid <= 0) return;
        ProcessHandle.of(pid).ifPresent(h -> {
            String args = String.join(" ", h.info().arguments().orElse(new String[0]));
            if (args.contains(token)) h.destroy();
        });
    }
}
