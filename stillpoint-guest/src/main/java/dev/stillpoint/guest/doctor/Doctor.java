package dev.stillpoint.guest.doctor;

import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.HookGroup;
import dev.stillpoint.guest.config.GuestConfig;
import dev.stillpoint.guest.config.GuestConfigParser;
import dev.stillpoint.guest.config.HookSettings;
import dev.stillpoint.guest.doctor.Finding.Severity;
import dev.stillpoint.guest.hooks.AzurePluginConfig;
import dev.stillpoint.guest.hooks.FileChecks;
import dev.stillpoint.guest.hooks.Hook;
import dev.stillpoint.guest.hooks.HookDiscovery;
import dev.stillpoint.guest.hooks.HookSecurity;
import dev.stillpoint.guest.state.FreezeState;
import dev.stillpoint.guest.state.StateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Lints every convention found below a root. Findings name the file (guest path) and the reason. */
public final class Doctor {
    static final Pattern SINGLE_PHASE_NAME = Pattern.compile("(?i)(^|[^a-z])(pre|post|freeze|thaw|unfreeze)([^a-z]|$)");
    static final Pattern READS_ARGUMENT =
            Pattern.compile("\\$1|\\$\\{1|\\$@|\\$\\*|\\$\\{@|sys\\.argv|ARGV|%1|\\$argv|args\\[");
    static final String QEMU_GA_DROPIN_DIR = "/etc/systemd/system/qemu-guest-agent.service.d";

    /** Result: findings plus the hooks discovery would run, in freeze order. */
    public static final class Result {
        public final List<Finding> findings = new ArrayList<>();
        public final List<String> hooks = new ArrayList<>();

        public long errors() {
            return findings.stream().filter(f -> f.severity == Severity.ERROR).count();
        }

        public long warnings() {
            return findings.stream().filter(f -> f.severity == Severity.WARNING).count();
        }
    }

    private final Path root;
    private final HookDiscovery.BuiltIns builtIns;
    private final Result r = new Result();
    private final java.util.Set<String> seen = new java.util.HashSet<>();
    private GuestConfig cfg = GuestConfig.defaults();

    public Doctor(Path root, HookDiscovery.BuiltIns builtIns) {
        this.root = root;
        this.builtIns = builtIns;
    }

    public Result run() {
        GuestConfig cfg = config();
        this.cfg = cfg;
        vmware();
        for (String d : HookDiscovery.QEMU_DIRS) globDir(d, HookGroup.QEMU);
        nutanix();
        azure();
        globDir(HookDiscovery.STILLPOINT_DIR, HookGroup.STILLPOINT);
        qemuAgent();
        List<Hook> hooks;
        try {
            hooks = new HookDiscovery(root, cfg, EnumSet.noneOf(HookGroup.class), builtIns).discover().hooks;
        } catch (GuestException e) {
            String msg = e.getMessage().replace(root.toString(), "");
            int colon = msg.indexOf(':');
            String file = msg.startsWith("/") && colon > 0 ? msg.substring(0, colon) : configPath();
            add(Severity.ERROR, FindingCode.CONFIG_INVALID, file, e.code() + ": " + msg);
            hooks = new HookDiscovery(root, cfg, EnumSet.noneOf(HookGroup.class), null).discover().hooks;
        }
        for (Hook h : hooks) r.hooks.add(h.id());
        for (String p : cfg.hooks().keySet()) {
            boolean known = false;
            for (Hook h : hooks) {
                if (String.join(" ", h.freeze == null ? List.of() : h.freeze).contains(p)
                        || h.name.equals(p)
                        || String.join(" ", h.thaw == null ? List.of() : h.thaw)
                                .contains(HookDiscovery.resolve(root, p).toString())) known = true;
            }
            if (!known)
                add(
                        Severity.WARNING,
                        FindingCode.CONFIG_UNKNOWN_HOOK,
                        configPath(),
                        "[hook \"" + p + "\"] matches no discovered hook");
        }
        try {
            FreezeState s = new StateStore(root).load();
            if (s != null)
                add(
                        Severity.WARNING,
                        FindingCode.FROZEN_NOW,
                        "/" + StateStore.DIR + "/state.json",
                        "a freeze is active since " + s.startedAt() + "; run thaw");
        } catch (GuestException e) {
            add(Severity.ERROR, FindingCode.FROZEN_NOW, "/" + StateStore.DIR + "/state.json", e.getMessage());
        }
        configPermissions();
        if (root.toString().equals("/")) appClients(cfg);
        if (root.toString().equals("/") && !onPath("fsfreeze")) {
            add(
                    Severity.ERROR,
                    FindingCode.FSFREEZE_MISSING,
                    "fsfreeze",
                    "util-linux fsfreeze not found in /usr/sbin, /sbin, /usr/bin, /bin");
        }
        return r;
    }

