package dev.stillpoint.repository;

import java.util.List;

/** Result of {@link Repository#forget}: one decision per snapshot, newest first within each name. */
public record ForgetResult(List<Decision> decisions, boolean dryRun) {

    /** Whether {@code snapshot} is kept, and by which rules (e.g. {@code "last"}, {@code "daily"}). */
    public record Decision(SnapshotInfo snapshot, boolean keep, List<String> reasons) {}

    public List<SnapshotInfo> kept() {
        return decisions.stream().filter(Decision::keep).map(Decision::snapshot).toList();
    }

    public List<SnapshotInfo> removed() {
        return decisions.stream().filter(d -> !d.keep()).map(Decision::snapshot).toList();
    }
}
