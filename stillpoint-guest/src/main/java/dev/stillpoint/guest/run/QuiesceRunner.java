package dev.stillpoint.guest.run;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.HookGroup;
import dev.stillpoint.guest.config.GuestConfig;
import dev.stillpoint.guest.config.GuestConfigParser;
import dev.stillpoint.guest.contract.FreezeDeadline;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.contract.GuestReport.Consistency;
import dev.stillpoint.guest.contract.GuestReport.Result;
import dev.stillpoint.guest.fs.FsFreezer;
import dev.stillpoint.guest.fs.Mount;
import dev.stillpoint.guest.fs.MountTable;
import dev.stillpoint.guest.hooks.AzureCodes;
import dev.stillpoint.guest.hooks.Hook;
import dev.stillpoint.guest.hooks.HookDiscovery;
import dev.stillpoint.guest.hooks.HookSecurity;
import dev.stillpoint.guest.proc.HookProcess;
import dev.stillpoint.guest.state.DeadlineFile;
import dev.stillpoint.guest.state.FreezeState;
import dev.stillpoint.guest.state.ReportStore;
import dev.stillpoint.guest.state.StateStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
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
 *   <li>nothing is written under the root between the first FIFREEZE and the thaw, except run/ (tmpfs).</li>
 * </ul>
 */
public final class QuiesceRunner {
    public static final String CONFIG = "etc/stillpoint/guest.conf";

    /** How thaw was asked for. */
    public enum ThawKind {
        THAW,
        FREEZE_FAIL,
        WATCHDOG
    }

    /**
     * Inputs of a run.
     *
     * @param maxFreezeSeconds the watchdog's limit from the command line, or null (the host's deadline, else guest.conf)
     * @param freezer          null: the {@code fsfreeze} program
     * @param mountTable       null: /proc/self/mountinfo
     * @param builtIns         null: no built-in quiescers
     * @param syslogSocket     null: the system log at /dev/log; else the UNIX socket {@code logger -u} sends to
     */
    public record Options(
            Path root,
            boolean noFsfreeze,
            List<String> mounts,
            Set<HookGroup> skipGroups,
            Integer maxFreezeSeconds,
            WatchdogLauncher watchdog,
            FsFreezer freezer,
            MountTable mountTable,
            HookDiscovery.BuiltIns builtIns,
            long lockWaitMillis,
            String syslogSocket) {
        public Options {
            mounts = List.copyOf(mounts);
            skipGroups = skipGroups.isEmpty()
                    ? Collections.emptySet()
                    : Collections.unmodifiableSet(EnumSet.copyOf(skipGroups));
        }

        /** Defaults for {@code root}: filesystems frozen by the runner, every group, the real watchdog. */
        public static Options of(Path root) {
            return new Options(
                    root,
                    false,
                    List.of(),
                    EnumSet.noneOf(HookGroup.class),
                    null,
                    WatchdogLauncher.jvm(),
                    null,
                    null,
                    null,
                    600_000,
                    null);
        }

        public Options withNoFsfreeze(boolean v) {
            return new Options(
                    root,
                    v,
                    mounts,
                    skipGroups,
                    maxFreezeSeconds,
                    watchdog,
                    freezer,
                    mountTable,
                    builtIns,
                    lockWaitMillis,
                    syslogSocket);
        }

        public Options withMounts(List<String> v) {
            return new Options(
                    root,
                    noFsfreeze,
                    v,
                    skipGroups,
                    maxFreezeSeconds,
                    watchdog,
                    freezer,
                    mountTable,
                    builtIns,
                    lockWaitMillis,
                    syslogSocket);
        }

        public Options withSkipGroups(Set<HookGroup> v) {
            return new Options(
                    root,
                    noFsfreeze,
                    mounts,
                    v,
                    maxFreezeSeconds,
                    watchdog,
                    freezer,
                    mountTable,
                    builtIns,
                    lockWaitMillis,
                    syslogSocket);
        }

        public Options withMaxFreezeSeconds(Integer v) {
            return new Options(
                    root,
                    noFsfreeze,
                    mounts,
                    skipGroups,
                    v,
                    watchdog,
                    freezer,
                    mountTable,
                    builtIns,
                    lockWaitMillis,
                    syslogSocket);
        }

        public Options withWatchdog(WatchdogLauncher v) {
            return new Options(
                    root,
                    noFsfreeze,
                    mounts,
                    skipGroups,
                    maxFreezeSeconds,
                    v,
                    freezer,
                    mountTable,
                    builtIns,
                    lockWaitMillis,
                    syslogSocket);
        }

        public Options withFreezer(FsFreezer v) {
            return new Options(
                    root,
                    noFsfreeze,
                    mounts,
                    skipGroups,
                    maxFreezeSeconds,
                    watchdog,
                    v,
                    mountTable,
                    builtIns,
                    lockWaitMillis,
                    syslogSocket);
        }

        public Options withMountTable(MountTable v) {
            return new Options(
                    root,
                    noFsfreeze,
                    mounts,
                    skipGroups,
                    maxFreezeSeconds,
                    watchdog,
                    freezer,
                    v,
                    builtIns,
                    lockWaitMillis,
                    syslogSocket);
        }

        public Options withSyslogSocket(String v) {
            return new Options(
                    root,
                    noFsfreeze,
                    mounts,
                    skipGroups,
                    maxFreezeSeconds,
                    watchdog,
                    freezer,
                    mountTable,
                    builtIns,
                    lockWaitMillis,
                    v);
        }

        public Options withBuiltIns(HookDiscovery.BuiltIns v) {
            return new Options(
                    root,
                    noFsfreeze,
                    mounts,
                    skipGroups,
                    maxFreezeSeconds,
                    watchdog,
                    freezer,
                    mountTable,
                    v,
                    lockWaitMillis,
                    syslogSocket);
        }
    }

