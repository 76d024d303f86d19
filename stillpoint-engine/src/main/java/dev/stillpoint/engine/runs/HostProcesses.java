package dev.stillpoint.engine.runs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The helper programs a run starts ({@code qemu-nbd} for offline exports, {@code qemu-img} for
 * restores, a {@code stillpoint export} JVM for a boot verification, the libguestfs appliance's
 * {@code qemu-system-x86_64} for file-level restore, whose overlays lie in the run's work directory)
 * outlive a killed owner. They are found by their command line in {@code /proc}: a
 * program of {@link #PROGRAMS} whose arguments name a path of the dead run (its work directory or
 * output files), so a pid recycled by an unrelated process is never killed.
 */
public final class HostProcesses {
    static final Set<String> PROGRAMS = Set.of(
            "qemu-nbd",
            "qemu-img",
            "qemu-system-x86_64",
            "qemu-storage-daemon"); // a libguestfs appliance; files --host-kernel

    private HostProcesses() {}

    /** A process found: its pid and command line. */
    record Found(long pid, List<String> args) {
        String describe() {
            return args.getFirst() + " (pid " + pid + ")";
        }
    }

    /** Helper processes whose command line names one of {@code paths} (prefix match on each argument's path part). */
    static List<Found> referencing(List<String> paths) {
        List<Found> out = new ArrayList<>();
        if (paths.isEmpty()) return out;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid == ProcessHandle.current().pid()) continue;
                List<String> args = cmdline(proc);
                if (args.isEmpty()
                        || !(PROGRAMS.contains(
                                        Path.of(args.getFirst()).getFileName().toString())
                                || isExport(args))) {
                    continue;
                }
                if (args.stream().anyMatch(a -> names(a, paths))) out.add(new Found(pid, args));
            }
        } catch (IOException e) {
            // no /proc: nothing to find
        }
        return out;
    }

    /** A running {@code stillpoint export}: its pid, the backup it serves and its socket or listen address. */
    public record Export(long pid, String backupId, String socket) {}

    /** Every {@code stillpoint export} JVM on this host (for {@code snapshots audit}). */
    public static List<Export> exports() {
        List<Export> out = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                List<String> args = cmdline(proc);
                if (!isExport(args)) continue;
                int at = args.indexOf("export");
                String backup = at + 1 < args.size() ? args.get(at + 1) : null;
                String socket = null;
                for (int i = at; i + 1 < args.size(); i++) {
                    if (args.get(i).equals("--socket") || args.get(i).equals("--listen")) socket = args.get(i + 1);
                }
                out.add(new Export(Long.parseLong(proc.getFileName().toString()), backup, socket));
            }
        } catch (IOException e) {
            // no /proc: nothing to find
        }
        return out;
    }

    /** A {@code stillpoint export} JVM (started by instant recovery or verify --boot). */
    private static boolean isExport(List<String> args) {
        return args.contains("dev.stillpoint.cli.Main") && args.contains("export");
    }

    private static boolean names(String arg, List<String> paths) {
        String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : arg;
        for (String p : paths) {
            if (value.equals(p) || value.startsWith(p.endsWith("/") ? p : p + "/")) return true;
        }
        return false;
    }

    private static List<String> cmdline(Path proc) {
        try {
            byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return args;
        } catch (IOException | RuntimeException e) {
            return List.of(); // gone, or a kernel thread
        }
    }

    /** SIGKILL and wait up to 5 s; true when the process is gone. */
    static boolean kill(Found f) {
        Optional<ProcessHandle> h = ProcessHandle.of(f.pid());
        if (h.isEmpty()) return true;
        h.get().destroyForcibly();
        try {
            h.get().onExit().get(5, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return !h.get().isAlive();
        }
    }
}
