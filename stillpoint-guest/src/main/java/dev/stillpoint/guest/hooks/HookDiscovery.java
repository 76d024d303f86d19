package dev.stillpoint.guest.hooks;

import dev.stillpoint.guest.HookGroup;
import dev.stillpoint.guest.config.GuestConfig;
import dev.stillpoint.guest.config.HookSettings;
import dev.stillpoint.guest.fs.Dirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the hooks of every convention below a root, in freeze order (groups in {@link HookGroup} order,
 * each group in its platform's order). Files that carry {@link #WRAPPER_MARKER} are Stillpoint's own
 * installed wrappers and are never run as hooks; a platform file displaced by {@code install} is found
 * under its {@link #DISPLACED_SUFFIX} name instead.
 */
public final class HookDiscovery {
    public static final String WRAPPER_MARKER = "stillpoint-guest-wrapper";
    public static final String DISPLACED_SUFFIX = ".stillpoint-orig";
    public static final String VMWARE_DIR = "/etc/vmware-tools/backupScripts.d";
    public static final String VMWARE_LEGACY_FREEZE = "/usr/sbin/pre-freeze-script";
    public static final String VMWARE_LEGACY_THAW = "/usr/sbin/post-thaw-script";
    public static final List<String> QEMU_DIRS = List.of("/etc/qemu/fsfreeze-hook.d", "/etc/qemu-ga/fsfreeze-hook.d");
    public static final String NUTANIX_FREEZE = "/usr/local/sbin/pre_freeze";
    public static final String NUTANIX_THAW = "/usr/local/sbin/post_thaw";
    public static final String AZURE_CONFIG = "/" + AzurePluginConfig.PATH;
    public static final String STILLPOINT_DIR = "/etc/stillpoint/hooks.d";
    /** Suffixes the stock qemu fsfreeze-hook skips (package-manager leftovers and samples). */
    public static final List<String> IGNORED_SUFFIXES = List.of(
            "~",
            ".bak",
            ".orig",
            ".rpmnew",
            ".rpmorig",
            ".rpmsave",
            ".sample",
            ".dpkg-old",
            ".dpkg-new",
            ".dpkg-tmp",
            ".dpkg-dist",
            ".dpkg-bak",
            ".dpkg-backup",
            ".dpkg-remove",
            DISPLACED_SUFFIX);

    /** What discovery found: hooks in freeze order, files it skipped and why, the Azure config if present. */
    public static final class Result {
        public final List<Hook> hooks = new ArrayList<>();
        public final List<String> skipped = new ArrayList<>();
        private AzurePluginConfig azure;

        /** The Azure plugin config, or null when Azure is not configured. */
        public AzurePluginConfig azure() {
            return azure;
        }
    }

    /** Provider of built-in quiescer hooks (Stillpoint group, after hooks.d). */
    public interface BuiltIns {
        List<Hook> hooks(Path root, GuestConfig config);
    }

    private final Path root;
    private final GuestConfig config;
    private final Set<HookGroup> skip;
    private final BuiltIns builtIns;

    public HookDiscovery(Path root, GuestConfig config, Set<HookGroup> skip, BuiltIns builtIns) {
        this.root = root;
        this.config = config;
        this.skip = skip;
        this.builtIns = builtIns;
    }

    public Result discover() {
        Result r = new Result();
        for (HookGroup g : HookGroup.values()) {
            if (skip.contains(g)) {
                r.skipped.add(g.id() + ": group skipped (--skip-group)");
                continue;
            }
            if (!config.enabled(g)) {
                r.skipped.add(g.id() + ": group disabled in guest.conf");
                continue;
            }
            switch (g) {
                case VMWARE:
                    vmware(r);
                    break;
                case QEMU:
                    qemu(r);
                    break;
                case NUTANIX:
                    nutanix(r);
                    break;
                case AZURE:
                    azure(r);
                    break;
                case STILLPOINT:
                    stillpoint(r);
                    break;
                default:
                    throw new IllegalStateException();
            }
        }
        return r;
    }

    public static final String VMWARE_TOOLS_CONF = "/etc/vmware-tools/tools.conf";

    /** {@code [vmbackup]} key of tools.conf (GKeyFile: {@code key = value}, # comments), or null. */
    static String toolsConf(Path root, String key) {
        Path f = resolve(root, VMWARE_TOOLS_CONF);
        if (!Files.isRegularFile(f)) return null;
        String value = null;
        try {
            boolean section = false;
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                String t = line.trim();
                if (t.startsWith("#") || t.startsWith(";") || t.isEmpty()) continue;
                if (t.startsWith("[")) {
                    section = t.equals("[vmbackup]");
                    continue;
                }
                int eq = t.indexOf('=');
                if (section && eq > 0 && t.substring(0, eq).trim().equals(key))
                    value = t.substring(eq + 1).trim();
            }
        } catch (IOException e) {
            return null;
        }
        return value;
    }

    private void vmware(Result r) {
        String exec = toolsConf(root, "execScripts");
        if (exec != null && (exec.equalsIgnoreCase("false") || exec.equals("0"))) {
            r.skipped.add("vmware: " + VMWARE_TOOLS_CONF + " [vmbackup] execScripts=" + exec
                    + ": VMware runs no scripts, neither does Stillpoint");
            return;
        }
        Path pre = resolve(root, VMWARE_LEGACY_FREEZE);
        Path post = resolve(root, VMWARE_LEGACY_THAW);
        boolean preOk = Files.exists(pre) && !isWrapper(pre);
        boolean postOk = Files.exists(post) && !isWrapper(post);
        if (preOk || postOk) {
            r.hooks.add(hook(
                    HookGroup.VMWARE,
                    preOk ? VMWARE_LEGACY_FREEZE : VMWARE_LEGACY_THAW,
                    preOk ? vmwareCmd(pre, "freeze") : null,
                    postOk ? vmwareCmd(post, "thaw") : null,
                    postOk ? vmwareCmd(post, "freezeFail") : null,
                    List.of(VMWARE_LEGACY_FREEZE, VMWARE_LEGACY_THAW),
                    0,
                    existing(pre, post)));
        }
        for (Path p : Dirs.listSorted(resolve(root, VMWARE_DIR), true)) {
            String guest = VMWARE_DIR + "/" + p.getFileName();
            if (!Files.isRegularFile(p)) {
                r.skipped.add(guest + ": not a regular file (VMware ignores it)");
                continue;
            }
            if (isWrapper(p)) {
                r.skipped.add(guest + ": Stillpoint's own wrapper");
                continue;
            }
            r.hooks.add(hook(
                    HookGroup.VMWARE,
                    guest,
                    vmwareCmd(p, "freeze"),
                    vmwareCmd(p, "thaw"),
                    vmwareCmd(p, "freezeFail"),
                    List.of(guest),
                    0,
                    List.of(p)));
        }
    }

    private List<String> vmwareCmd(Path p, String op) {
        List<String> cmd = new ArrayList<>(shellExec(p));
        cmd.add(op);
        String arg = config.vmwareScriptArg();
        if (arg.isEmpty()) {
            String fromTools = toolsConf(root, "scriptArg");
            if (fromTools != null) arg = fromTools;
        }
        if (!arg.isEmpty()) cmd.add(arg);
        return cmd;
    }

    private void qemu(Result r) {
        Set<Path> seen = new LinkedHashSet<>();
        for (String dir : QEMU_DIRS) {
            Path d = resolve(root, dir);
            if (!Files.isDirectory(d)) continue;
            try {
                if (!seen.add(d.toRealPath())) continue;
            } catch (IOException e) {
                continue;
            }
            for (Path p : Dirs.listSorted(d, false)) {
                String guest = dir + "/" + p.getFileName();
                String why = unrunnable(p);
                if (why != null) {
                    r.skipped.add(guest + ": " + why + " (the stock qemu hook skips it too)");
                    continue;
                }
                r.hooks.add(globHook(HookGroup.QEMU, guest, p));
            }
        }
    }

    private void nutanix(Result r) {
        Path pre = nutanixFile(NUTANIX_FREEZE);
        Path post = nutanixFile(NUTANIX_THAW);
        if (pre == null && post == null) return;
        List<String> thaw = post == null ? null : cmd(post);
        r.hooks.add(hook(
                HookGroup.NUTANIX,
                pre != null ? NUTANIX_FREEZE : NUTANIX_THAW,
                pre == null ? null : cmd(pre),
                thaw,
                thaw,
                List.of(NUTANIX_FREEZE, NUTANIX_THAW),
                0,
                existing(pre, post)));
    }

    private Path nutanixFile(String guest) {
        Path p = resolve(root, guest);
        if (Files.exists(p) && isWrapper(p)) p = resolve(root, guest + DISPLACED_SUFFIX);
        return Files.exists(p) ? p : null;
    }

    private void azure(Result r) {
        String guestJson = AZURE_CONFIG;
        Path json = resolve(root, guestJson);
        if (Files.exists(json) && isWrapperJson(json)) guestJson = AZURE_CONFIG + DISPLACED_SUFFIX;
        AzurePluginConfig az = AzurePluginConfig.load(root, guestJson);
        r.azure = az;
        if (az == null) return;
        if (az.error() != null) {
            r.skipped.add(guestJson + ": Azure pre-check failed, no Azure script runs: " + az.error());
            return;
        }
        List<String> pre =
                new ArrayList<>(List.of("sh", resolve(root, az.preScript()).toString()));
        pre.addAll(az.preParams());
        List<String> post =
                new ArrayList<>(List.of("sh", resolve(root, az.postScript()).toString()));
        post.addAll(az.postParams());
        List<String> paths = List.of(az.preScript(), az.postScript(), guestJson);
        HookSettings s = config.hook(paths);
        int timeout = s != null && s.timeoutSeconds() != null ? s.timeoutSeconds() : az.timeoutSeconds();
        Set<Integer> codes =
                s != null && s.successExitCodes() != null ? s.successExitCodes() : config.successExitCodes();
        boolean cont =
                s != null && s.optional() != null ? s.optional() : az.continueBackupOnFailure() && az.fsFreezeEnabled();
        int preRetries = s != null && s.retries() != null ? s.retries() : az.preRetries();
        int postRetries = s != null && s.retries() != null ? s.retries() : az.postRetries();
        r.hooks.add(new Hook(
                        HookGroup.AZURE,
                        az.preScript(),
                        pre,
                        post,
                        post,
                        timeout,
                        codes,
                        preRetries,
                        postRetries,
                        cont,
                        true)
                .withFiles(
                        hostPaths(existing(resolve(root, az.preScript()), resolve(root, az.postScript()))),
                        s != null && s.acceptGroupWritable()));
    }

    private void stillpoint(Result r) {
        for (Path p : Dirs.listSorted(resolve(root, STILLPOINT_DIR), false)) {
            String guest = STILLPOINT_DIR + "/" + p.getFileName();
            String why = unrunnable(p);
            if (why != null) {
                r.skipped.add(guest + ": " + why);
                continue;
            }
            r.hooks.add(globHook(HookGroup.STILLPOINT, guest, p));
        }
        if (builtIns != null) r.hooks.addAll(builtIns.hooks(root, config));
    }

    /** Why an entry of a glob-ordered directory is not run, or null when it is run. */
    private static String unrunnable(Path p) {
        String n = p.getFileName().toString();
        for (String s : IGNORED_SUFFIXES) if (n.endsWith(s)) return "ignored suffix " + s;
        if (!Files.isRegularFile(p)) return "not a regular file";
        if (!Files.isExecutable(p)) return "not executable";
        if (isWrapper(p)) return "Stillpoint's own wrapper";
        return null;
    }

    private Hook hook(
            HookGroup g,
            String name,
            List<String> freeze,
            List<String> thaw,
            List<String> freezeFail,
            List<String> paths,
            int defaultRetries,
            List<Path> files) {
        HookSettings s = config.hook(paths);
        int timeout = s != null && s.timeoutSeconds() != null ? s.timeoutSeconds() : config.timeoutSeconds();
        Set<Integer> codes =
                s != null && s.successExitCodes() != null ? s.successExitCodes() : config.successExitCodes();
        boolean optional = s != null && s.optional() != null && s.optional();
        int retries = s != null && s.retries() != null ? s.retries() : defaultRetries;
        return new Hook(g, name, freeze, thaw, freezeFail, timeout, codes, retries, retries, optional, false)
                .withFiles(hostPaths(files), s != null && s.acceptGroupWritable());
    }

    private static List<String> hostPaths(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) out.add(f.toString());
        return out;
    }

    /** A file of a glob-ordered directory: {@code freeze} and {@code thaw} (also its rollback) as its argument. */
    private Hook globHook(HookGroup g, String guest, Path p) {
        return hook(g, guest, cmd(p, "freeze"), cmd(p, "thaw"), cmd(p, "thaw"), List.of(guest), 0, List.of(p));
    }

    /** The paths among {@code ps} (null allowed) that exist. */
    private static List<Path> existing(Path... ps) {
        List<Path> out = new ArrayList<>();
        for (Path p : ps) if (p != null && Files.exists(p)) out.add(p);
        return out;
    }

    /**
     * argv that runs a file the way the platforms do ({@code bash -c '"path" op'} for VMware, {@code "$file" "$@"}
     * from sh for qemu): a file without an interpreter line still runs as a shell script.
     */
    static List<String> shellExec(Path p) {
        String sh = Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
        return new ArrayList<>(Arrays.asList(sh, "-c", "\"$0\" \"$@\"", p.toString()));
    }

    static List<String> cmd(Path p, String... args) {
        List<String> c = shellExec(p);
        c.addAll(Arrays.asList(args));
        return c;
    }

    public static Path resolve(Path root, String guestPath) {
        String rel = guestPath;
        while (rel.startsWith("/")) rel = rel.substring(1);
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    /** Whether a file is one of Stillpoint's installed wrappers (marker in its first 4 KiB). */
    public static boolean isWrapper(Path p) {
        if (!Files.isRegularFile(p)) return false;
        return new String(FileChecks.head(p, 4096), StandardCharsets.ISO_8859_1).contains(WRAPPER_MARKER);
    }

    private static boolean isWrapperJson(Path p) {
        return new String(FileChecks.head(p, 65536), StandardCharsets.ISO_8859_1)
                .contains("/usr/local/lib/stillpoint/azure-");
    }
}