    private final Options o;
    private final FsFreezer freezer;
    private final GuestListener listener;
    private final EventLog log;
    private final StateStore store;
    private final ReportStore reports;
    private final SystemLog syslog;
    /** The token of the freeze this runner made, for {@link #freezeReturning()}. */
    private String frozenToken;

    public QuiesceRunner(Options options, GuestListener listener) {
        this.o = options;
        this.syslog = new SystemLog(options.syslogSocket());
        this.log = new EventLog(options.root());
        this.listener = listener.and(log);
        this.store = new StateStore(options.root());
        this.reports = new ReportStore(options.root());
        this.freezer = o.freezer() != null
                ? o.freezer()
                : FsFreezer.program(store.dir().resolve("tmp"));
    }

    public GuestConfig config() {
        return GuestConfigParser.load(o.root().resolve(CONFIG));
    }

    // ---------------------------------------------------------------- freeze

    @SuppressWarnings("try")
    public GuestReport freeze() {
        GuestConfig cfg = config();
        try (AutoCloseable ignored = store.lock(o.lockWaitMillis())) {
            return freezeLocked(cfg);
        } catch (GuestException e) {
            throw e;
        } catch (Exception e) {
            throw new GuestException(ErrorCode.IO, "freeze: " + e.getMessage(), e);
        } finally {
            log.flush();
        }
    }

    /** The watchdog's limit: the host's deadline when it sent one, else {@code maxFreezeSeconds}. */
    private record Budget(int maxFreezeSeconds, FreezeDeadline host, long anchorMillis) {
        long deadline(long hooksDone) {
            return host != null ? host.watchdogDeadline(anchorMillis, hooksDone) : hooksDone + maxFreezeSeconds * 1000L;
        }
    }

    /** A freeze under way: its state (saved after every step) and its watchdog. */
    private final class Freeze {
        final String token = newToken();
        final List<Hook> frozen = new ArrayList<>();
        FreezeState state;
        long watchdogPid = -1;

        void saveHooks() {
            state = state.withHooks(frozen);
            store.save(state);
        }

        /** Nothing stays frozen: forget the state, stop the watchdog. */
        void abandon() {
            store.clear();
            killWatchdog(watchdogPid, token);
        }
    }

    private GuestReport freezeLocked(GuestConfig cfg) {
        Budget budget = budget(cfg);
        refuseIfFrozen();
        GuestReport.Builder rep = newReport("freeze");
        emit(GuestEvent.Kind.START, "freeze root=" + o.root() + (o.noFsfreeze() ? " (hooks only, --no-fsfreeze)" : ""));
        HookDiscovery.Result found = discover(cfg, rep);
        List<String> mounts = o.noFsfreeze() ? List.of() : selectMounts(cfg);
        Freeze f = armWatchdog(rep, budget);
        boolean allOk = runFreezeHooks(found.hooks, rep, f);
        recordFrozen(rep, f, budget, mounts, allOk && !found.hooks.isEmpty(), allOk);
        // From here on nothing may be written under the root except run/.
        freezeFilesystems(rep, f, mounts);
        frozenToken = f.token;
        return rep.build();
    }

    /** Takes the host's deadline file (always: it is for this freeze only) and decides the watchdog's limit. */
    private Budget budget(GuestConfig cfg) {
        DeadlineFile.Taken t = new DeadlineFile(o.root()).take(System.currentTimeMillis());
        if (t.warning() != null) emit(GuestEvent.Kind.WATCHDOG, "warning: " + t.warning());
        if (o.maxFreezeSeconds() != null) {
            if (t.deadline() != null)
                emit(
                        GuestEvent.Kind.WATCHDOG,
                        "--max-freeze-seconds " + o.maxFreezeSeconds() + " wins over the host's deadline");
            return new Budget(o.maxFreezeSeconds(), null, 0);
        }
        return new Budget(cfg.maxFreezeSeconds(), t.deadline(), t.anchorMillis());
    }

