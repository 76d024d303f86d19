package dev.stillpoint.guest.hooks;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads etc/azure/VMSnapshotScriptPluginConfig.json and applies Azure's own pre-checks in Azure's order
 * (JSON exists 316, JSON mode/owner 317, JSON parse/required keys 305, then pre exists 302, pre mode/owner 306,
 * post exists 303, post mode/owner 307; first failure wins). Stillpoint adds type and range checks (305)
 * and warnings (unknown keys, capped timeout, poll time out of 1..5).
 */
public final class AzurePluginConfig {
    public static final String PATH = "etc/azure/VMSnapshotScriptPluginConfig.json";
    public static final String HOST_CONF = "etc/azure/VMSnapshotPluginHost.conf";
    public static final int MAX_TIMEOUT = 1800;
    static final Set<String> KNOWN = Set.of(
            "pluginName",
            "preScriptLocation",
            "postScriptLocation",
            "preScriptParams",
            "postScriptParams",
            "preScriptNoOfRetries",
            "postScriptNoOfRetries",
            "timeoutInSeconds",
            "continueBackupOnFailure",
            "fsFreezeEnabled",
            "ScriptsExecutionPollTimeSeconds",
            "appName");

    /** One Azure finding: Azure's code (0 for Stillpoint-only warnings), the file, the field (or null), the reason. */
    public static final class Problem {
        public final int azureCode;
        public final String file;
        public final String field;
        public final String reason;
        public final boolean warning;

        Problem(int azureCode, String file, String field, String reason, boolean warning) {
            this.azureCode = azureCode;
            this.file = file;
            this.field = field;
            this.reason = reason;
            this.warning = warning;
        }

        @Override
        public String toString() {
            return (azureCode > 0 ? "Azure " + azureCode + ": " : "") + file + (field != null ? " field " + field : "")
                    + ": " + reason;
        }
    }

    private String configFile;
    private String preScript;
    private String postScript;
    private final List<String> preParams = new ArrayList<>();
    private final List<String> postParams = new ArrayList<>();
    private int preRetries;
    private int postRetries;
    private int timeoutSeconds = 10;
    private boolean continueBackupOnFailure = true;
    private boolean fsFreezeEnabled = true;
    public final List<Problem> problems = new ArrayList<>();

    public String configFile() {
        return configFile;
    }

    public String preScript() {
        return preScript;
    }

    public String postScript() {
        return postScript;
    }

    public List<String> preParams() {
        return java.util.Collections.unmodifiableList(preParams);
    }

    public List<String> postParams() {
        return java.util.Collections.unmodifiableList(postParams);
    }

    public int preRetries() {
        return preRetries;
    }

    public int postRetries() {
        return postRetries;
    }

    public int timeoutSeconds() {
        return timeoutSeconds;
    }

    public boolean continueBackupOnFailure() {
        return continueBackupOnFailure;
    }

    public boolean fsFreezeEnabled() {
        return fsFreezeEnabled;
    }

    /** The first error (Azure runs no script at all when there is one), or null. */
    public Problem error() {
        for (Problem p : problems) if (!p.warning) return p;
        return null;
    }

    /** Whether the error stops the backup (Azure: script errors with continueBackupOnFailure=false). */
    public boolean errorFailsBackup() {
        Problem e = error();
        return e != null && Set.of(302, 303, 306, 307).contains(e.azureCode) && !continueBackupOnFailure;
    }

    /** Loads the config below root from {@code guestPath}; null when the file does not exist (Azure not configured). */
    public static AzurePluginConfig load(Path root, String guestPath) {
        Path file = HookDiscovery.resolve(root, guestPath);
        if (!Files.exists(file)) return null;
        AzurePluginConfig c = new AzurePluginConfig();
        c.configFile = guestPath;
        c.check(root, file, guestPath);
        return c;
    }