    private static String configPath() {
        return "/etc/stillpoint/guest.conf";
    }

    /** guest.conf and apps.d hold commands that run as root: root-owned, not group/world writable. */
    private void configPermissions() {
        List<String> files = new ArrayList<>(List.of("/etc/stillpoint/guest.conf"));
        for (Path p : dev.stillpoint.guest.fs.Dirs.listSorted(path("/etc/stillpoint/apps.d"), false))
            files.add("/etc/stillpoint/apps.d/" + p.getFileName());
        dirWritable("/etc/stillpoint/apps.d", path("/etc/stillpoint/apps.d"));
        for (String g : files) {
            Path p = path(g);
            if (!Files.isRegularFile(p)) continue;
            int mode = FileChecks.mode(p);
            if ((mode & 022) != 0)
                add(
                        Severity.ERROR,
                        FindingCode.CONFIG_PERMISSIONS,
                        g,
                        "mode " + FileChecks.octal(mode) + " lets group/others change commands that run as root");
            if (FileChecks.uid(p) != 0)
                add(
                        Severity.ERROR,
                        FindingCode.CONFIG_PERMISSIONS,
                        g,
                        "owner uid " + FileChecks.uid(p) + ": must be owned by root");
        }
    }

    /** Built-in quiescers need their client programs (checked on the real root only). */
    private void appClients(GuestConfig cfg) {
        for (Map.Entry<String, Map<String, String>> e : cfg.apps().entrySet()) {
            Map<String, String> m = e.getValue();
            String type = m.getOrDefault("type", e.getKey());
            List<String> progs = new ArrayList<>();
            if (type.equals("postgresql")) progs.addAll(List.of("runuser", m.getOrDefault("psql", "psql")));
            if (type.equals("mysql") || type.equals("mariadb")) progs.add(m.getOrDefault("client", "mysql"));
            if (type.equals("service")) progs.add(m.getOrDefault("systemctl", "systemctl"));
            if (type.equals("iris")) {
                String control = m.getOrDefault("control", "auto");
                String iris = m.getOrDefault("iris", "iris");
                String cc = m.getOrDefault("ccontrol", "ccontrol");
                if (control.equals("iris")) progs.add(iris);
                else if (control.equals("ccontrol")) progs.addAll(List.of(cc, m.getOrDefault("csession", "csession")));
                else if (!(iris.startsWith("/") ? Files.isExecutable(Path.of(iris)) : onPath(iris)) && !onPath(cc))
                    progs.add(iris + " or " + cc);
            }
            for (String prog : progs) {
                if (prog.startsWith("/") ? !Files.isExecutable(Path.of(prog)) : !onPath(prog)) {
                    add(
                            Severity.ERROR,
                            FindingCode.APP_CLIENT_MISSING,
                            String.valueOf(m.getOrDefault(GuestConfigParser.SOURCE, configPath())),
                            "[app \"" + e.getKey() + "\"] needs " + prog + ", which is not installed");
                }
            }
        }
    }