    private void refuseIfFrozen() {
        FreezeState existing = store.load();
        if (existing != null) {
            throw new GuestException(
                    ErrorCode.ALREADY_FROZEN,
                    "already frozen since " + existing.startedAt() + " (" + store.file() + "); run thaw first");
        }
    }

    /** Finds the hooks; records skipped files and an Azure pre-check error (which may fail the freeze). */
    private HookDiscovery.Result discover(GuestConfig cfg, GuestReport.Builder rep) {
        HookDiscovery.Result found = new HookDiscovery(o.root(), cfg, o.skipGroups(), o.builtIns()).discover();
        for (String s : found.skipped) emit(GuestEvent.Kind.SKIPPED, s);
        rep.skipped(found.skipped);
        if (found.azure() != null && found.azure().error() != null) {
            var e = found.azure().error();
            rep.azure(new GuestReport.AzureError(e.azureCode, AzureCodes.name(e.azureCode), e.file, e.field, e.reason));
            if (found.azure().errorFailsBackup()) {
                String msg = "Azure pre-check failed with code " + e.azureCode + " (" + AzureCodes.name(e.azureCode)
                        + ") and continueBackupOnFailure is false: " + e;
                rep.failBackup("Azure continueBackupOnFailure=false: " + AzureCodes.name(e.azureCode) + " ("
                        + e.azureCode + "): " + e);
                throw fail(
                        rep,
                        msg,
                        new GuestException(ErrorCode.AZURE_CONFIG, msg, e.azureCode, ExitCodes.BAD_INPUT, null));
            }
        }
        return found;
    }

    /**
     * Saves the state and launches the watchdog, before the first hook: if this process dies while hooks run, the
     * watchdog undoes the hooks that froze (the state is saved after each one). The state is saved before the
     * launch: a fast-starting watchdog (CDS archive) must never read the file before this freeze is in it.
     */
    private Freeze armWatchdog(GuestReport.Builder rep, Budget budget) {
        Freeze f = new Freeze();
        long now = System.currentTimeMillis();
        f.state = new FreezeState(
                f.token,
                rep.startedAt(),
                FreezeState.Phase.HOOKS,
                ProcessHandle.current().pid(),
                o.noFsfreeze(),
                List.of(),
                List.of(),
                null,
                now,
                null,
                0L,
                budget.maxFreezeSeconds(),
                -1L,
                rep.build());
        store.save(f.state);
        f.watchdogPid = o.watchdog().launch(o.root(), f.token, 0L);
        f.state = f.state.withWatchdogPid(f.watchdogPid);
        store.save(f.state);
        return f;
    }

    /** Runs the freeze hooks in order; false when an optional one failed. A fatal failure is undone and thrown. */
    private boolean runFreezeHooks(List<Hook> hooks, GuestReport.Builder rep, Freeze f) {
        boolean allOk = true;
        for (int i = 0; i < hooks.size(); i++) {
            Hook h = hooks.get(i);
            List<HookSecurity.Violation> insecure = HookSecurity.check(o.root(), h);
            if (!insecure.isEmpty()) {
                refused(rep, h, "freeze", insecure, false);
                rollback(rep, f.frozen);
                f.abandon();
                rep.failedHook(h.id());
                String msg = "freeze hook " + (i + 1) + " " + h.id() + " refused, not run: "
                        + HookSecurity.describe(insecure) + "; all hooks were undone, nothing is frozen";
                throw fail(
                        rep,
                        msg,
                        new GuestException(ErrorCode.HOOK_INSECURE, msg, null, ExitCodes.hookFailed(i + 1), null));
            }
            if (h.freeze == null || runHook(rep, h, "freeze", h.freeze, h.freezeRetries, false)) {
                f.frozen.add(h);
                f.saveHooks();
                continue;
            }
            allOk = false;
            if (h.continueOnFailure) {
                emit(GuestEvent.Kind.ERROR, h.id() + " freeze failed; continuing (optional / continueBackupOnFailure)");
                if (h.thawAfterFailedFreeze) {
                    f.frozen.add(h);
                    f.saveHooks();
                }
                continue;
            }
            if (h.thawAfterFailedFreeze) f.frozen.add(h);
            rollback(rep, f.frozen);
            f.abandon();
            rep.failedHook(h.id());
            String msg = "freeze hook " + (i + 1) + " " + h.id() + " failed; all hooks were undone, nothing is frozen";
            throw fail(
                    rep, msg, new GuestException(ErrorCode.HOOK_FAILED, msg, null, ExitCodes.hookFailed(i + 1), null));
        }
        return allOk;
    }

