package dev.stillpoint.guest.cli;

import dev.stillpoint.guest.install.Installer;
import dev.stillpoint.guest.install.Platform;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** install / uninstall --for qemu-ga|vmware|nutanix|azure. */
final class InstallCommands {
    private InstallCommands() {}

    static Platform platform(CommandSpec spec, String s) {
        Platform p = Platform.byId(s);
        if (p == null)
            throw new ParameterException(
                    spec.commandLine(), "--for: unknown agent '" + s + "' (qemu-ga, vmware, nutanix, azure)");
        return p;
    }

    static void print(CommandSpec spec, List<String> actions) {
        PrintWriter out = spec.commandLine().getOut();
        if (actions.isEmpty()) out.println("already installed; nothing changed");
        for (String a : actions) out.println(a);
        out.flush();
    }

    /** systemctl daemon-reload + try-restart, only on the real root with systemd running. */
    static void restartAgent(CommandSpec spec, Path root) throws Exception {
        if (!root.toString().equals("/") || !Files.isDirectory(Path.of("/run/systemd/system"))) return;
        for (String[] cmd :
                new String[][] {{"systemctl", "daemon-reload"}, {"systemctl", "try-restart", "qemu-guest-agent"}}) {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            p.waitFor(60, TimeUnit.SECONDS);
        }
        spec.commandLine().getOut().println("ran systemctl daemon-reload and try-restart qemu-guest-agent");
    }

    @Command(
            name = "install",
            description = "Wire the runner into an agent (idempotent): qemu-ga, vmware, nutanix, azure.")
    static final class Install implements Callable<Integer> {
        @Mixin
        GuestOptions common;

        @Spec
        CommandSpec spec;

        @Option(names = "--for", required = true, paramLabel = "AGENT")
        String agent;

        @Option(
                names = "--jar",
                paramLabel = "PATH",
                description = "Runner jar to install (default: the jar this runs from).")
        Path jar;

        @Override
        public Integer call() throws Exception {
            return GuestMain.guarded(spec, this::run);
        }

        private Integer run() throws Exception {
            Platform p = platform(spec, agent);
            Path j = jar != null ? jar : Installer.ownJar();
            if (j == null)
                throw new ParameterException(
                        spec.commandLine(), "cannot tell which stillpoint-guest.jar to install; pass --jar PATH");
            print(spec, new Installer(common.root(), j).install(p));
            if (p == Platform.QEMU_GA) restartAgent(spec, common.root());
            return 0;
        }
    }

    @Command(name = "uninstall", description = "Reverse exactly what install did for that agent.")
    static final class Uninstall implements Callable<Integer> {
        @Mixin
        GuestOptions common;

        @Spec
        CommandSpec spec;

        @Option(names = "--for", required = true, paramLabel = "AGENT")
        String agent;

        @Override
        public Integer call() throws Exception {
            return GuestMain.guarded(spec, this::run);
        }

        private Integer run() throws Exception {
            Platform p = platform(spec, agent);
            print(spec, new Installer(common.root(), null).uninstall(p));
            if (p == Platform.QEMU_GA) restartAgent(spec, common.root());
            return 0;
        }
    }
}
