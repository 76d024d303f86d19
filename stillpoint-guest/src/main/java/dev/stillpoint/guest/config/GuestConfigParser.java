package dev.stillpoint.guest.config;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.HookGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses guest.conf, an INI file:
 * <pre>
 * # comment: whole lines starting with # or ; (no inline comments: values may hold shell commands)
 * [runner]
 * timeoutSeconds = 60
 * maxFreezeSeconds = 60
 * successExitCodes = 0
 * [groups]
 * vmware = true
 * [vmware]
 * scriptArg = extra
 * [fsfreeze]
 * include = /data, /srv
 * exclude = /boot
 * [hook "/etc/vmware-tools/backupScripts.d/10-iris"]
 * successExitCodes = 0,5
 * timeoutSeconds = 300
 * optional = false
 * retries = 0
 * acceptGroupWritable = false   (true: run it although its group may write it; never for others-writable)
 * [app "postgresql"]           (built-in quiescer, see dev.stillpoint.guest.apps.AppQuiescers)
 * </pre>
 */
public final class GuestConfigParser {
    private GuestConfigParser() {}

    /** Loads guest.conf (absent = defaults) and then every {@code apps.d/*.conf} beside it, in byte order. */
    public static GuestConfig load(Path file) {
        try {
            GuestConfig c = Files.exists(file)
                    ? parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8))
                    : GuestConfig.defaults();
            for (Path app : dev.stillpoint.guest.fs.Dirs.listSorted(file.resolveSibling("apps.d"), false)) {
                String n = app.getFileName().toString();
                if (!n.endsWith(".conf") || !Files.isRegularFile(app)) continue;
                parseApp(
                        c,
                        app.toString(),
                        n.substring(0, n.length() - 5),
                        Files.readAllLines(app, StandardCharsets.UTF_8));
            }
            return c;
        } catch (IOException e) {
            throw new GuestException(ErrorCode.IO, file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * An apps.d file: keys of app NAME (the file name without .conf) before any section header;
     * {@code [app "OTHER"]} sections are allowed too. Other sections are errors.
     */
    static void parseApp(GuestConfig c, String file, String name, List<String> lines) {
        java.util.List<String> all = new java.util.ArrayList<>();
        all.add("[app \"" + name + "\"]");
        all.addAll(lines);
        GuestConfig tmp = parse(file, all, -1);
        for (String s : Set.of("runner", "groups", "vmware", "fsfreeze")) {
            if (tmp.sectionsSeen.contains(s))
                throw new GuestException(
                        ErrorCode.CONFIG_UNKNOWN_KEY, file + ": section [" + s + "] belongs in guest.conf, not apps.d");
        }
        if (!tmp.hooks.isEmpty())
            throw new GuestException(
                    ErrorCode.CONFIG_UNKNOWN_KEY, file + ": [hook] sections belong in guest.conf, not apps.d");
        for (Map.Entry<String, Map<String, String>> e : tmp.apps.entrySet()) {
            if (c.apps.containsKey(e.getKey())) {
                throw new GuestException(
                        ErrorCode.CONFIG_BAD_VALUE,
                        file + ": app \"" + e.getKey() + "\" is already defined in "
                                + c.apps.get(e.getKey()).get(SOURCE));
            }
            c.apps.put(e.getKey(), e.getValue());
        }
    }

    /** Key under which an app's settings remember where they were defined ("file:line"). */
    public static final String SOURCE = "__source";

    public static GuestConfig parse(String file, List<String> lines) {
        return parse(file, lines, 0);
    }

    /** lineOffset: added to line numbers in messages (apps.d files get a synthetic first line). */
    static GuestConfig parse(String file, List<String> lines, int lineOffset) {
        GuestConfig c = new GuestConfig();
        String section = null;
        HookSettings hook = null;
        Map<String, String> app = null;
        int n = lineOffset;
        for (String raw : lines) {
            n++;
            String line = stripComment(raw).trim();
            if (line.isEmpty()) continue;
            String where = file + ":" + n;
            if (line.startsWith("[")) {
                if (!line.endsWith("]"))
                    throw err(ErrorCode.CONFIG_SYNTAX, where, "section header must end with ']': " + line);
                String h = line.substring(1, line.length() - 1).trim();
                hook = null;
                app = null;
                if (h.startsWith("hook ") || h.startsWith("app ")) {
                    boolean isHook = h.startsWith("hook ");
                    String arg = h.substring(isHook ? 5 : 4).trim();
                    if (arg.length() < 2 || !arg.startsWith("\"") || !arg.endsWith("\"")) {
                        throw err(
                                ErrorCode.CONFIG_SYNTAX,
                                where,
                                "expected [" + (isHook ? "hook" : "app") + " \"NAME\"], got [" + h + "]");
                    }
                    arg = arg.substring(1, arg.length() - 1);
                    if (isHook) {
                        if (!arg.startsWith("/"))
                            throw err(
                                    ErrorCode.CONFIG_BAD_VALUE,
                                    where,
                                    "hook path must be absolute (guest path), got \"" + arg + "\"");
                        hook = c.hooks.computeIfAbsent(arg, k -> new HookSettings());
                        section = "hook";
                    } else {
                        if (c.apps.containsKey(arg))
                            throw err(ErrorCode.CONFIG_BAD_VALUE, where, "app \"" + arg + "\" is defined twice");
                        app = c.apps.computeIfAbsent(arg, k -> new LinkedHashMap<>());
                        app.put(SOURCE, n == 0 ? file : where);
                        section = "app";
                    }
                } else if (Set.of("runner", "groups", "vmware", "fsfreeze").contains(h)) {
                    section = h;
                    c.sectionsSeen.add(h);
                } else {
                    throw err(
                            ErrorCode.CONFIG_UNKNOWN_KEY,
                            where,
                            "unknown section [" + h
                                    + "] (known: runner, groups, vmware, fsfreeze, hook \"PATH\", app \"NAME\")");
                }
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) throw err(ErrorCode.CONFIG_SYNTAX, where, "expected key = value, got: " + line);
            String key = line.substring(0, eq).trim();
            String value = line.substring(eq + 1).trim();
            if (section == null) throw err(ErrorCode.CONFIG_SYNTAX, where, "key '" + key + "' outside of a section");
            String field = where + " [" + section + "] " + key;
            switch (section) {
                case "runner":
                    switch (key) {
                        case "timeoutSeconds":
                            c.timeoutSeconds = intIn(field, value, 1, GuestConfig.MAX_TIMEOUT_SECONDS);
                            break;
                        case "maxFreezeSeconds":
                            c.maxFreezeSeconds = intIn(field, value, 1, GuestConfig.MAX_TIMEOUT_SECONDS);
                            break;
                        case "successExitCodes":
                            c.successExitCodes = codes(field, value);
                            break;
                        default:
                            throw unknown(field, "timeoutSeconds, maxFreezeSeconds, successExitCodes");
                    }
                    break;
                case "groups": {
                    HookGroup g = HookGroup.byName(key);
                    if (g == null) throw unknown(field, "vmware, qemu, nutanix, azure, stillpoint");
                    if (bool(field, value)) c.disabledGroups.remove(g);
                    else c.disabledGroups.add(g);
                    break;
                }
                case "vmware":
                    if (!key.equals("scriptArg")) throw unknown(field, "scriptArg");
                    c.vmwareScriptArg = value;
                    break;
                case "fsfreeze":
                    if (key.equals("include")) c.includeMounts.addAll(paths(field, value));
                    else if (key.equals("exclude")) c.excludeMounts.addAll(paths(field, value));
                    else throw unknown(field, "include, exclude");
                    break;
                case "hook":
                    switch (key) {
                        case "timeoutSeconds":
                            hook.timeoutSeconds = intIn(field, value, 1, GuestConfig.MAX_TIMEOUT_SECONDS);
                            break;
                        case "successExitCodes":
                            hook.successExitCodes = codes(field, value);
                            break;
                        case "optional":
                            hook.optional = bool(field, value);
                            break;
                        case "retries":
                            hook.retries = intIn(field, value, 0, 10);
                            break;
                        case "acceptGroupWritable":
                            hook.acceptGroupWritable = bool(field, value);
                            break;
                        default:
                            throw unknown(
                                    field, "timeoutSeconds, successExitCodes, optional, retries, acceptGroupWritable");
                    }
                    break;
                case "app":
                    if (app.containsKey(key))
                        throw err(ErrorCode.CONFIG_BAD_VALUE, where, "key '" + key + "' given twice");
                    app.put(key, value);
                    break;
                default:
                    throw new IllegalStateException(section);
            }
        }
        return c;
    }

    /** Comments are whole lines starting with # or ; (values may contain both, e.g. shell commands). */
    private static String stripComment(String s) {
        String t = s.trim();
        return t.startsWith("#") || t.startsWith(";") ? "" : s;
    }

    private static GuestException err(ErrorCode code, String where, String msg) {
        return new GuestException(code, where + ": " + msg);
    }

    private static GuestException unknown(String field, String known) {
        return new GuestException(ErrorCode.CONFIG_UNKNOWN_KEY, field + ": unknown key (known: " + known + ")");
    }

    static int intIn(String field, String v, int min, int max) {
        int i;
        try {
            i = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new GuestException(ErrorCode.CONFIG_BAD_VALUE, field + ": '" + v + "' is not an integer");
        }
        if (i < min || i > max) {
            throw new GuestException(
                    ErrorCode.CONFIG_BAD_VALUE, field + ": " + i + " is out of range " + min + ".." + max);
        }
        return i;
    }

    static boolean bool(String field, String v) {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
            case "on":
                return true;
            case "false":
            case "no":
            case "off":
                return false;
            default:
                throw new GuestException(
                        ErrorCode.CONFIG_BAD_VALUE, field + ": '" + v + "' is not a boolean (true|false)");
        }
    }

    static Set<Integer> codes(String field, String v) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String p : v.split(",")) {
            String t = p.trim();
            if (t.isEmpty()) continue;
            out.add(intIn(field, t, 0, 255));
        }
        if (out.isEmpty()) throw new GuestException(ErrorCode.CONFIG_BAD_VALUE, field + ": empty list of exit codes");
        return Set.copyOf(out);
    }

    static List<String> paths(String field, String v) {
        List<String> out = new java.util.ArrayList<>();
        for (String p : v.split("[,\\s]+")) {
            if (p.isEmpty()) continue;
            if (!p.startsWith("/"))
                throw new GuestException(
                        ErrorCode.CONFIG_BAD_VALUE, field + ": mount point '" + p + "' must be absolute");
            out.add(p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p);
        }
        return out;
    }
}
