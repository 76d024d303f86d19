package dev.stillpoint.guest.install;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.config.GuestConfig;
import dev.stillpoint.guest.hooks.FileChecks;
import dev.stillpoint.guest.hooks.Hook;
import dev.stillpoint.guest.hooks.HookDiscovery;
import dev.stillpoint.guest.run.GuestTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallerTest {
    @TempDir
    Path tmp;

    Path root;
    Path jar;
    GuestTree t;

    @BeforeEach
    void setUp() throws Exception {
        root = tmp.resolve("root");
        Files.createDirectories(root);
        t = new GuestTree(root);
        jar = tmp.resolve("stillpoint-guest.jar");
        Files.write(jar, new byte[] {'P', 'K', 3, 4});
    }

    /** path -> mode + content, for every file below root. */
    Map<String, String> snapshot() throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                if (Files.isDirectory(p)) m.put(rel + "/", "dir");
                else
                    m.put(
                            rel,
                            FileChecks.octal(FileChecks.mode(p)) + " "
                                    + Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        return m;
    }

    @Test
    void qemuGaInstallWritesHookDropInAndConfIsIdempotentAndUninstallRestoresExactly() throws Exception {
        t.write(
                "/lib/systemd/system/qemu-guest-agent.service",
                "[Service]\nExecStart=-/usr/sbin/qemu-ga\nRestart=always\n",
                "rw-r--r--");
        t.write("/etc/qemu/fsfreeze-hook", "#!/bin/sh\n# stock hook\nexit 0\n", "rwxr-xr-x");
        t.script("/etc/qemu/fsfreeze-hook.d/10-db", "db", 0);
        Map<String, String> before = snapshot();

        List<String> actions = new Installer(root, jar).install(Platform.QEMU_GA);
        assertThat(actions).anyMatch(a -> a.contains("moved /etc/qemu/fsfreeze-hook aside"));
        Path hook = t.path(Installer.QEMU_HOOK);
        assertThat(FileChecks.mode(hook)).isEqualTo(0755);
        assertThat(FileChecks.uid(hook)).isZero();
        assertThat(Files.readString(hook))
                .contains(
                        "freeze) \"$JAVA\" $OPTS -jar \"$JAR\" freeze --no-fsfreeze $STILLPOINT_GUEST_ARGS || exit $?")
                .contains("thaw) STILLPOINT_THAW_HOOK_CLOCK=\"$CLOCK\" exec")
                .contains(HookDiscovery.WRAPPER_MARKER);
        assertThat(Files.readString(t.path(Installer.QEMU_DROPIN)))
                .contains("ExecStart=\nExecStart=-/usr/sbin/qemu-ga -F/etc/qemu/fsfreeze-hook\n");
        assertThat(Files.readString(t.path(Installer.QEMU_CONF)))
                .contains("[general]\nfsfreeze-hook=/etc/qemu/fsfreeze-hook\n");
        assertThat(FileChecks.mode(t.path(Installer.JAR))).isEqualTo(0644);
        assertThat(Files.readString(t.path("/etc/qemu/fsfreeze-hook.stillpoint-orig")))
                .contains("stock hook");
        // the QEMU group still runs fsfreeze-hook.d; the wrapper itself is never a hook
        List<Hook> hooks = new HookDiscovery(
                        root, GuestConfig.defaults(), EnumSet.noneOf(dev.stillpoint.guest.HookGroup.class), null)
                .discover()
                .hooks;
        assertThat(hooks).extracting(Hook::id).containsExactly("qemu:/etc/qemu/fsfreeze-hook.d/10-db");

        Map<String, String> installed = snapshot();
        assertThat(new Installer(root, jar).install(Platform.QEMU_GA)).isEmpty();
        assertThat(snapshot()).isEqualTo(installed);

        new Installer(root, null).uninstall(Platform.QEMU_GA);
        assertThat(snapshot()).isEqualTo(withoutNewDirs(before, snapshot()));
    }

    /** Directories install created above existing ones may stay (var/lib/stillpoint/install); files must match exactly. */
    static Map<String, String> withoutNewDirs(Map<String, String> before, Map<String, String> after) {
        Map<String, String> m = new TreeMap<>(before);
        after.forEach((k, v) -> {
            if (k.endsWith("/") && !before.containsKey(k)) m.put(k, v);
        });
        return m;
    }

    @Test
    void wrappersUseTheRunnerFlagsAndTheArchiveWhenPresentAndAFailedTrainingRunDoesNotFailTheInstall()
            throws Exception {
        List<String> actions = new Installer(root, jar).install(Platform.QEMU_GA);
        // the fake jar cannot run: no archive, said once, the install goes on
        assertThat(actions).anyMatch(a -> a.startsWith("no class-data-sharing archive (training run exited with"));
        assertThat(Files.exists(t.path(CdsArchive.ARCHIVE))).isFalse();
        String hook = Files.readString(t.path(Installer.QEMU_HOOK));
        assertThat(hook)
                .contains(
                        "OPTS=\"-XX:-UsePerfData -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xmx96m -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off\"\n")
                .contains("CDS=\"${JAR%.jar}.jsa\"\n[ -r \"$CDS\" ] && OPTS=\"$OPTS -XX:SharedArchiveFile=$CDS\"\n");
        new Installer(root, jar).install(Platform.NUTANIX);
        assertThat(Files.readString(t.path(HookDiscovery.NUTANIX_FREEZE)))
                .contains("JAR=${STILLPOINT_GUEST_JAR:-" + Installer.JAR + "}\n")
                .contains("-XX:SharedArchiveFile=$CDS")
                .contains(
                        "exec \"${STILLPOINT_JAVA:-java}\" $OPTS -jar \"$JAR\" freeze --no-fsfreeze $STILLPOINT_GUEST_ARGS\n");
        // the wrapper shell code really picks the archive up when it exists, and only then
        Path bin = tmp.resolve("bin");
        Files.createDirectories(bin);
        Path fakeJava = bin.resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\necho \"$@\"\n");
        fakeJava.toFile().setExecutable(true);
        assertThat(runWrapper(fakeJava))
                .doesNotContain("SharedArchiveFile")
                .contains("-XX:+UseSerialGC -Xss512k")
                .contains("-jar " + t.path(Installer.JAR) + " freeze --no-fsfreeze");
        Files.write(t.path(CdsArchive.ARCHIVE), new byte[] {1});
        assertThat(runWrapper(fakeJava)).contains("-XX:SharedArchiveFile=" + t.path(CdsArchive.ARCHIVE) + " -jar ");
    }

    private String runWrapper(Path fakeJava) throws Exception {
        ProcessBuilder pb =
                new ProcessBuilder("sh", t.path(Installer.QEMU_HOOK).toString(), "freeze").redirectErrorStream(true);
        pb.environment().put("STILLPOINT_JAVA", fakeJava.toString());
        pb.environment().put("STILLPOINT_GUEST_JAR", t.path(Installer.JAR).toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        return out;
    }

    /** Runs the installed qemu-ga hook with {@code arg} and a fake java; returns exit code and output. */
    private Map.Entry<Integer, String> runQemuHook(String arg, String fakeJavaBody) throws Exception {
        Path fakeJava = tmp.resolve("fake-java");
        Files.writeString(fakeJava, "#!/bin/sh\n" + fakeJavaBody);
        fakeJava.toFile().setExecutable(true);
        ProcessBuilder pb =
                new ProcessBuilder("sh", t.path(Installer.QEMU_HOOK).toString(), arg).redirectErrorStream(true);
        pb.environment().put("STILLPOINT_JAVA", fakeJava.toString());
        pb.environment().put("STILLPOINT_GUEST_ARGS", "--root " + root + " --json");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return Map.entry(p.waitFor(), out);
    }

    @Test
    void theQemuHookReadsItsClockAfterTheFreezeCommandExitedAndFirstAtThaw() throws Exception {
        new Installer(root, jar).install(Platform.QEMU_GA);
        Path returned = t.path("/run/stillpoint/freeze-returned");
        Files.createDirectories(returned.getParent());
        String clock = "(mono|uptime) [0-9]+";

        // thaw: the reading taken before the JVM starts is handed to it
        Map.Entry<Integer, String> thaw = runQemuHook("thaw", "echo \"$* clock=$STILLPOINT_THAW_HOOK_CLOCK\"\n");
        assertThat(thaw.getKey()).isZero();
        assertThat(thaw.getValue().strip()).matches("(?s).* thaw --root " + root + " --json clock=" + clock);

        // freeze: the runner writes "TOKEN MS", the script appends its reading only once the JVM has exited
        Map.Entry<Integer, String> freeze = runQemuHook(
                "freeze", "echo \"$*\"; printf 'tok 1\\n' > " + returned + "; sleep 0.2; test -s " + returned + "\n");
        assertThat(freeze.getKey()).isZero();
        List<String> lines = Files.readAllLines(returned);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).isEqualTo("tok 1");
        assertThat(lines.get(1)).matches(clock);

        // a later thaw reading of the same clock is after the freeze's: the window is positive
        String thawClock = thaw.getValue().strip().replaceAll("(?s).*clock=", "");
        Map.Entry<Integer, String> thaw2 = runQemuHook("thaw", "echo \"clock=$STILLPOINT_THAW_HOOK_CLOCK\"\n");
        String later = thaw2.getValue().strip().replace("clock=", "");
        assertThat(later.split(" ")[0])
                .isEqualTo(thawClock.split(" ")[0])
                .isEqualTo(lines.get(1).split(" ")[0]);
        assertThat(dev.stillpoint.guest.run.QuiesceRunner.hookClockNanos(lines.get(1), later))
                .isPositive();

        // a failed freeze command: its exit code, and no reading appended
        Files.writeString(returned, "tok 1\n");
        Map.Entry<Integer, String> failed = runQemuHook("freeze", "exit 7\n");
        assertThat(failed.getKey()).isEqualTo(7);
        assertThat(Files.readAllLines(returned)).containsExactly("tok 1");
        // no runner file (runner mode, or the freeze wrote none): nothing is created
        Files.delete(returned);
        assertThat(runQemuHook("freeze", "exit 0\n").getKey()).isZero();
        assertThat(returned).doesNotExist();
    }

    @Test
    void archivePathAndFlagFollowTheJar() throws Exception {
        assertThat(CdsArchive.archiveFor(Path.of("/a/b/stillpoint-guest.jar")))
                .isEqualTo(Path.of("/a/b/stillpoint-guest.jsa"));
        Path j = tmp.resolve("x.jar");
        assertThat(CdsArchive.useArchive(j)).isEmpty();
        Files.write(tmp.resolve("x.jsa"), new byte[] {1});
        assertThat(CdsArchive.useArchive(j)).containsExactly("-XX:SharedArchiveFile=" + tmp.resolve("x.jsa"));
    }

    @Test
    void qemuGaConfExistingIsEditedAndRestored() throws Exception {
        t.write("/etc/qemu/qemu-ga.conf", "[general]\nverbose=true\n", "rw-r--r--");
        new Installer(root, jar).install(Platform.QEMU_GA);
        assertThat(Files.readString(t.path(Installer.QEMU_CONF)))
                .isEqualTo("[general]\nfsfreeze-hook=/etc/qemu/fsfreeze-hook\nverbose=true\n");
        new Installer(root, null).uninstall(Platform.QEMU_GA);
        assertThat(Files.readString(t.path(Installer.QEMU_CONF))).isEqualTo("[general]\nverbose=true\n");
        assertThat(Files.exists(t.path(Installer.QEMU_HOOK))).isFalse();
        assertThat(Files.exists(t.path(Installer.JAR))).isFalse();
    }

    @Test
    void vmwareScriptSkipsTheVmwareGroupAndIsNeverDiscovered() throws Exception {
        t.script("/etc/vmware-tools/backupScripts.d/10-db", "db", 0);
        Map<String, String> before = snapshot();
        new Installer(root, jar).install(Platform.VMWARE);
        Path s = t.path(Installer.VMWARE_SCRIPT);
        assertThat(FileChecks.mode(s)).isEqualTo(0700);
        assertThat(Files.readString(s))
                .contains("freeze --no-fsfreeze --skip-group vmware")
                .contains("freezeFail|freezefail) exec");
        List<Hook> hooks = new HookDiscovery(
                        root, GuestConfig.defaults(), EnumSet.noneOf(dev.stillpoint.guest.HookGroup.class), null)
                .discover()
                .hooks;
        assertThat(hooks).extracting(Hook::id).containsExactly("vmware:/etc/vmware-tools/backupScripts.d/10-db");
        new Installer(root, null).uninstall(Platform.VMWARE);
        assertThat(snapshot()).isEqualTo(withoutNewDirs(before, snapshot()));
    }

    @Test
    void nutanixMovesUserScriptsAsideRunsThemFromThereAndRestores() throws Exception {
        t.script("/usr/local/sbin/pre_freeze", "user-pre", 0);
        t.script("/usr/local/sbin/post_thaw", "user-post", 0);
        Map<String, String> before = snapshot();
        new Installer(root, jar).install(Platform.NUTANIX);
        assertThat(FileChecks.mode(t.path("/usr/local/sbin/pre_freeze"))).isEqualTo(0700);
        assertThat(Files.readString(t.path("/usr/local/sbin/pre_freeze"))).contains("freeze --no-fsfreeze");
        List<Hook> hooks = new HookDiscovery(
                        root, GuestConfig.defaults(), EnumSet.noneOf(dev.stillpoint.guest.HookGroup.class), null)
                .discover()
                .hooks;
        assertThat(hooks).hasSize(1);
        assertThat(String.join(" ", hooks.get(0).freeze)).contains("pre_freeze.stillpoint-orig");
        new Installer(root, null).uninstall(Platform.NUTANIX);
        assertThat(snapshot()).isEqualTo(withoutNewDirs(before, snapshot()));
    }

    @Test
    void azureWritesJson600Scripts700AndKeepsUserConfigAsAside() throws Exception {
        t.write("/opt/pre.sh", "exit 0\n", "rwx------");
        t.write("/opt/post.sh", "exit 0\n", "rwx------");
        t.write(
                "/etc/azure/VMSnapshotScriptPluginConfig.json",
                "{\"preScriptLocation\":\"/opt/pre.sh\",\"postScriptLocation\":\"/opt/post.sh\"}",
                "rw-------");
        Map<String, String> before = snapshot();
        new Installer(root, jar).install(Platform.AZURE);
        assertThat(FileChecks.mode(t.path("/etc/azure/VMSnapshotScriptPluginConfig.json")))
                .isEqualTo(0600);
        assertThat(FileChecks.mode(t.path(Installer.AZURE_PRE))).isEqualTo(0700);
        assertThat(Files.readString(t.path("/etc/azure/VMSnapshotScriptPluginConfig.json")))
                .contains(Installer.AZURE_PRE);
        List<Hook> hooks = new HookDiscovery(
                        root, GuestConfig.defaults(), EnumSet.noneOf(dev.stillpoint.guest.HookGroup.class), null)
                .discover()
                .hooks;
        assertThat(hooks).extracting(h -> h.name).containsExactly("/opt/pre.sh");
        new Installer(root, jar).install(Platform.AZURE);
        new Installer(root, null).uninstall(Platform.AZURE);
        assertThat(snapshot()).isEqualTo(withoutNewDirs(before, snapshot()));
    }
}
