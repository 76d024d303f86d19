package dev.stillpoint.engine.backup;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.vm.VmDomain.GuestAgent;
import dev.stillpoint.guest.contract.ContractException;
import dev.stillpoint.guest.contract.GuestReport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads the in-guest hook runner's report ({@link GuestReport}, {@value GuestReport#PATH}) through
 * guest-file-open/read/close and derives the consistency level. The report is read before the freeze and after
 * the thaw; only a report that changed counts as this backup's (guest clocks cannot be trusted).
 */
final class GuestReports {

    private static final int MAX_REPORT = 1 << 20;

    private GuestReports() {}

    /** The report's text, or null when the file is absent or the agent cannot read it. */
    static String read(GuestAgent agent, Duration timeout) {
        byte[] b = GuestFiles.read(agent, GuestReport.PATH, MAX_REPORT, timeout);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Consistency from what happened: not frozen is crash; frozen with a fresh report saying hooks
     * ran and all succeeded is application; frozen otherwise is filesystem. A fresh stillpoint-guest
     * report saying its watchdog thawed (the host's freeze deadline passed before the host's thaw) is
     * crash: the backup may have begun after the guest thawed.
     */
    static Consistency consistency(boolean frozen, String before, String after) {
        if (!frozen) return Consistency.CRASH;
        if (after == null || after.equals(before)) return Consistency.FILESYSTEM;
        if (thawedByWatchdog(after)) return Consistency.CRASH;
        return hooksSucceeded(after) ? Consistency.APPLICATION : Consistency.FILESYSTEM;
    }

    /**
     * Whether the report says application hooks ran and succeeded: stillpoint-guest's
     * {@code "consistency": "application"} with no {@code errors} and a result other than
     * {@code failed}; for other runners, at least one hook listed and every hook succeeded. Accepts a top-level
     * {@code hooks} array (or {@code results}) of objects carrying {@code ok}/{@code success}
     * booleans, an {@code exitCode}/{@code exit} number, or a {@code status}/{@code result}
     * string ({@code ok}, {@code success}, {@code succeeded}, {@code skipped} count as success).
     */
    static boolean hooksSucceeded(String json) {
        try {
            Object root = JSON.std.anyFrom(json);
            if (!(root instanceof Map<?, ?> m)) return false;
            // stillpoint-guest's report (docs/hooks.md): "consistency" is its own verdict over the hooks it ran
            if (m.get("consistency") instanceof String)
                return GuestReport.fromMap(m).applicationConsistent();
            Object overall = m.get("ok");
            if (Boolean.FALSE.equals(overall) || Boolean.FALSE.equals(m.get("success"))) return false;
            Object hooks = m.get("hooks");
            if (!(hooks instanceof List<?>)) hooks = m.get("results");
            if (!(hooks instanceof List<?> list) || list.isEmpty()) return false;
            for (Object h : list) if (!hookOk(h)) return false;
            return true;
        } catch (java.io.IOException | ContractException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code json} is a stillpoint-guest report whose watchdog thawed the guest. */
    static boolean thawedByWatchdog(String json) {
        try {
            return JSON.std.anyFrom(json) instanceof Map<?, ?> m
                    && m.get("consistency") instanceof String
                    && GuestReport.fromMap(m).thawedByWatchdog();
        } catch (java.io.IOException | ContractException | RuntimeException e) {
            return false;
        }
    }

    /** This backup's stillpoint-guest report ({@code after}, when it changed since {@code before}), or null. */
    static GuestReport fresh(String before, String after) {
        if (after == null || after.equals(before)) return null;
        try {
            return JSON.std.anyFrom(after) instanceof Map<?, ?> m && m.get("consistency") instanceof String
                    ? GuestReport.fromMap(m)
                    : null;
        } catch (java.io.IOException | ContractException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Why the guest's own policy fails this backup whatever the host's consistency policy (Azure
     * {@code continueBackupOnFailure: false}: a pre or post script failed), or null.
     */
    static String guestPolicyFailure(GuestReport r) {
        return r == null ? null : r.failBackup();
    }

    /** Azure's code and name of a failure the report records ({@code "PreScriptExecutionFailed (300): ..."}), or null. */
    static String azureFailure(GuestReport r) {
        if (r == null || r.azure() == null || r.azure().code() == null) return null;
        GuestReport.AzureError a = r.azure();
        return (a.name() == null ? "Azure code" : a.name()) + " (" + a.code() + ")"
                + (a.file() == null ? "" : ": " + a.file()) + (a.reason() == null ? "" : " " + a.reason());
    }

    private static boolean hookOk(Object h) {
        if (!(h instanceof Map<?, ?> hook)) return false;
        for (String k : List.of("ok", "success", "succeeded")) {
            if (hook.get(k) instanceof Boolean b) return b;
        }
        for (String k : List.of("exitCode", "exit", "exit_code")) {
            if (hook.get(k) instanceof Number n) return n.intValue() == 0;
        }
        for (String k : List.of("status", "result", "outcome")) {
            if (hook.get(k) instanceof String s) {
                return List.of("ok", "success", "succeeded", "skipped", "done")
                        .contains(s.toLowerCase(java.util.Locale.ROOT));
            }
        }
        return false;
    }
}