    private GuestConfig config() {
        try {
            return GuestConfigParser.load(root.resolve("etc/stillpoint/guest.conf"));
        } catch (GuestException e) {
            add(
                    Severity.ERROR,
                    FindingCode.CONFIG_INVALID,
                    configPath(),
                    e.code() + ": "
                            + e.getMessage()
                                    .replace(
                                            root.resolve("etc/stillpoint/guest.conf")
                                                    .toString(),
                                            "guest.conf"));
            return GuestConfig.defaults();
        }
    }

    // ------------------------------------------------------------------ conventions

    private void vmware() {
        for (String legacy : List.of(HookDiscovery.VMWARE_LEGACY_FREEZE, HookDiscovery.VMWARE_LEGACY_THAW)) {
            Path p = path(legacy);
            if (!FileChecks.exists(p)) continue;
            if (!Files.isRegularFile(p)) {
                add(Severity.ERROR, FindingCode.NOT_REGULAR, legacy, "legacy VMware script is not a regular file");
                continue;
            }
            common(
                    legacy,
                    p,
                    Severity.ERROR,
                    "VMware runs it with bash -c; a non-executable file exits 126 and fails the quiesce");
            freezeFailSpelling(legacy, p);
        }
        Path dir = path(HookDiscovery.VMWARE_DIR);
        dirWritable(HookDiscovery.VMWARE_DIR, dir);
        for (Path p : dev.stillpoint.guest.fs.Dirs.listSorted(dir, true)) {
            String g = HookDiscovery.VMWARE_DIR + "/" + p.getFileName();
            if (HookDiscovery.isWrapper(p)) continue;
            if (!Files.isRegularFile(p)) {
                add(
                        Severity.WARNING,
                        FindingCode.NOT_REGULAR,
                        g,
                        "not a regular file; VMware ignores it (no recursion into directories)");
                continue;
            }
            String leftover = leftover(p);
            if (leftover != null) {
                add(
                        Severity.ERROR,
                        FindingCode.PACKAGE_LEFTOVER,
                        g,
                        "package-manager/editor leftover (" + leftover
                                + "): VMware runs every regular file here, including this one");
            }
            common(
                    g,
                    p,
                    Severity.ERROR,
                    "VMware runs every regular file here with bash -c; this one exits 126 and fails the whole quiesce");
            doubleDispatch(g, p, "VMware passes freeze/freezeFail/thaw");
            freezeFailSpelling(g, p);
        }
    }

    private void globDir(String guestDir, HookGroup group) {
        Path dir = path(guestDir);
        if (!Files.isDirectory(dir)) return;
        dirWritable(guestDir, dir);
        for (Path p : dev.stillpoint.guest.fs.Dirs.listSorted(dir, false)) {
            String g = guestDir + "/" + p.getFileName();
            if (HookDiscovery.isWrapper(p)) continue;
            String leftover = leftover(p);
            if (leftover != null) {
                add(
                        Severity.WARNING,
                        FindingCode.PACKAGE_LEFTOVER,
                        g,
                        "package-manager/editor leftover (" + leftover + "): ignored here; remove it");
                continue;
            }
            if (!Files.isRegularFile(p)) {
                add(Severity.WARNING, FindingCode.NOT_REGULAR, g, "not a regular file; skipped");
                continue;
            }
            common(
                    g,
                    p,
                    Severity.WARNING,
                    "not executable, so it is silently skipped"
                            + (group == HookGroup.QEMU ? " (as the stock qemu hook does)" : "")
                            + "; chmod 700 it or remove it");
            doubleDispatch(
                    g, p, group == HookGroup.QEMU ? "qemu-ga passes freeze/thaw" : "Stillpoint passes freeze/thaw");
        }
    }

