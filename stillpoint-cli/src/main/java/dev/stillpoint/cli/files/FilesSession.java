package dev.stillpoint.cli.files;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.files.FilesListener;
import dev.stillpoint.engine.files.GuestFiles;
import dev.stillpoint.engine.runs.OrphanRecovery;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunJournal;
import dev.stillpoint.repository.Repository;
import java.nio.file.Path;

/**
 * One command's {@link GuestFiles} session, crash-safe: dead runs are recovered first; the run's
 * journal names its work directory (export socket, appliance overlays, a mount's marker) before it
 * is created; a shutdown hook undoes everything on Ctrl-C or SIGTERM in reverse order (the
 * command's own first step, e.g. unmount; then the appliance's qemu (or the host-kernel path's
 * mounts, loop devices and daemon), the export, the work
 * directory; then the journal). Warnings go to stderr.
 */
final class FilesSession {
    /** The work a command does with the open session. */
    interface Work<T> {
        T run(GuestFiles files, BackupRecord backup) throws Exception;
    }

    private FilesSession() {}

    static <T> T run(
            RepoOptions repo,
            CatalogOption catalog,
            String backupId,
            Output out,
            String command,
            GuestFiles.Layout layout,
            boolean hostKernel,
            Runnable firstUndo,
            Work<T> work)
            throws Exception {
        RunDirectory runs = RunDirectory.open(RunDirectory.defaultStateDir());
        new OrphanRecovery(runs, null, (code, message) -> out.warn(message)).recoverAll(null);
        BackupRecord backup;
        try (Catalog c = catalog.open(repo)) {
            backup = c.find(backupId);
        }
        FilesListener listener = new FilesListener() {
            @Override
            public void warning(String message) {
                out.warn(message);
            }
        };
        String runId = RunDirectory.newRunId();
        Path workDir = Path.of(System.getProperty("java.io.tmpdir"))
                .toAbsolutePath()
                .resolve("stillpoint-" + command + "-" + runId);
        try (RunJournal journal = runs.start(runId, command);
                Repository repository = repo.open()) {
            journal.update(r -> r.withWorkDir(workDir));
            GuestFiles files = GuestFiles.open(repository, backup, workDir, layout, hostKernel, listener);
            Object once = new Object();
            Runnable undo = () -> {
                synchronized (once) { // the hook and the command's own finally: the second waits for the first
                    if (firstUndo != null) firstUndo.run();
                    files.close();
                    journal.close();
                }
            };
            Thread hook = new Thread(undo, "stillpoint-" + command + "-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                return work.run(files, backup);
            } finally {
                undo.run();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or ran: nothing left to remove
                }
            }
        }
    }
}
