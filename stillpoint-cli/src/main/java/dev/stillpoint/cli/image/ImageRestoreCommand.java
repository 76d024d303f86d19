package dev.stillpoint.cli.image;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.ProgressPrinter;
import dev.stillpoint.cli.snapshots.Snapshots;
import dev.stillpoint.repository.ImageReader;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint image restore SNAPSHOT --repo DIR --target FILE|-}. A regular file is written
 * sparse (holes stay holes); {@code -} (stdout) and any other target that is not a regular file (a
 * pipe, {@code /dev/stdout}, a device) receive the image as a stream, zeros included.
 */
@Command(
        name = "restore",
        description = {
            "Write a snapshot to a sparse raw image file (holes stay holes), or stream it (zeros included) to - (stdout), a pipe or a device. Every chunk is verified."
        },
        mixinStandardHelpOptions = true)
public final class ImageRestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "Snapshot id or unique prefix.")
    String snapshot;

    @Option(
            names = "--target",
            required = true,
            paramLabel = "FILE|-",
            description =
                    "File to create (must not exist unless --force), or - for stdout; a pipe or device is streamed to.")
    String target;

    @Option(names = "--force", description = "Overwrite an existing target file or block device.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        boolean toStdout = "-".equals(target) || isStdout(Path.of(target));
        if (toStdout && json.enabled())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "--json: stdout carries the image with --target " + target + "; drop --json");
        // with the image on stdout, the text summary and progress go to stderr
        Output out = toStdout
                ? Output.of(spec.commandLine().getErr(), spec.commandLine().getErr(), false, false)
                : Output.of(spec, json.enabled());
        long t0 = System.nanoTime();
        SnapshotInfo s;
        try (Repository r = repo.open()) {
            s = r.snapshot(snapshot);
            if ("-".equals(target)) {
                stream(r, s, out, Channels.newChannel(new FileOutputStream(FileDescriptor.out)));
            } else {
                restore(r, s, out, Path.of(target));
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> m = Snapshots.json(s);
        m.put(
                "target",
                "-".equals(target) ? "-" : Path.of(target).toAbsolutePath().toString());
        m.put("seconds", Math.round(secs * 100) / 100.0);
        out.summary(
                m,
                String.format(
                        "restored snapshot %s (%s, %s) to %s in %.1f s",
                        s.id().substring(0, 8), s.name(), Output.bytes(s.size()), target, secs));
        return 0;
    }

    private void restore(Repository r, SnapshotInfo s, Output out, Path file) throws IOException {
        if (Files.isDirectory(file))
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT, "--target: " + file + " is a directory");
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            // a pipe, a character device such as /dev/stdout, a block device: no holes, no seeking
            if (Files.readAttributes(file, "unix:mode").get("mode") instanceof Integer mode
                    && (mode & 0170000) == 0060000
                    && !force)
                throw new RepositoryException(
                        RepositoryException.Code.ALREADY_EXISTS,
                        "--target: " + file + " is a block device; use --force to overwrite it");
            try (WritableByteChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                stream(r, s, out, ch);
            }
            return;
        }
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !force)
            throw new RepositoryException(
                    RepositoryException.Code.ALREADY_EXISTS, "--target: " + file + " exists; use --force to overwrite");
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir))
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "--target: " + file + ": directory " + dir + " does not exist");
        // written under a hidden name and renamed when complete: a killed restore never leaves a
        // file that looks complete; the next restore to the same target replaces what it left
        Path partial = partialOf(file);
        boolean mine = false, done = false;
        try (FileChannel ch = FileChannel.open(
                        partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
                java.nio.channels.FileLock lock = tryLock(ch)) {
            if (lock == null)
                throw new RepositoryException(
                        RepositoryException.Code.LOCKED,
                        "--target: another restore is writing " + file + " (through " + partial + ")");
            mine = true;
            try (ImageReader reader = r.openImage(s.id());
                    ProgressPrinter p = out.progress("restore " + s.name())) {
                reader.restoreTo(partial, ch, p);
            }
            ch.force(true); // the data is on disk before the name says it is complete
            publish(partial, file, force);
            done = true;
        } finally {
            if (mine && !done) Files.deleteIfExists(partial);
        }
    }

    /** An exclusive lock on {@code ch}, or null when another restore (another process, or this one) holds it. */
    private static java.nio.channels.FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException heldHere) {
            return null;
        }
    }

    /** The hidden name a restore to {@code file} writes under until it is complete. */
    static Path partialOf(Path file) {
        Path abs = file.toAbsolutePath();
        return abs.resolveSibling("." + abs.getFileName() + ".stillpoint-partial");
    }

    /** Renames the complete {@code partial} to {@code file}: replacing it with {@code force}, else never (a file that appeared meanwhile stays). */
    private static void publish(Path partial, Path file, boolean force) throws IOException {
        if (force) {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        try {
            Files.createLink(file, partial); // link(2) fails when file exists: no overwrite, even racing
            Files.delete(partial);
        } catch (FileAlreadyExistsException e) {
            throw new RepositoryException(
                    RepositoryException.Code.ALREADY_EXISTS,
                    "--target: " + file + " appeared during the restore; use --force to overwrite");
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException noLinks) {
            if (noLinks instanceof java.nio.file.FileSystemException fse && Files.exists(file)) throw fse;
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE); // a filesystem without hard links
        }
    }

    private static void stream(Repository r, SnapshotInfo s, Output out, WritableByteChannel ch) throws IOException {
        try (ImageReader reader = r.openImage(s.id());
                ProgressPrinter p = out.progress("restore " + s.name())) {
            reader.streamTo(ch, p);
        }
    }

    /** Whether {@code file} is this process's stdout (e.g. {@code /dev/stdout}, {@code /dev/fd/1}). */
    private static boolean isStdout(Path file) {
        try {
            return Files.exists(file) && Files.isSameFile(file, Path.of("/proc/self/fd/1"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
