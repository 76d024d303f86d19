package dev.stillpoint.guest.install;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.hooks.HookDiscovery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Wires the runner into an agent, and reverses exactly that. Every install records what it did in a manifest
 * ({@code var/lib/stillpoint/install/PLATFORM.json}: files created, files moved aside, files edited with their
 * original content), so uninstall restores the tree and a second install changes nothing but refreshes our files.
 * Files we write carry {@link HookDiscovery#WRAPPER_MARKER} so discovery never runs them as hooks. A platform file
 * that is in the way (a foreign qemu hook, a user's Nutanix scripts, a user's Azure JSON) is moved to
 * {@code NAME.stillpoint-orig}; discovery runs the moved Nutanix scripts and Azure config from there.
 */
public final class Installer {
    public static final String JAR = "/usr/local/lib/stillpoint/stillpoint-guest.jar";
    public static final String QEMU_HOOK = "/etc/qemu/fsfreeze-hook";
    public static final String QEMU_CONF = "/etc/qemu/qemu-ga.conf";
    public static final String QEMU_DROPIN = "/etc/systemd/system/qemu-guest-agent.service.d/stillpoint.conf";
    public static final List<String> QEMU_UNITS = List.of(
            "/etc/systemd/system/qemu-guest-agent.service",
            "/lib/systemd/system/qemu-guest-agent.service",
            "/usr/lib/systemd/system/qemu-guest-agent.service");
    public static final String DEFAULT_EXEC_START = "-/usr/sbin/qemu-ga";
    public static final String VMWARE_SCRIPT = HookDiscovery.VMWARE_DIR + "/zz-stillpoint-guest";
    public static final String AZURE_PRE = "/usr/local/lib/stillpoint/azure-pre.sh";
    public static final String AZURE_POST = "/usr/local/lib/stillpoint/azure-post.sh";
    /**
     * Environment of the thaw command run by the qemu-ga hook: "CLOCK NANOS", read by the hook script on its first
     * line, which qemu-ga runs right after its FITHAW (see {@link #hookClock}).
     */
    public static final String THAW_HOOK_CLOCK = "STILLPOINT_THAW_HOOK_CLOCK";

    static final String MANIFEST_DIR = "var/lib/stillpoint/install";

    private final Path root;
    private final Path jar;
    private final List<String> actions = new ArrayList<>();
    private Map<String, Object> manifest;

    /** @param jar the self-contained runner jar to copy (null for uninstall) */
    public Installer(Path root, Path jar) {
        this.root = root;
        this.jar = jar;
    }

    /** What the last install/uninstall did, one line per action (the CLI prints them). */
    public List<String> actions() {
        return actions;
    }

    public List<String> install(Platform p) {
        loadManifest(p);
        if (jar == null || !Files.isRegularFile(jar)) {
            throw new GuestException(
                    ErrorCode.INSTALL_FAILED,
                    "runner jar " + jar + " not found; pass --jar PATH to the self-contained stillpoint-guest.jar");
        }
        try {
            boolean newJar = copyJar();
            cdsArchive(newJar);
            switch (p) {
                case QEMU_GA:
                    qemu();
                    break;
                case VMWARE:
                    vmware();
                    break;
                case NUTANIX:
                    nutanix();
                    break;
                case AZURE:
                    azure();
                    break;
                default:
                    throw new IllegalStateException();
            }
            saveManifest(p);
        } catch (IOException e) {
            throw new GuestException(ErrorCode.INSTALL_FAILED, "install --for " + p.id() + ": " + e.getMessage(), e);
        }
        return actions;
    }

    // ------------------------------------------------------------------ platforms

    private void qemu() throws IOException {
        writeOwned(
                QEMU_HOOK,
                wrapper(
                        "qemu-ga fsfreeze hook",
                        "qemu-ga freezes the filesystems itself (FIFREEZE); this runs the hooks only.",
                        "  freeze) \"$JAVA\" $OPTS -jar \"$JAR\" freeze --no-fsfreeze $STILLPOINT_GUEST_ARGS || exit $?\n"
                                + "    clock; [ -f \"$RUN/freeze-returned\" ] && echo \"$CLOCK\" >>\"$RUN/freeze-returned\"; exit 0 ;;\n"
                                + "  thaw) " + THAW_HOOK_CLOCK
                                + "=\"$CLOCK\" exec \"$JAVA\" $OPTS -jar \"$JAR\" thaw $STILLPOINT_GUEST_ARGS ;;\n",
                        hookClock()),
                "rwxr-xr-x");
        String execStart = unitExecStart();
        if (!execStart.matches(".*\\s-F.*|.*--fsfreeze-hook.*")) execStart = execStart + " -F" + QEMU_HOOK;
        writeOwned(
                QEMU_DROPIN,
                "# " + HookDiscovery.WRAPPER_MARKER + ": enables qemu-ga's fsfreeze hook\n"
                        + "# (written by stillpoint-guest install --for qemu-ga; removed by uninstall)\n"
                        + "[Service]\nExecStart=\nExecStart=" + execStart + "\n",
                "rw-r--r--");
        editQemuConf();
        if (!actions.isEmpty())
            actions.add(
                    "restart the agent so it runs with its hook: systemctl daemon-reload && systemctl restart qemu-guest-agent");
    }

    /** ExecStart of the qemu-guest-agent unit in the tree (first match), without a previous -F; Debian's default. */
    private String unitExecStart() throws IOException {
        for (String u : QEMU_UNITS) {
            Path f = path(u);
            if (!Files.isRegularFile(f)) continue;
            String last = null;
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                String t = line.trim();
                if (t.startsWith("ExecStart=") && t.length() > "ExecStart=".length())
                    last = t.substring("ExecStart=".length());
            }
            if (last != null) return last;
        }
        return DEFAULT_EXEC_START;
    }

    private void editQemuConf() throws IOException {
        Path f = path(QEMU_CONF);
        String line = "fsfreeze-hook=" + QEMU_HOOK;
        if (!Files.exists(f)) {
            writeOwned(
                    QEMU_CONF,
                    "# " + HookDiscovery.WRAPPER_MARKER
                            + " (created by stillpoint-guest install --for qemu-ga)\n[general]\n" + line + "\n",
                    "rw-r--r--");
            return;
        }
        if (owned(QEMU_CONF)) return;
        String original = Files.readString(f, StandardCharsets.UTF_8);
        String edited;
        Pattern existing = Pattern.compile("(?m)^\\s*fsfreeze-hook\\s*=.*$");
        Matcher m = existing.matcher(original);
        if (m.find()) {
            edited = m.replaceFirst(Matcher.quoteReplacement(line));
        } else if (Pattern.compile("(?m)^\\s*\\[general\\]\\s*$")
                .matcher(original)
                .find()) {
            edited = original.replaceFirst("(?m)^(\\s*\\[general\\]\\s*)$", "$1\n" + Matcher.quoteReplacement(line));
        } else {
            edited = original + (original.endsWith("\n") || original.isEmpty() ? "" : "\n") + "[general]\n" + line
                    + "\n";
        }
        if (edited.equals(original)) return;
        edits().putIfAbsent(QEMU_CONF, original);
        Files.writeString(f, edited, StandardCharsets.UTF_8);
        actions.add("edited " + QEMU_CONF + ": " + line);
    }

    private void vmware() throws IOException {
        writeOwned(
                VMWARE_SCRIPT,
                wrapper(
                        "VMware Tools backup script",
                        "VMware Tools runs backupScripts.d itself and freezes the filesystems; this runs the other conventions' hooks\n"
                                + "# (--skip-group vmware: never runs this directory's scripts a second time).",
                        "  freeze) exec \"$JAVA\" $OPTS -jar \"$JAR\" freeze --no-fsfreeze --skip-group vmware $STILLPOINT_GUEST_ARGS ;;\n"
                                + "  freezeFail|freezefail) exec \"$JAVA\" $OPTS -jar \"$JAR\" freeze-fail --skip-group vmware $STILLPOINT_GUEST_ARGS ;;\n"
                                + "  thaw) exec \"$JAVA\" $OPTS -jar \"$JAR\" thaw --skip-group vmware $STILLPOINT_GUEST_ARGS ;;\n"),
                "rwx------");
    }

    private void nutanix() throws IOException {
        moveAside(HookDiscovery.NUTANIX_FREEZE);
        moveAside(HookDiscovery.NUTANIX_THAW);
        writeOwned(
                HookDiscovery.NUTANIX_FREEZE, simpleWrapper("Nutanix pre_freeze", "freeze --no-fsfreeze"), "rwx------");
        writeOwned(HookDiscovery.NUTANIX_THAW, simpleWrapper("Nutanix post_thaw", "thaw"), "rwx------");
    }

    private void azure() throws IOException {
        String json = HookDiscovery.AZURE_CONFIG;
        if (Files.exists(path(json))
                && !owned(json)
                && !Files.readString(path(json)).contains(AZURE_PRE)) moveAside(json);
        writeOwned(AZURE_PRE, simpleWrapper("Azure pre script", "freeze --no-fsfreeze"), "rwx------");
        writeOwned(AZURE_POST, simpleWrapper("Azure post script", "thaw"), "rwx------");
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("pluginName", "ScriptRunner");
        cfg.put("preScriptLocation", AZURE_PRE);
        cfg.put("postScriptLocation", AZURE_POST);
        cfg.put("preScriptParams", List.of());
        cfg.put("postScriptParams", List.of());
        cfg.put("preScriptNoOfRetries", 0);
        cfg.put("postScriptNoOfRetries", 0);
        cfg.put("timeoutInSeconds", 1800);
        cfg.put("continueBackupOnFailure", true);
        cfg.put("fsFreezeEnabled", true);
        cfg.put("ScriptsExecutionPollTimeSeconds", 1);
        writeOwned(json, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(cfg) + "\n", "rw-------");
    }

    private static String wrapper(String what, String note, String cases) {
        return wrapper(what, note, cases, "");
    }

    private static String wrapper(String what, String note, String cases, String preamble) {
        return "#!/bin/sh\n"
                + "# " + HookDiscovery.WRAPPER_MARKER + ": " + what + " -> stillpoint-guest\n"
                + "# " + note + "\n"
                + "# Written by stillpoint-guest install; removed by stillpoint-guest uninstall.\n"
                + preamble
                + "# STILLPOINT_JAVA, STILLPOINT_GUEST_JAR and STILLPOINT_GUEST_ARGS (e.g. --root DIR) override the defaults.\n"
                + "JAR=${STILLPOINT_GUEST_JAR:-" + JAR + "}\n"
                + "JAVA=${STILLPOINT_JAVA:-java}\n"
                + opts()
                + "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexport PATH\n"
                + "case \"$1\" in\n" + cases
                + "  *) echo \"stillpoint-guest: unknown argument '$1'\" >&2; exit 1 ;;\nesac\n";
    }

    private static String simpleWrapper(String what, String command) {
        return "#!/bin/sh\n"
                + "# " + HookDiscovery.WRAPPER_MARKER + ": " + what + " -> stillpoint-guest " + command + "\n"
                + "# Written by stillpoint-guest install; removed by stillpoint-guest uninstall.\n"
                + "JAR=${STILLPOINT_GUEST_JAR:-" + JAR + "}\n"
                + opts()
                + "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexport PATH\n"
                + "exec \"${STILLPOINT_JAVA:-java}\" $OPTS -jar \"$JAR\" " + command + " $STILLPOINT_GUEST_ARGS\n";
    }

    /**
     * The qemu-ga hook's clock (the I/O-frozen window, issue 17): qemu-ga runs the hook with "freeze", waits for it,
     * then does FIFREEZE; at thaw it does FITHAW, then runs the hook with "thaw". The script reads the clock without
     * starting a process, on its first line at thaw ({@code CLOCK}, handed to the thaw command in
     * {@link #THAW_HOOK_CLOCK}) and after the freeze command exited (appended to its
     * {@code freeze-returned} file under {@code RUN}), so the window between them holds no JVM: CLOCK_MONOTONIC
     * ({@code now at N nsecs}, line 3 of /proc/timer_list, root only), else /proc/uptime (10 ms steps).
     * {@code RUN} is run/stillpoint under the {@code --root} of {@code STILLPOINT_GUEST_ARGS} (tests), else /.
     */
    static String hookClock() {
        return "clock() {\n"
                + "  CLOCK=; { read -r _ && read -r _ && read -r _ _ CLOCK _; } 2>/dev/null </proc/timer_list\n"
                + "  case \"$CLOCK\" in ''|*[!0-9]*) read -r CLOCK _ </proc/uptime\n"
                + "    CLOCK=\"uptime ${CLOCK%.*}${CLOCK#*.}0000000\" ;; *) CLOCK=\"mono $CLOCK\" ;; esac\n"
                + "}\n"
                + "[ \"$1\" = thaw ] && clock\n"
                + "ROOT=; case \" $STILLPOINT_GUEST_ARGS \" in *\" --root \"*) ROOT=${STILLPOINT_GUEST_ARGS#*--root }; ROOT=${ROOT%% *} ;; esac\n"
                + "RUN=\"$ROOT/run/stillpoint\"\n";
    }

    /** OPTS= the runner's JVM flags, plus the CDS archive beside $JAR when it is there (see {@link CdsArchive}). */
    static String opts() {
        return "OPTS=\"" + String.join(" ", CdsArchive.JVM_OPTS) + "\"\n"
                + "CDS=\"${JAR%.jar}.jsa\"\n"
                + "[ -r \"$CDS\" ] && OPTS=\"$OPTS -XX:SharedArchiveFile=$CDS\"\n";
    }

    // ------------------------------------------------------------------ uninstall

    @SuppressWarnings("unchecked")
    public List<String> uninstall(Platform p) {
        Path mf = manifestFile(p);
        if (!Files.exists(mf)) {
            actions.add("nothing to do: " + p.id() + " is not installed (no " + MANIFEST_DIR + "/" + p.id() + ".json)");
            return actions;
        }
        loadManifest(p);
        try {
            for (Map.Entry<String, Object> e : edits().entrySet()) {
                Files.writeString(path(e.getKey()), (String) e.getValue(), StandardCharsets.UTF_8);
                actions.add("restored " + e.getKey());
            }
            for (Object o : (List<Object>) manifest.get("created")) {
                String g = (String) o;
                boolean shared = g.equals(JAR) || g.equals(CdsArchive.ARCHIVE);
                if (Files.exists(path(g)) && (shared || owned(g))) {
                    if (shared && otherInstalls(p)) continue;
                    Files.delete(path(g));
                    actions.add("removed " + g);
                }
            }
            for (Map.Entry<String, Object> e : ((Map<String, Object>) manifest.get("movedAside")).entrySet()) {
                Files.move(path((String) e.getValue()), path(e.getKey()), StandardCopyOption.REPLACE_EXISTING);
                actions.add("restored " + e.getKey() + " from " + e.getValue());
            }
            deleteEmptyDirs(QEMU_DROPIN, "/usr/local/lib/stillpoint/x");
            Files.delete(mf);
        } catch (IOException e) {
            throw new GuestException(ErrorCode.INSTALL_FAILED, "uninstall --for " + p.id() + ": " + e.getMessage(), e);
        }
        if (p == Platform.QEMU_GA)
            actions.add("restart the agent: systemctl daemon-reload && systemctl restart qemu-guest-agent");
        return actions;
    }

    private boolean otherInstalls(Platform self) {
        for (Platform o : Platform.values()) if (o != self && Files.exists(manifestFile(o))) return true;
        return false;
    }

    private void deleteEmptyDirs(String... guestFiles) throws IOException {
        for (String g : guestFiles) {
            Path d = path(g).getParent();
            if (Files.isDirectory(d)) {
                try (var s = Files.list(d)) {
                    if (s.findAny().isEmpty()) Files.delete(d);
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** @return whether the jar changed */
    private boolean copyJar() throws IOException {
        Path dst = path(JAR);
        Files.createDirectories(dst.getParent());
        boolean same = Files.exists(dst) && Files.mismatch(dst, jar) == -1;
        if (!same) {
            Files.copy(jar, dst, StandardCopyOption.REPLACE_EXISTING);
            actions.add("copied " + jar + " to " + JAR);
        }
        finish(JAR, dst, "rw-r--r--");
        return !same;
    }

    /**
     * (Re)creates the class-data-sharing archive of the installed jar when the jar changed or the archive is
     * missing or older than the jar; see {@link CdsArchive}. A failure is reported, never fatal.
     */
    private void cdsArchive(boolean newJar) throws IOException {
        Path a = path(CdsArchive.ARCHIVE);
        Path j = path(JAR);
        boolean fresh = !newJar
                && Files.isRegularFile(a)
                && Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(j)) >= 0;
        if (!fresh) {
            String why = CdsArchive.create(Path.of(System.getProperty("java.home")), j, a);
            if (why == null) {
                actions.add("wrote " + CdsArchive.ARCHIVE + " (class-data-sharing archive: faster runner startup)");
            } else {
                Files.deleteIfExists(a);
                if (newJar) actions.add("no class-data-sharing archive (" + why + "); the runner starts without it");
            }
        }
        if (Files.isRegularFile(a)) finish(CdsArchive.ARCHIVE, a, "rw-r--r--");
    }

    private void writeOwned(String guest, String content, String perms) throws IOException {
        Path f = path(guest);
        if (Files.exists(f) && !owned(guest) && !guest.equals(HookDiscovery.AZURE_CONFIG)) moveAside(guest);
        Files.createDirectories(f.getParent());
        boolean same =
                Files.exists(f) && Files.readString(f, StandardCharsets.UTF_8).equals(content);
        if (!same) {
            Files.writeString(f, content, StandardCharsets.UTF_8);
            actions.add("wrote " + guest + " (" + perms + ")");
        }
        finish(guest, f, perms);
    }

    @SuppressWarnings("unchecked")
    private void finish(String guest, Path f, String perms) throws IOException {
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        if ("root".equals(System.getProperty("user.name"))) {
            Files.setAttribute(f, "unix:uid", 0);
            Files.setAttribute(f, "unix:gid", 0);
        }
        List<Object> created = (List<Object>) manifest.get("created");
        if (!created.contains(guest) && !edits().containsKey(guest)) created.add(guest);
    }

    @SuppressWarnings("unchecked")
    private void moveAside(String guest) throws IOException {
        Path f = path(guest);
        if (!Files.exists(f) || owned(guest)) return;
        String aside = guest + HookDiscovery.DISPLACED_SUFFIX;
        Files.move(f, path(aside), StandardCopyOption.REPLACE_EXISTING);
        ((Map<String, Object>) manifest.get("movedAside")).put(guest, aside);
        actions.add("moved " + guest + " aside to " + aside + " (restored by uninstall)");
    }

    private boolean owned(String guest) {
        Path f = path(guest);
        return HookDiscovery.isWrapper(f)
                || (guest.equals(HookDiscovery.AZURE_CONFIG)
                        && Files.isRegularFile(f)
                        && new String(dev.stillpoint.guest.hooks.FileChecks.head(f, 65536), StandardCharsets.UTF_8)
                                .contains(AZURE_PRE));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> edits() {
        return (Map<String, Object>) manifest.get("edited");
    }

    private Path path(String guest) {
        return HookDiscovery.resolve(root, guest);
    }

    private Path manifestFile(Platform p) {
        return root.resolve(MANIFEST_DIR).resolve(p.id() + ".json");
    }

    private void loadManifest(Platform p) {
        Path f = manifestFile(p);
        try {
            manifest = Files.exists(f)
                    ? new LinkedHashMap<>(JSON.std.mapFrom(Files.readString(f)))
                    : new LinkedHashMap<>();
        } catch (IOException e) {
            throw new GuestException(
                    ErrorCode.INSTALL_FAILED, f + ": unreadable install manifest: " + e.getMessage(), e);
        }
        manifest.putIfAbsent("platform", p.id());
        manifest.putIfAbsent("created", new ArrayList<>());
        manifest.putIfAbsent("movedAside", new LinkedHashMap<>());
        manifest.putIfAbsent("edited", new LinkedHashMap<>());
    }

    private void saveManifest(Platform p) throws IOException {
        Path f = manifestFile(p);
        Files.createDirectories(f.getParent());
        Files.writeString(
                f, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(manifest) + "\n", StandardCharsets.UTF_8);
    }

    /** The jar this code runs from, when it is self-contained (holds picocli); else null. */
    public static Path ownJar() {
        try {
            Path p = Path.of(Installer.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            if (!Files.isRegularFile(p)) return null;
            try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(p.toFile())) {
                return z.getEntry("picocli/CommandLine.class") != null ? p : null;
            }
        } catch (Exception e) {
            return null;
        }
    }
}
