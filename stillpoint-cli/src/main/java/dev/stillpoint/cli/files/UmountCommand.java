package dev.stillpoint.cli.files;

import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.runs.FuseMounts;
import dev.stillpoint.engine.runs.OrphanRecovery;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint umount DIR}: unmounts what {@code stillpoint mount} mounted on DIR and waits
 * for that process to undo the rest (appliance, export, work directory). A mount whose process
 * died is cleaned by the orphan recovery this command runs first.
 */
@Command(
        name = "umount",
        mixinStandardHelpOptions = true,
        description = {
            "Unmount a 'stillpoint mount' and wait until its process has cleaned up (also cleans mounts of killed processes)."
        })
public final class UmountCommand implements Callable<Integer> {
    private static final long WAIT_SECONDS = 60;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The directory given to 'stillpoint mount'.")
    Path dir;

    @Option(names = "--json", description = "Print a summary JSON line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json);
        String mountPoint = dir.toAbsolutePath().normalize().toString();
        RunDirectory runs = RunDirectory.open(RunDirectory.defaultStateDir());
        int recovered = new OrphanRecovery(runs, null, (code, message) -> out.warn(message)).recoverAll(null);
        Optional<RunRecord> owner = runs.liveRuns().stream()
                .filter(r -> "mount".equals(r.command()) && mountPoint.equals(markedMount(r)))
                .findFirst();
        boolean wasMounted = FuseMounts.mounted(mountPoint);
        if (!wasMounted && owner.isEmpty() && recovered == 0) {
            throw new EngineException(Code.INVALID_ARGUMENT, mountPoint + " is not mounted by stillpoint");
        }
        if (wasMounted) {
            if (owner.isEmpty()) {
                throw new EngineException(
                        Code.INVALID_ARGUMENT, mountPoint + " is mounted, but not by a stillpoint mount of this host");
            }
            String error = FuseMounts.unmount(mountPoint, false);
            if (error != null)
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "cannot unmount " + mountPoint + ": " + error + " (a shell or program may be using it)");
        }
        boolean exited = true;
        if (owner.isPresent()) {
            Optional<ProcessHandle> p = ProcessHandle.of(owner.get().pid());
            if (p.isPresent()) {
                try {
                    p.get().onExit().get(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    exited = false;
                    out.warn("the mount process (pid " + owner.get().pid() + ") has not exited after " + WAIT_SECONDS
                            + " s");
                }
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("mountPoint", mountPoint);
        summary.put("pid", owner.map(RunRecord::pid).orElse(null));
        summary.put("processExited", exited);
        out.summary(summary, "unmounted " + mountPoint);
        return ExitCodes.OK;
    }

    private static String markedMount(RunRecord r) {
        if (r.workDir() == null) return null;
        try {
            return Files.readString(Path.of(r.workDir(), OrphanRecovery.MOUNT_POINT_FILE))
                    .strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
