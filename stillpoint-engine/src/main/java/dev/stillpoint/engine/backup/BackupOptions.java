package dev.stillpoint.engine.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Knobs of a backup.
 *
 * @param forceFull      read everything even when an incremental is possible
 * @param policy         what to do when quiescing fails
 * @param pingTimeout    how long to wait for the guest agent to answer guest-ping
 * @param freezeTimeout  host-side limit for guest-fsfreeze-freeze (hooks included)
 * @param thawTimeout    limit for guest-fsfreeze-thaw
 * @param workDir        where sockets and scratch files go (must be usable by libvirt-qemu); null = /tmp
 * @param readBuffer     bytes per NBD read
 */
public record BackupOptions(
        boolean forceFull,
        ConsistencyPolicy policy,
        Duration pingTimeout,
        Duration freezeTimeout,
        Duration thawTimeout,
        Path workDir,
        int readBuffer) {

    public static final int DEFAULT_READ_BUFFER = 4 << 20;

    public BackupOptions {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(pingTimeout, "pingTimeout");
        Objects.requireNonNull(freezeTimeout, "freezeTimeout");
        Objects.requireNonNull(thawTimeout, "thawTimeout");
        if (readBuffer < 4096 || readBuffer > (32 << 20)) {
            throw new IllegalArgumentException("readBuffer " + readBuffer + " must be 4 KiB..32 MiB");
        }
    }

    /** Defaults: incremental when possible, consistency preferred, freeze timeout 60 s (hooks run under TCG take ~20 s). */
    public static BackupOptions defaults() {
        return new BackupOptions(
                false,
                ConsistencyPolicy.PREFERRED,
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                null,
                DEFAULT_READ_BUFFER);
    }

    public BackupOptions withForceFull(boolean v) {
        return new BackupOptions(v, policy, pingTimeout, freezeTimeout, thawTimeout, workDir, readBuffer);
    }

    public BackupOptions withPolicy(ConsistencyPolicy v) {
        return new BackupOptions(forceFull, v, pingTimeout, freezeTimeout, thawTimeout, workDir, readBuffer);
    }

    public BackupOptions withFreezeTimeout(Duration v) {
        return new BackupOptions(forceFull, policy, pingTimeout, v, thawTimeout, workDir, readBuffer);
    }

    public BackupOptions withWorkDir(Path v) {
        return new BackupOptions(forceFull, policy, pingTimeout, freezeTimeout, thawTimeout, v, readBuffer);
    }

    public BackupOptions withReadBuffer(int v) {
        return new BackupOptions(forceFull, policy, pingTimeout, freezeTimeout, thawTimeout, workDir, v);
    }
}
