package dev.stillpoint.cli.image;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.ProgressPrinter;
import dev.stillpoint.cli.snapshots.Snapshots;
import dev.stillpoint.engine.ingest.ImageBackupJob;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.SnapshotInfo;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint image backup --repo DIR --name NAME FILE|-}: the engine's {@link ImageBackupJob} with a progress printer. */
@Command(
        name = "backup",
        description = "Store a raw disk image (a file, a block device, or - for stdin) as a new snapshot.",
        mixinStandardHelpOptions = true)
public final class ImageBackupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Image name, e.g. web1/vda.")
    String name;

    @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "Metadata stored with the snapshot (repeatable).")
    Map<String, String> tags = new LinkedHashMap<>();

    @Parameters(index = "0", paramLabel = "FILE", description = "Raw image file or block device, or - to read stdin.")
    String source;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        long t0 = System.nanoTime();
        SnapshotInfo s;
        try (Repository r = repo.open();
                ProgressPrinter p = out.progress("backup " + name)) {
            ImageBackupJob job = new ImageBackupJob(r, name, tags, p);
            s = "-".equals(source) ? job.backupStream(System.in, "stdin") : job.backupFile(Path.of(source));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> m = Snapshots.json(s);
        m.put("seconds", Math.round(secs * 100) / 100.0);
        m.put("bytesPerSecond", (long) (s.size() / Math.max(secs, 1e-9)));
        out.summary(
                m,
                String.format(
                        "snapshot %s saved: %s, %s (%s allocated, %s added to the repository) in %.1f s, %s/s",
                        s.id().substring(0, 8),
                        s.name(),
                        Output.bytes(s.size()),
                        Output.bytes(s.allocatedBytes()),
                        Output.bytes(s.storedBytes()),
                        secs,
                        Output.bytes((long) (s.size() / Math.max(secs, 1e-9)))));
        return 0;
    }
}