    private void nutanix() {
        List<String> present = new ArrayList<>();
        for (String n : List.of(HookDiscovery.NUTANIX_FREEZE, HookDiscovery.NUTANIX_THAW)) {
            String g = n;
            Path p = path(n);
            if (Files.exists(p) && HookDiscovery.isWrapper(p)) {
                g = n + HookDiscovery.DISPLACED_SUFFIX;
                p = path(g);
            }
            if (!FileChecks.exists(p)) continue;
            present.add(n);
            if (!Files.isRegularFile(p)) {
                add(Severity.ERROR, FindingCode.NOT_REGULAR, g, "Nutanix script is not a regular file");
                continue;
            }
            int mode = FileChecks.mode(p);
            if (mode != 0700)
                add(
                        Severity.ERROR,
                        FindingCode.NUTANIX_PERMISSIONS,
                        g,
                        "mode " + FileChecks.octal(mode) + ": Nutanix needs root-owned 700");
            if (FileChecks.uid(p) != 0)
                add(
                        Severity.ERROR,
                        FindingCode.NUTANIX_PERMISSIONS,
                        g,
                        "owner uid " + FileChecks.uid(p) + ": Nutanix needs root-owned 700");
            content(g, p, Severity.ERROR, true);
            security(g, p, true);
        }
        if (present.size() == 1) {
            add(
                    Severity.WARNING,
                    FindingCode.NUTANIX_INCOMPLETE,
                    present.get(0),
                    "only one of pre_freeze/post_thaw exists"
                            + (present.get(0).equals(HookDiscovery.NUTANIX_FREEZE)
                                    ? "; nothing undoes the freeze"
                                    : ""));
        }
    }

    private void azure() {
        Path host = path("/" + AzurePluginConfig.HOST_CONF);
        if (Files.exists(host)) {
            int mode = FileChecks.mode(host);
            int g = (mode >> 3) & 7;
            int o = mode & 7;
            if ((g != 0 && g != 4) || (o != 0 && o != 4)) {
                add(
                        Severity.ERROR,
                        FindingCode.AZURE_HOST_CONF,
                        "/" + AzurePluginConfig.HOST_CONF,
                        "mode " + FileChecks.octal(mode) + ": group and other digits must be 0 or 4",
                        314);
            } else if (FileChecks.uid(host) != 0) {
                add(
                        Severity.ERROR,
                        FindingCode.AZURE_HOST_CONF,
                        "/" + AzurePluginConfig.HOST_CONF,
                        "owner uid " + FileChecks.uid(host) + " is not root",
                        314);
            }
        }
        String json = HookDiscovery.AZURE_CONFIG;
        Path jp = path(json);
        if (Files.exists(jp)
                && new String(FileChecks.head(jp, 65536), StandardCharsets.UTF_8)
                        .contains("/usr/local/lib/stillpoint/azure-")) {
            json = json + HookDiscovery.DISPLACED_SUFFIX;
        }
        AzurePluginConfig az = AzurePluginConfig.load(root, json);
        if (az == null) return;
        for (AzurePluginConfig.Problem p : az.problems) {
            String reason = (p.field != null ? "field " + p.field + ": " : "") + p.reason;
            if (p.warning)
                add(Severity.WARNING, FindingCode.AZURE_WARNING, p.file, reason, p.azureCode > 0 ? p.azureCode : null);
            else
                add(
                        Severity.ERROR,
                        FindingCode.AZURE_CONFIG,
                        p.file,
                        reason
                                + (az.errorFailsBackup()
                                        ? "; continueBackupOnFailure=false, so the backup fails"
                                        : "; no Azure script runs (file-system consistent backup only)"),
                        p.azureCode);
        }
        if (az.error() != null) return;
        for (String s : List.of(az.preScript(), az.postScript())) {
            Path p = path(s);
            content(s, p, Severity.ERROR, false);
            security(s, p, true);
            String first = firstLine(p);
            if (first.startsWith("#!") && !first.matches("#!\\s*(/usr)?/bin/(env\\s+)?(ba|da)?sh\\b.*")) {
                add(
                        Severity.ERROR,
                        FindingCode.AZURE_SH_INTERPRETER,
                        s,
                        "Azure runs scripts as 'sh " + s + "' and ignores the interpreter line '" + first + "'");
            }
        }
    }

