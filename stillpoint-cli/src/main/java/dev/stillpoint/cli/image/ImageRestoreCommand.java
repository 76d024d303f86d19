package dev.stillpoint.cli.image;

import dev.stillpoint.cli.snapshots.Snapshots;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.ProgressPrinter;
import dev.stillpoint.repository.ImageReader;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.SnapshotInfo;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint image restore SNAPSHOT --repo DIR --target FILE}. */
@Command(name = "restore", description = "Write a snapshot to a sparse raw image file (holes stay holes). Every chunk is verified.",
        mixinStandardHelpOptions = true)
public final class ImageRestoreCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin RepoOptions repo;
    @Mixin JsonOption json;

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "Snapshot id or unique prefix.")
    String snapshot;

    @Option(names = "--target", required = true, paramLabel = "FILE", description = "File to create (must not exist unless --force).")
    Path target;

    @Option(names = "--force", description = "Overwrite an existing target file.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        long t0 = System.nanoTime();
        SnapshotInfo s;
        try (Repository r = repo.open()) {
            s = r.snapshot(snapshot);
            if (Files.isDirectory(target)) throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "--target: " + target + " is a directory");
            var opts = force ? new StandardOpenOption[]{StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ}
                    : new StandardOpenOption[]{StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ};
            boolean created = !Files.exists(target);
            try (ImageReader reader = r.openImage(s.id()); FileChannel ch = FileChannel.open(target, opts);
                 ProgressPrinter p = out.progress("restore " + s.name())) {
                reader.restoreTo(target, ch, p);
            } catch (FileAlreadyExistsException e) {
                throw new RepositoryException(RepositoryException.Code.ALREADY_EXISTS, "--target: " + target + " exists; use --force to overwrite");
            } catch (RepositoryException e) {
                if (created) Files.deleteIfExists(target); // never leave a half-restored image that looks complete
                throw e;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> m = Snapshots.json(s);
        m.put("target", target.toAbsolutePath().toString());
        m.put("seconds", Math.round(secs * 100) / 100.0);
        out.summary(m, String.format("restored snapshot %s (%s, %s) to %s in %.1f s", s.id().substring(0, 8), s.name(), Output.bytes(s.size()), target, secs));
        return 0;
    }
}