    /** The hooks are done: the watchdog's deadline, the report {@code frozen} (written while nothing is frozen). */
    private void recordFrozen(
            GuestReport.Builder rep, Freeze f, Budget budget, List<String> mounts, boolean application, boolean allOk) {
        long hooksDone = System.currentTimeMillis();
        long deadline = budget.deadline(hooksDone);
        int maxFreeze = (int) ((deadline - hooksDone + 999) / 1000);
        emit(
                GuestEvent.Kind.WATCHDOG,
                "armed: thaws by itself at " + Instant.ofEpochMilli(deadline)
                        + (budget.host() != null
                                ? " (the host's deadline: freeze timeout "
                                        + budget.host().freezeTimeoutSeconds() + " s, margin "
                                        + budget.host().marginSeconds() + " s)"
                                : " (maxFreezeSeconds=" + maxFreeze + ")")
                        + ", pid " + f.watchdogPid);
        rep.hookConsistent(allOk)
                .consistency(application ? Consistency.APPLICATION : Consistency.FILESYSTEM)
                .fsfreeze(o.noFsfreeze() ? "agent" : "runner")
                .frozenMounts(mounts)
                .maxFreezeSeconds(maxFreeze)
                .deadlineSource(budget.host() != null ? "host" : null)
                .result(Result.FROZEN);
        if (!mounts.isEmpty()) emit(GuestEvent.Kind.FS_FREEZE, "freezing " + mounts + " (deepest first)");
        rep.finishedAt(Instant.now().toString());
        GuestReport frozenReport = rep.build();
        f.state = f.state.frozen(mounts, hooksDone, System.currentTimeMillis(), deadline, maxFreeze, frozenReport);
        reports.write(frozenReport);
        store.save(f.state);
        log.flush();
    }

    /** FIFREEZE, deepest first; "not supported"/"busy" mounts are skipped; a failure undoes everything. */
    private void freezeFilesystems(GuestReport.Builder rep, Freeze f, List<String> mounts) {
        List<String> done = new ArrayList<>();
        List<String> skippedMounts = new ArrayList<>();
        long firstFreeze = -1;
        for (String m : mounts) {
            long t = System.currentTimeMillis();
            FsFreezer.Result r = freezer.freeze(m);
            if (r.ok && firstFreeze < 0) firstFreeze = t;
            if (r.ok) {
                done.add(m);
            } else if (r.skipped) {
                skippedMounts.add(m + ": " + r.message);
            } else {
                for (int i = done.size() - 1; i >= 0; i--) freezer.thaw(done.get(i));
                f.abandon();
                emit(GuestEvent.Kind.ERROR, "fsfreeze " + m + " failed: " + r.message + "; thawed " + done);
                rep.frozenMounts(List.of());
                rollback(rep, f.frozen);
                String msg = "filesystem freeze of " + m + " failed: " + r.message + "; everything was undone";
                throw fail(rep, msg, new GuestException(ErrorCode.FSFREEZE_FAILED, msg));
            }
        }
        if (!skippedMounts.isEmpty()) {
            rep.frozenMounts(done);
            f.state = f.state.withSkippedMounts(done, skippedMounts, f.state.report());
        }
        // the state lives in run/ (tmpfs): saving it while frozen does not block
        if (firstFreeze >= 0) f.state = f.state.withFsFreezeStartedAt(firstFreeze);
        if (!skippedMounts.isEmpty() || firstFreeze >= 0) store.save(f.state);
    }

    /** Records the failure in the report (written: nothing is frozen) and returns {@code e} to throw. */
    private GuestException fail(GuestReport.Builder rep, String msg, GuestException e) {
        emit(GuestEvent.Kind.ERROR, msg);
        syslog.error("freeze failed: " + msg);
        rep.result(Result.FAILED)
                .consistency(Consistency.NONE)
                .error(msg)
                .finishedAt(Instant.now().toString());
        reports.write(rep.build());
        return e;
    }

    /** Undo of a freeze: freezeFail to VMware scripts, thaw to the others, in thaw order. Exit codes only recorded. */
    private void rollback(GuestReport.Builder rep, List<Hook> frozen) {
        for (Hook h : thawOrder(frozen)) {
            if (h.freezeFail == null) continue;
            runHook(rep, h, h.group == HookGroup.VMWARE ? "freezeFail" : "thaw", h.freezeFail, 0, true);
        }
    }

