package dev.stillpoint.cli.files;

import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.vm.RepoOptions;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.files.FilesListener;
import dev.stillpoint.engine.files.GuestFiles;
import dev.stillpoint.repository.Repository;

/**
 * Opens a {@link GuestFiles} session for one command: catalog lookup, repository, export and
 * appliance, with a shutdown hook that undoes them on Ctrl-C or SIGTERM (the appliance's qemu is
 * killed, the export stopped, the temporary directory removed) and warnings printed on stderr.
 */
final class FilesSession {
    /** The work a command does with the open session. */
    interface Work<T> {
        T run(GuestFiles files, BackupRecord backup) throws Exception;
    }

    private FilesSession() {}

    static <T> T run(RepoOptions repo, String backupId, Output out, Work<T> work) throws Exception {
        BackupRecord backup;
        try (Catalog catalog = repo.openCatalog()) {
            backup = catalog.find(backupId);
        }
        FilesListener listener = new FilesListener() {
            @Override
            public void warning(String message) { out.warn(message); }
        };
        try (Repository repository = repo.openRepository()) {
            GuestFiles files = GuestFiles.open(repository, backup, listener);
            Thread hook = new Thread(files::close, "stillpoint-files-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                return work.run(files, backup);
            } finally {
                files.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or ran: nothing left to remove
                }
            }
        }
    }
}