    /** Is qemu-ga's hook enabled? Inspects the systemd drop-ins, qemu-ga.conf, RHEL sysconfig and running agents. */
    private void qemuAgent() {
        boolean agent = Files.exists(path("/usr/sbin/qemu-ga")) || Files.exists(path("/usr/bin/qemu-ga"));
        List<String> running = runningAgents();
        if (!agent && running.isEmpty()) return;
        String hookFromUnit = null;
        String where = null;
        for (Path f : dropIns()) {
            try {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    String h = hookArg(line.trim().startsWith("ExecStart=") ? line : "");
                    if (h != null) {
                        hookFromUnit = h;
                        where = QEMU_GA_DROPIN_DIR + "/" + f.getFileName();
                    }
                }
            } catch (IOException e) {
                // unreadable drop-in: ignore
            }
        }
        String hookFromConf = confHook();
        String hook = hookFromUnit != null ? hookFromUnit : hookFromConf;
        boolean haveHooks = !dev.stillpoint.guest.fs.Dirs.listSorted(path(HookDiscovery.QEMU_DIRS.get(0)), false)
                        .isEmpty()
                || !dev.stillpoint.guest.fs.Dirs.listSorted(path(HookDiscovery.QEMU_DIRS.get(1)), false)
                        .isEmpty()
                || HookDiscovery.isWrapper(path("/etc/qemu/fsfreeze-hook"));
        for (String cmd : running) {
            String h = hookArg(cmd);
            if (h == null && hookFromConf == null) {
                add(
                        Severity.ERROR,
                        FindingCode.QEMU_HOOK_NOT_ENABLED,
                        "/proc (qemu-ga)",
                        "qemu-ga runs without -F (" + cmd.trim()
                                + ") and qemu-ga.conf sets no fsfreeze-hook: a host freeze runs no hook at all"
                                + (hookFromUnit != null
                                        ? "; " + where + " enables it: restart the agent"
                                        : "; run stillpoint-guest install --for qemu-ga"));
                return;
            }
            if (h != null) hook = h;
        }
        if (hook == null) {
            if (haveHooks) {
                add(
                        Severity.ERROR,
                        FindingCode.QEMU_HOOK_NOT_ENABLED,
                        "/etc/qemu/qemu-ga.conf",
                        "qemu-ga is installed but its fsfreeze hook is off (no -F in the unit or drop-ins, no fsfreeze-hook= in qemu-ga.conf): "
                                + "fsfreeze-hook.d scripts never run; run stillpoint-guest install --for qemu-ga");
            }
            return;
        }
        Path hp = path(hook);
        if (!Files.isRegularFile(hp) || !Files.isExecutable(hp)) {
            add(
                    Severity.ERROR,
                    FindingCode.QEMU_HOOK_MISSING,
                    hook,
                    "qemu-ga's hook is enabled but this file is missing or not executable: every freeze fails");
        }
    }

    private List<Path> dropIns() {
        List<Path> out = new ArrayList<>();
        for (String u : List.of(
                "/lib/systemd/system/qemu-guest-agent.service",
                "/usr/lib/systemd/system/qemu-guest-agent.service",
                "/etc/systemd/system/qemu-guest-agent.service")) {
            if (Files.isRegularFile(path(u))) out.add(path(u));
        }
        out.addAll(dev.stillpoint.guest.fs.Dirs.listSorted(path(QEMU_GA_DROPIN_DIR), false));
        out.removeIf(p -> !p.getFileName().toString().endsWith(".conf")
                && !p.getFileName().toString().endsWith(".service"));
        return out;
    }

    /** Hook path given by -F/--fsfreeze-hook in a command line, default path for a bare -F, else null. */
    static String hookArg(String cmd) {
        for (String a : cmd.replace('\0', ' ').split("\\s+")) {
            if (a.equals("-F") || a.equals("--fsfreeze-hook")) return "/etc/qemu/fsfreeze-hook";
            if (a.startsWith("--fsfreeze-hook=")) return a.substring("--fsfreeze-hook=".length());
            if (a.startsWith("-F")) return a.substring(2);
            if (a.startsWith("ExecStart=-F")) return a.substring("ExecStart=-F".length());
        }
        return null;
    }

    private String confHook() {
        Path conf = path("/etc/qemu/qemu-ga.conf");
        try {
            if (Files.isRegularFile(conf)) {
                boolean general = false;
                for (String line : Files.readAllLines(conf, StandardCharsets.UTF_8)) {
                    String t = line.trim();
                    if (t.startsWith("[")) general = t.equals("[general]");
                    else if (general && t.matches("fsfreeze-hook\\s*=.*")) {
                        String v = t.substring(t.indexOf('=') + 1).trim();
                        return v.isEmpty() || v.equals("true") ? "/etc/qemu/fsfreeze-hook" : v;
                    }
                }
            }
            Path sys = path("/etc/sysconfig/qemu-ga");
            if (Files.isRegularFile(sys)) {
                for (String line : Files.readAllLines(sys, StandardCharsets.UTF_8)) {
                    String t = line.trim();
                    if (t.startsWith("FSFREEZE_HOOK_PATHNAME=")) {
                        String v = t.substring(t.indexOf('=') + 1)
                                .replace("\"", "")
                                .trim();
                        if (!v.equals("/dev/null")) return v.isEmpty() ? "/etc/qemu-ga/fsfreeze-hook" : v;
                    }
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** Command lines of qemu-ga processes, from {@code proc/PID/cmdline} under the root. */
    private List<String> runningAgents() {
        List<String> out = new ArrayList<>();
        Path proc = path("/proc");
        if (!Files.isDirectory(proc)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(proc, "[0-9]*")) {
            for (Path d : ds) {
                try {
                    byte[] b = Files.readAllBytes(d.resolve("cmdline"));
                    String cmd = new String(b, StandardCharsets.UTF_8);
                    int z = cmd.indexOf('\0');
                    String argv0 = z < 0 ? cmd : cmd.substring(0, z);
                    if (argv0.equals("qemu-ga") || argv0.endsWith("/qemu-ga")) out.add(cmd.replace('\0', ' '));
                } catch (IOException e) {
                    // process went away
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    // ------------------------------------------------------------------ file checks

    /** Owner and write bits of the file and the directories above it (the runner's rule), executable, content. */
    private void common(String g, Path p, Severity notExecSeverity, String notExecReason) {
        int mode = FileChecks.mode(p);
        security(g, p, false);
        if (!Files.isExecutable(p))
            add(
                    notExecSeverity,
                    FindingCode.NOT_EXECUTABLE,
                    g,
                    "mode " + FileChecks.octal(mode) + ": " + notExecReason);
        content(g, p, Severity.WARNING, Files.isExecutable(p));
    }

    private void content(String g, Path p, Severity noInterpreter, boolean checkInterpreter) {
        byte[] head = FileChecks.head(p, 65536);
        if (head.length == 0) {
            add(Severity.WARNING, FindingCode.EMPTY_SCRIPT, g, "file is empty; it does nothing and always succeeds");
            return;
        }
        if (head.length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F') return;
        String s = new String(head, StandardCharsets.ISO_8859_1);
        if (s.contains("\r\n")) {
            add(
                    Severity.ERROR,
                    FindingCode.CRLF,
                    g,
                    "CRLF line endings (" + (s.indexOf("\r\n") < s.indexOf('\n') + 1 ? "line 1" : "file")
                            + "): '#!/bin/sh\\r' is a bad interpreter and shells choke on '\\r'; run dos2unix");
        }
        if (checkInterpreter && !s.startsWith("#!")) {
            add(
                    noInterpreter,
                    FindingCode.NO_INTERPRETER,
                    g,
                    "no interpreter line (#!); it only runs through a shell's ENOEXEC fallback");
        }
    }

    private void doubleDispatch(String g, Path p, String how) {
        String name = p.getFileName().toString();
        if (!SINGLE_PHASE_NAME.matcher(name).find()) return;
        String s = new String(FileChecks.head(p, 65536), StandardCharsets.ISO_8859_1);
        if (READS_ARGUMENT.matcher(s).find()) return;
        add(
                Severity.ERROR,
                FindingCode.DOUBLE_DISPATCH,
                g,
                "looks like a single-phase script ('" + name + "') but never reads its argument; " + how
                        + " to every script here, so it runs at freeze AND at thaw. Dispatch on $1, or use Nutanix-style pre/post files");
    }

    private void freezeFailSpelling(String g, Path p) {
        String s = new String(FileChecks.head(p, 65536), StandardCharsets.ISO_8859_1);
        if (s.contains("freezefail") && !s.contains("freezeFail")) {
            add(
                    Severity.WARNING,
                    FindingCode.FREEZEFAIL_LOWERCASE,
                    g,
                    "matches 'freezefail' (lower case, as tools.conf documents) but VMware sends 'freezeFail': the failure branch never runs");
        }
    }

    private void dirWritable(String g, Path dir) {
        HookSecurity.Violation v = HookSecurity.directory(root, dir, true);
        if (v != null) add(Severity.ERROR, FindingCode.valueOf(v.rule().name()), g, v.reason());
    }

    /**
     * {@link HookSecurity}'s findings for a file that runs as root: the runner refuses to run it at freeze.
     * {@code dirsOnly}: the file's own mode and owner are checked elsewhere (Nutanix, Azure: their stricter rules).
     */
    private void security(String g, Path p, boolean dirsOnly) {
        HookSettings s = cfg.hook(List.of(g));
        for (HookSecurity.Violation v : HookSecurity.check(root, p, s != null && s.acceptGroupWritable())) {
            boolean dir =
                    v.rule() == HookSecurity.Rule.DIR_WRITABLE || v.rule() == HookSecurity.Rule.DIR_OWNER_NOT_ROOT;
            if (dirsOnly && !dir) continue;
            add(
                    Severity.ERROR,
                    FindingCode.valueOf(v.rule().name()),
                    v.file().equals(p.toString()) || v.file().equals(g) ? g : v.file(),
                    v.reason() + (dir ? " (above " + g + ")" : "") + "; the runner refuses to run it");
        }
    }

    private static String leftover(Path p) {
        String n = p.getFileName().toString();
        for (String s : HookDiscovery.IGNORED_SUFFIXES) if (n.endsWith(s)) return s;
        if (n.endsWith(".swp") || n.endsWith(".ucf-dist") || n.endsWith(".ucf-old"))
            return n.substring(n.lastIndexOf('.'));
        return null;
    }

    private static String firstLine(Path p) {
        String s = new String(FileChecks.head(p, 512), StandardCharsets.ISO_8859_1);
        int i = s.indexOf('\n');
        return (i < 0 ? s : s.substring(0, i)).trim();
    }

    private static boolean onPath(String prog) {
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/bin", "/usr/local/sbin"))
            if (Files.isExecutable(Path.of(d, prog))) return true;
        return false;
    }

    private Path path(String guest) {
        return HookDiscovery.resolve(root, guest);
    }

    private void add(Severity s, FindingCode c, String file, String reason) {
        add(s, c, file, reason, null);
    }

    private void add(Severity s, FindingCode c, String file, String reason, Integer azure) {
        if (seen.add(s + " " + c + " " + file + " " + reason)) r.findings.add(new Finding(s, c, file, reason, azure));
    }
}