    List<String> selectMounts(GuestConfig cfg) {
        MountTable table = mountTable();
        boolean realRoot = o.root().toAbsolutePath().normalize().toString().equals("/");
        List<Mount> chosen = new ArrayList<>();
        if (!o.mounts().isEmpty()) {
            for (String gm : o.mounts()) {
                String host = HookDiscovery.resolve(o.root(), gm)
                        .toAbsolutePath()
                        .normalize()
                        .toString();
                Mount m = table.at(host);
                if (m == null) {
                    throw new GuestException(
                            ErrorCode.MOUNT_NOT_FOUND,
                            "--mount " + gm + ": " + host + " is not a mount point (see /proc/self/mountinfo)");
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

    private MountTable mountTable() {
        return o.mountTable() != null ? o.mountTable() : MountTable.read();
    }

    /**
     * Run/stillpoint file, agent mode: "TOKEN EPOCH_MS" (line 1, the freeze command about to exit), then
     * "CLOCK NANOS" (line 2, appended by the installed qemu-ga hook script once the freeze command has exited,
     * read from {@link #HOOK_CLOCK_SOURCES}; see {@code Installer}).
     */
    static final String RETURNED = "freeze-returned";

    /**
     * The clocks the hook script reads without starting a process: {@code mono} (CLOCK_MONOTONIC, "now at N nsecs"
     * of /proc/timer_list, root only) or {@code uptime} (/proc/uptime, 10 ms steps). Both ends must name the same.
     */
    static final List<String> HOOK_CLOCK_SOURCES = List.of("mono", "uptime");

    /**
     * Agent mode: the freeze command is about to exit and hand over to the agent, which freezes the filesystems
     * only then. Records the moment (run/, tmpfs; nothing is frozen yet) so the I/O-frozen window leaves out the
     * runner's report writing and output; the hook script appends its own clock reading once this process has
     * exited. A no-op after a runner-mode freeze or none.
     */
    public void freezeReturning() {
        if (frozenToken == null || !o.noFsfreeze()) return;
        try {
            java.nio.file.Files.writeString(
                    store.dir().resolve(RETURNED), frozenToken + " " + System.currentTimeMillis() + "\n");
        } catch (java.io.IOException e) {
            // the window starts at the end of the hooks instead
        }
    }

    /**
     * When the freeze command that made {@code state} returned (else {@code state.hooksDoneAt()}), and the hook
     * script's clock reading after it exited (null when absent or unreadable).
     */
    private Returned freezeReturnedAt(FreezeState state) {
        java.nio.file.Path f = store.dir().resolve(RETURNED);
        try {
            List<String> lines = java.nio.file.Files.readAllLines(f);
            java.nio.file.Files.deleteIfExists(f);
            String[] w = lines.isEmpty() ? new String[0] : lines.get(0).trim().split(" ");
            if (w.length == 2 && w[0].equals(state.token()))
                return new Returned(
                        Math.max(state.hooksDoneAt(), Long.parseLong(w[1])),
                        lines.size() > 1 ? lines.get(1).trim() : null);
        } catch (java.io.IOException | NumberFormatException e) {
            // absent or unreadable: the end of the hooks
        }
        return new Returned(state.hooksDoneAt(), null);
    }

    /** The start of the agent's freeze as far as the runner knows: epoch ms, and the hook script's clock or null. */
    private record Returned(long atMs, String hookClock) {}

    /**
     * Nanoseconds between two hook-script clock readings "CLOCK NANOS" of the same clock; null when either is
     * missing or malformed, the clocks differ, or {@code to} is not after {@code from}.
     */
    public static Long hookClockNanos(String from, String to) {
        if (from == null || to == null) return null;
        String[] a = from.trim().split(" ");
        String[] b = to.trim().split(" ");
        if (a.length != 2 || b.length != 2 || !a[0].equals(b[0]) || !HOOK_CLOCK_SOURCES.contains(a[0])) return null;
        try {
            long d = Long.parseLong(b[1]) - Long.parseLong(a[1]);
            return d > 0 ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- thaw

    /** Thaws; returns the final report, or null when nothing was frozen (no-op). */
    public GuestReport thaw(ThawKind kind, String watchdogToken) {
        return thaw(kind, watchdogToken, null);
    }

    /**
     * Thaws; {@code hookClock} is the hook script's clock reading when qemu-ga started it ("CLOCK NANOS", from
     * {@link dev.stillpoint.guest.install.Installer#THAW_HOOK_CLOCK}; null: none). Returns the final report, or null when nothing was frozen.
     */
    @SuppressWarnings("try")
    public GuestReport thaw(ThawKind kind, String watchdogToken, String hookClock) {
        try (AutoCloseable ignored = store.lock(o.lockWaitMillis())) {
            return thawLocked(kind, watchdogToken, hookClock);
        } catch (GuestException e) {
            throw e;
        } catch (Exception e) {
            throw new GuestException(ErrorCode.IO, "thaw: " + e.getMessage(), e);
        } finally {
            log.flush();
        }
    }

    private GuestReport thawLocked(ThawKind kind, String watchdogToken, String hookClock) {
        FreezeState state = store.load();
        String op = kind == ThawKind.FREEZE_FAIL ? "freeze-fail" : kind == ThawKind.WATCHDOG ? "watchdog" : "thaw";
        if (state == null || (kind == ThawKind.WATCHDOG && !state.token().equals(watchdogToken))) {
            if (kind != ThawKind.WATCHDOG) emit(GuestEvent.Kind.END, op + ": nothing is frozen; nothing to do");
            return null;
        }
        long thawStart = System.currentTimeMillis();
        GuestReport.Builder rep = state.report().toBuilder().operation("freeze+" + op);
        List<String> failures = new ArrayList<>();
        boolean incomplete = state.phase() == FreezeState.Phase.HOOKS;
        if (kind == ThawKind.WATCHDOG) {
            emit(
                    GuestEvent.Kind.WATCHDOG,
                    incomplete
                            ? "freeze runner (pid " + state.runnerPid()
                                    + ") died while running freeze hooks; undoing the hooks that froze"
                            : "no thaw within maxFreezeSeconds=" + state.maxFreezeSeconds()
                                    + " s; thawing filesystems and running thaw hooks");
        }
        List<String> mounts = state.mounts();
        for (int i = mounts.size() - 1; i >= 0; i--) {
            FsFreezer.Result r = freezer.thaw(mounts.get(i));
            if (!r.ok) failures.add("fsfreeze -u " + mounts.get(i) + ": " + r.message);
        }
        List<String> agentThawed = kind == ThawKind.WATCHDOG && state.noFsfreeze() ? thawAgentFrozen() : List.of();
        long fsThawed = System.currentTimeMillis();
        if (!mounts.isEmpty()) emit(GuestEvent.Kind.FS_THAW, "thawed " + mounts + " (reverse order)");
        if (!agentThawed.isEmpty()) emit(GuestEvent.Kind.FS_THAW, "watchdog thawed agent-frozen " + agentThawed);
        log.flush();
        if (kind != ThawKind.WATCHDOG) killWatchdog(state.watchdogPid(), state.token());
        runThawHooks(rep, state.hooks(), kind == ThawKind.FREEZE_FAIL || incomplete, failures);
        if (incomplete) rep.consistency(Consistency.NONE).error("freeze runner died while running freeze hooks");
        long window = incomplete
                ? 0
                : state.noFsfreeze() ? thawStart - state.hooksDoneAt() : fsThawed - state.fsFreezeStartedAt();
        IoFrozen ioFrozen = incomplete
                ? new IoFrozen(null, null)
                : ioFrozen(state, freezeReturnedAt(state), hookClock, kind, mounts, window, thawStart);
        rep.freezeWindowMs(window)
                .ioFrozenMs(ioFrozen.ms)
                .ioFrozenBy(ioFrozen.by)
                .appHeld(held(rep.hooks(), state.hooks()))
                .thawedAt(Instant.ofEpochMilli(fsThawed).toString());
        if (state.skippedMounts() != null) rep.skippedMounts(state.skippedMounts());
        if (!agentThawed.isEmpty()) rep.watchdogThawedMounts(agentThawed);
        if (kind == ThawKind.WATCHDOG)
            rep.watchdog(new GuestReport.WatchdogFired(
                    true, Instant.ofEpochMilli(thawStart).toString()));
        if (kind == ThawKind.FREEZE_FAIL) rep.consistency(Consistency.NONE);
        rep.errors(failures)
                .result(
                        kind == ThawKind.WATCHDOG
                                ? Result.THAWED_BY_WATCHDOG
                                : kind == ThawKind.FREEZE_FAIL
                                        ? Result.FREEZE_FAILED
                                        : failures.isEmpty() ? Result.OK : Result.THAW_INCOMPLETE)
                .finishedAt(Instant.now().toString());
        store.clear();
        emit(
                GuestEvent.Kind.END,
                op + " done: " + rep.result() + ", freeze window " + window + " ms"
                        + (failures.isEmpty() ? "" : ", failures: " + failures));
        GuestReport done = rep.build();
        reports.write(done);
        if (kind == ThawKind.WATCHDOG)
            syslog.error("watchdog thaw: " + op + " done: " + done.result() + ", freeze window " + window + " ms"
                    + (incomplete ? " (the freeze runner died while running freeze hooks)" : "")
                    + (failures.isEmpty() ? "" : ", failures: " + failures));
        else if (!failures.isEmpty()) syslog.error(op + " failed: " + String.join("; ", failures));
        if (!failures.isEmpty() && kind != ThawKind.WATCHDOG) {
            throw new GuestException(
                    ErrorCode.THAW_INCOMPLETE, op + " finished with failures: " + String.join("; ", failures));
        }
        return done;
    }

    /**
     * qemu-ga (or VMware) froze the filesystems itself and never thaws on its own: thaw what is frozen (all local
     * freezable mounts; with a --root other than /, those at or below the root).
     */
    private List<String> thawAgentFrozen() {
        String r = o.root().toAbsolutePath().normalize().toString();
        List<Mount> all = new ArrayList<>(mountTable().freezable());
        List<String> thawed = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            String mp = all.get(i).mountPoint;
            if (!r.equals("/") && !mp.equals(r) && !mp.startsWith(r + "/")) continue;
            if (freezer.thaw(mp).ok) thawed.add(mp);
        }
        return thawed;
    }

    /** Thaw hooks of the hooks that froze, in thaw order ({@code freezeFail} words after a failed snapshot or freeze). */
    private void runThawHooks(GuestReport.Builder rep, List<Hook> hooks, boolean freezeFailed, List<String> failures) {
        for (Hook h : thawOrder(hooks)) {
            List<String> cmd = freezeFailed ? h.freezeFail : h.thaw;
            if (cmd == null) continue;
            String word = freezeFailed && h.group == HookGroup.VMWARE ? "freezeFail" : "thaw";
            if (!runHook(rep, h, word, cmd, h.thawRetries, false) && !freezeFailed)
                failures.add(h.id() + " " + word + " failed");
        }
    }

    /** The I/O-frozen window and how it was measured ({@link GuestReport#ioFrozenBy()}). */
    private record IoFrozen(Long ms, String by) {}

    /**
     * The I/O-frozen window ({@link GuestReport#ioFrozenBy()} names the case):
     * <ul>
     * <li>{@code runner}: runner mode, the first FIFREEZE to the last FITHAW (the freeze window; 0 when no mount
     *     froze). Exact.
     * <li>{@code hook-script}: agent mode (qemu-ga does FIFREEZE/FITHAW), the installed hook script's clock when
     *     the freeze command had exited (qemu-ga's FIFREEZE follows) to its clock on its first line at thaw (qemu-ga
     *     runs it right after its FITHAW): an upper bound by a process exit and a shell start only, no JVM in it.
     * <li>{@code hook-jvm}: agent mode without the script's readings (an older wrapper, other agents): the freeze
     *     command's return ({@link #freezeReturning}, else the end of the freeze hooks) to the start of this thaw
     *     process; an upper bound that also counts the freeze JVM's exit.
     * <li>{@code watchdog}: the agent never thawed: to the watchdog's thaw (as {@code hook-jvm}, or the start of the
     *     thaw when the same process froze, tests).
     * </ul>
     */
    private static IoFrozen ioFrozen(
            FreezeState state,
            Returned returned,
            String hookClock,
            ThawKind kind,
            List<String> mounts,
            long window,
            long thawStart) {
        if (!state.noFsfreeze()) return new IoFrozen(mounts.isEmpty() ? 0L : window, "runner");
        if (kind != ThawKind.WATCHDOG) {
            Long ns = hookClockNanos(returned.hookClock(), hookClock);
            if (ns != null) return new IoFrozen((ns + 999_999) / 1_000_000, "hook-script");
        }
        long end = thawStart;
        if (kind != ThawKind.WATCHDOG) {
            long started = ProcessHandle.current()
                    .info()
                    .startInstant()
                    .map(Instant::toEpochMilli)
                    .orElse(thawStart);
            if (started > returned.atMs()) end = Math.min(thawStart, started);
        }
        return new IoFrozen(Math.max(0, end - returned.atMs()), kind == ThawKind.WATCHDOG ? "watchdog" : "hook-jvm");
    }

    /**
     * How long each lock-holding quiescer held its application: from the end of its freeze hook (the lock is
     * taken when it returns) to the end of its thaw hook (the lock is released before it returns). Null: none.
     */
    static List<GuestReport.Held> held(List<GuestReport.HookRun> runs, List<Hook> hooks) {
        List<GuestReport.Held> out = new ArrayList<>();
        for (Hook h : hooks) {
            if (!h.holdsLock) continue;
            Long locked = null;
            Long released = null;
            for (GuestReport.HookRun r : runs) {
                if (!r.group().equals(h.group.id()) || !r.name().equals(h.name) || r.startedAt() == null) continue;
                long end = Instant.parse(r.startedAt()).toEpochMilli() + (r.durationMs() == null ? 0 : r.durationMs());
                if (r.phase().equals("freeze") && "ok".equals(r.result())) locked = end;
                else if (!r.phase().equals("freeze") && locked != null) released = end;
            }
            if (locked != null && released != null) out.add(new GuestReport.Held(h.id(), released - locked));
        }
        return out.isEmpty() ? null : out;
    }

    /** Whether a freeze is active (state file present). */
    public boolean frozen() {
        return store.load() != null;
    }

    /** Thaw order: groups in reverse declaration order; within a group reversed when the platform reverses. */
    public static List<Hook> thawOrder(List<Hook> freezeOrder) {
        List<Hook> out = new ArrayList<>();
        HookGroup[] groups = HookGroup.values();
        for (int g = groups.length - 1; g >= 0; g--) {
            List<Hook> in = new ArrayList<>();
            for (Hook h : freezeOrder) if (h.group == groups[g]) in.add(h);
            if (groups[g].reverseOnThaw()) Collections.reverse(in);
            out.addAll(in);
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    /** Records a hook that was not run because a file it runs breaks {@link HookSecurity}'s rule. */
    private void refused(
            GuestReport.Builder rep, Hook h, String word, List<HookSecurity.Violation> why, boolean rollback) {
        String msg = h.id() + " " + word + " refused (not run): " + HookSecurity.describe(why);
        emit(GuestEvent.Kind.ERROR, msg);
        syslog.error(msg);
        rep.addHook(new GuestReport.HookRun(
                h.group.id(),
                h.name,
                word,
                rollback,
                "refused",
                null,
                0L,
                0,
                Instant.now().toString(),
                "refused: " + HookSecurity.describe(why),
                null));
    }

    private boolean runHook(
            GuestReport.Builder rep, Hook h, String word, List<String> cmd, int retries, boolean rollback) {
        List<HookSecurity.Violation> insecure = HookSecurity.check(o.root(), h);
        if (!insecure.isEmpty()) {
            refused(rep, h, word, insecure, rollback);
            return false;
        }
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
            if (attempts <= retries)
                emit(GuestEvent.Kind.HOOK_END, h.id() + " " + word + " " + describe(out, h) + "; retrying");
        }
        String result = ok ? "ok" : out.timedOut ? "timeout" : out.notStarted != null ? "not-started" : "failed";
        Integer azureCode =
                !ok && h.group == HookGroup.AZURE ? AzureCodes.runtime(word.equals("freeze"), out.timedOut) : null;
        String azureName = azureCode == null ? null : AzureCodes.name(azureCode);
        String line = h.id() + " " + word + " " + describe(out, h)
                + (attempts > 1 ? " after " + attempts + " attempts" : "")
                + (azureCode == null ? "" : " (Azure " + azureName + " " + azureCode + ")");
        emit(GuestEvent.Kind.HOOK_END, line);
        if (!ok) syslog.error("hook failed: " + line);
        if (azureCode != null) {
            String reason = out.timedOut ? "timed out after " + h.timeoutSeconds + " s" : describe(out, h);
            if (rep.build().azure() == null)
                rep.azure(new GuestReport.AzureError(azureCode, azureName, h.name, null, reason));
            if (!h.continueOnFailure && rep.failBackup() == null) {
                rep.failBackup("Azure continueBackupOnFailure=false (or fsFreezeEnabled=false): " + azureName + " ("
                        + azureCode + "): " + h.name + " " + word + " " + reason);
                emit(GuestEvent.Kind.ERROR, "the guest's Azure policy fails the backup: " + rep.failBackup());
            }
        }
        rep.addHook(new GuestReport.HookRun(
                h.group.id(),
                h.name,
                word,
                rollback,
                result,
                out.exitCode,
                out.durationMs,
                attempts,
                started.toString(),
                out.notStarted,
                out.output.isEmpty() ? null : out.output,
                azureCode,
                azureName));
        return ok;
    }

    private static String describe(HookProcess.Outcome out, Hook h) {
        if (out.timedOut) return "timed out after " + h.timeoutSeconds + " s; its process group was killed";
        if (out.notStarted != null) return "could not start: " + out.notStarted;
        return "exit " + out.exitCode + " in " + out.durationMs + " ms"
                + (h.successExitCodes.contains(out.exitCode) ? "" : " (failure; success = " + h.successExitCodes + ")");
    }

    private GuestReport.Builder newReport(String op) {
        return GuestReport.builder()
                .operation(op)
                .root(o.root().toString())
                .startedAt(Instant.now().toString());
    }

    /**
     * Identifies a freeze (state, watchdog arguments); unique, not secret. Not UUID.randomUUID(): SecureRandom's
     * provider setup costs over a second under TCG, on the freeze's hot path.
     */
    private static String newToken() {
        java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
        return new UUID(
                        rnd.nextLong() ^ System.nanoTime(),
                        rnd.nextLong() ^ ProcessHandle.current().pid())
                .toString();
    }

    private void emit(GuestEvent.Kind k, String msg) {
        listener.on(new GuestEvent(Instant.now(), k, msg));
    }

    static void killWatchdog(long pid, String token) {
        if (pid <= 0) return;
        ProcessHandle.of(pid).ifPresent(h -> {
            String args = String.join(" ", h.info().arguments().orElse(new String[0]));
            if (args.contains(token)) h.destroy();
        });
    }
}