    private void check(Path root, Path file, String guestPath) {
        int mode = FileChecks.mode(file);
        if (mode >= 0 && (((mode >> 6) & 1) != 0 || ((mode >> 3) & 7) != 0 || (mode & 7) != 0)) {
            error(
                    317,
                    guestPath,
                    null,
                    "mode " + FileChecks.octal(mode)
                            + " is not allowed: Azure needs no owner execute bit and no group/other bits (use 600)");
            return;
        }
        if (FileChecks.uid(file) != 0) {
            error(317, guestPath, null, "owner uid " + FileChecks.uid(file) + " is not root");
            return;
        }
        Map<String, Object> m;
        try {
            Object o = JSON.std.anyFrom(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
            if (!(o instanceof Map)) {
                error(305, guestPath, null, "top level is not a JSON object");
                return;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> mm = (Map<String, Object>) o;
            m = mm;
        } catch (IOException | RuntimeException e) {
            error(305, guestPath, null, "invalid JSON: " + firstLine(e.getMessage()));
            return;
        }
        for (String k : m.keySet()) {
            if (!KNOWN.contains(k)) warn(0, guestPath, k, "unknown key (Azure ignores it; check the spelling)");
        }
        for (String req : List.of("preScriptLocation", "postScriptLocation")) {
            if (!m.containsKey(req)) {
                error(305, guestPath, req, "required key is missing");
                return;
            }
            if (!(m.get(req) instanceof String)) {
                error(305, guestPath, req, "must be a string, got " + typeOf(m.get(req)));
                return;
            }
        }
        preScript = (String) m.get("preScriptLocation");
        postScript = (String) m.get("postScriptLocation");
        if (!params(m, "preScriptParams", guestPath, preParams)
                || !params(m, "postScriptParams", guestPath, postParams)) return;
        Integer v;
        if ((v = integer(m, "preScriptNoOfRetries", guestPath, 0, 0, 100)) == null) return;
        preRetries = v;
        if ((v = integer(m, "postScriptNoOfRetries", guestPath, 0, 0, 100)) == null) return;
        postRetries = v;
        if ((v = integer(m, "timeoutInSeconds", guestPath, 10, 1, Integer.MAX_VALUE)) == null) return;
        if (v > MAX_TIMEOUT)
            warn(0, guestPath, "timeoutInSeconds", v + " is above Azure's cap; " + MAX_TIMEOUT + " s is used");
        timeoutSeconds = Math.min(v, MAX_TIMEOUT);
        Object poll = m.get("ScriptsExecutionPollTimeSeconds");
        if (poll != null) {
            if (!(poll instanceof Number) || ((Number) poll).doubleValue() != ((Number) poll).intValue()) {
                warn(
                        0,
                        guestPath,
                        "ScriptsExecutionPollTimeSeconds",
                        "must be an integer, got " + poll + "; Azure uses 3");
            } else if (((Number) poll).intValue() < 1 || ((Number) poll).intValue() > 5) {
                warn(0, guestPath, "ScriptsExecutionPollTimeSeconds", poll + " is outside 1..5; Azure uses 3");
            }
        }
        Boolean b;
        if ((b = bool(m, "continueBackupOnFailure", guestPath)) == null) return;
        continueBackupOnFailure = b;
        if ((b = bool(m, "fsFreezeEnabled", guestPath)) == null) return;
        fsFreezeEnabled = b;
        if (m.containsKey("pluginName") && !"ScriptRunner".equals(m.get("pluginName"))) {
            warn(
                    0,
                    guestPath,
                    "pluginName",
                    "is \"" + m.get("pluginName") + "\"; Azure says do not change it from \"ScriptRunner\"");
        }
        script(root, preScript, "preScriptLocation", 302, 306);
        if (error() != null) return;
        script(root, postScript, "postScriptLocation", 303, 307);
    }

    private void script(Path root, String location, String field, int notFound, int permission) {
        Path p = HookDiscovery.resolve(root, location);
        if (location.isEmpty() || !Files.isRegularFile(p)) {
            error(
                    notFound,
                    location.isEmpty() ? configFile : location,
                    field,
                    location.isEmpty() ? "is empty" : "script not found or not a regular file");
            return;
        }
        int mode = FileChecks.mode(p);
        if (((mode >> 3) & 7) != 0 || (mode & 7) != 0) {
            error(
                    permission,
                    location,
                    field,
                    "mode " + FileChecks.octal(mode)
                            + " gives group/other access; Azure needs group and other digits 0 (use 700)");
            return;
        }
        if (FileChecks.uid(p) != 0)
            error(permission, location, field, "owner uid " + FileChecks.uid(p) + " is not root");
    }

    private boolean params(Map<String, Object> m, String key, String file, List<String> out) {
        Object o = m.get(key);
        if (o == null) return true;
        if (!(o instanceof List)) {
            error(305, file, key, "must be a list, got " + typeOf(o));
            return false;
        }
        for (Object x : (List<?>) o) out.add(String.valueOf(x));
        // The shipped sample has ["", ""]; Azure passes the empty strings through as arguments.
        return true;
    }

    private Integer integer(Map<String, Object> m, String key, String file, int dflt, int min, int max) {
        Object o = m.get(key);
        if (o == null) return dflt;
        if (!(o instanceof Number) || ((Number) o).doubleValue() != ((Number) o).longValue()) {
            error(305, file, key, "must be an integer, got " + typeOf(o) + " " + o);
            return null;
        }
        long l = ((Number) o).longValue();
        if (l < min || l > max) {
            error(
                    305,
                    file,
                    key,
                    l + " is out of range " + min + ".." + (max == Integer.MAX_VALUE ? "" : String.valueOf(max)));
            return null;
        }
        return (int) l;
    }

    private Boolean bool(Map<String, Object> m, String key, String file) {
        Object o = m.get(key);
        if (o == null) return Boolean.TRUE;
        if (!(o instanceof Boolean)) {
            error(305, file, key, "must be true or false, got " + typeOf(o) + " " + o);
            return null;
        }
        return (Boolean) o;
    }

    private static String typeOf(Object o) {
        if (o == null) return "null";
        if (o instanceof String) return "string";
        if (o instanceof Number) return "number";
        if (o instanceof Boolean) return "boolean";
        if (o instanceof List) return "list";
        return "object";
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    private void error(int code, String file, String field, String reason) {
        problems.add(new Problem(code, file, field, reason, false));
    }

    private void warn(int code, String file, String field, String reason) {
        problems.add(new Problem(code, file, field, reason, true));
    }
}
