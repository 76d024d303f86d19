package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.vm.VmDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The copy step of a shut-off domain. libvirt cannot create checkpoints or backups of an inactive
 * domain, so each disk is served by {@link OfflineExporter} ({@code qemu-nbd --read-only}).
 *
 * <p>Offline incremental: when the plan is incremental from checkpoint C, each qcow2 is exported
 * with its persistent bitmap C ({@code qemu-nbd -B C}, which libvirt named after the checkpoint)
 * and only the extents {@code qemu:dirty-bitmap:C} marks dirty are read, over the previous disk
 * snapshot as parent. No checkpoint can be made offline: the backup is recorded with C itself,
 * whose bitmap keeps tracking every write since C, so the next backup (online or offline) is an
 * incremental from C over this one (it re-reads a superset; dedup stores nothing twice).
 *
 * <p>Fallbacks are never errors: a bitmap qemu-nbd refuses (missing, or in-use after an unclean
 * shutdown) or an export without the context makes that disk a full read with a warning, and
 * the backup is then recorded without a checkpoint (the next one reads everything).
 */
final class OfflineBackup {

    /** The job's copy step: one disk from {@code src}; with a context, only its dirty extents over {@code parent}. */
    @FunctionalInterface
    interface DiskCopy {
        void copy(VmDisk disk, BlockSource src, String dirtyContext, String parent) throws IOException, EngineException;
    }

    private final OfflineExporter exporter;
    private final BlockSourceOpener opener;
    private final Path work;
    private final BiConsumer<String, String> warn;

    /** {@code warn} receives a warning's code and message. */
    OfflineBackup(OfflineExporter exporter, BlockSourceOpener opener, Path work, BiConsumer<String, String> warn) {
        this.exporter = exporter;
        this.opener = opener;
        this.work = work;
        this.warn = warn;
    }

    /**
     * Copies every disk as {@code plan} says; returns the checkpoint to record: the plan's when
     * every disk was read through its bitmap, else null.
     */
    String copy(List<VmDisk> disks, IncrementalPlanner.Plan plan, DiskCopy steps) throws IOException, EngineException {
        boolean allIncremental = plan.incremental();
        for (VmDisk d : disks) {
            boolean incremental = plan.incremental()
                    && copyIncremental(
                            d, plan.incrementalFrom(), plan.parentSnapshots().get(d.target()), steps);
            if (!incremental) copyFull(d, steps);
            allIncremental &= incremental;
        }
        return allIncremental ? plan.incrementalFrom() : null;
    }

    /** Returns false (after a warning, having read nothing) when the bitmap cannot be served. */
    private boolean copyIncremental(VmDisk d, String checkpoint, String parent, DiskCopy steps)
            throws IOException, EngineException {
        String context = OfflineExporter.dirtyBitmapContext(checkpoint);
        OfflineExporter.Export export = null;
        BlockSource src = null;
        try {
            export = exporter.export(d, work.resolve(d.target() + "-bitmap.sock"), checkpoint);
            src = NbdExtentSource.connect(
                    opener,
                    export.socket(),
                    export.exportName(),
                    NbdExtentSource.contexts(context),
                    "disk " + d.target() + " (" + d.source() + ")");
            if (!src.hasContext(context)) {
                throw new IOException("export " + export.exportName() + " offers no meta context " + context);
            }
        } catch (IOException | EngineException e) {
            closeQuietly(src);
            String why = e.getMessage();
            if (export != null) {
                String diagnostics = export.diagnostics();
                if (!diagnostics.isEmpty()) why = diagnostics + " (" + why + ")";
                export.close();
            }
            warn.accept(
                    "bitmap-unusable",
                    "bitmap " + checkpoint + " of disk " + d.target() + " (" + d.source() + ") cannot be read: " + why
                            + "; reading all of the disk and starting a new chain");
            return false;
        }
        try (OfflineExporter.Export e = export;
                BlockSource s = src) {
            steps.copy(d, s, context, parent);
        }
        return true;
    }

    private void copyFull(VmDisk d, DiskCopy steps) throws IOException, EngineException {
        try (OfflineExporter.Export export = exporter.export(d, work.resolve(d.target() + ".sock"), null);
                BlockSource src = NbdExtentSource.connect(
                        opener,
                        export.socket(),
                        export.exportName(),
                        NbdExtentSource.contexts(null),
                        "disk " + d.target() + " (" + d.source() + ")")) {
            steps.copy(d, src, null, null);
        }
    }

    private static void closeQuietly(BlockSource src) {
        if (src == null) return;
        try {
            src.close();
        } catch (IOException ignored) {
            // the export is stopped next
        }
    }
}
