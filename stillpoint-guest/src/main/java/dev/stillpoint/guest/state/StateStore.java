package dev.stillpoint.guest.state;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The freeze state between the separate freeze and thaw invocations, at {@code run/stillpoint/state.json}
 * under the root, guarded by {@code run/stillpoint/lock} (fcntl lock). It lives under /run (tmpfs) on purpose:
 * between freeze and thaw the root filesystem may be frozen, and a write there would block; and after a reboot
 * nothing is frozen any more, so the state must not survive one. The report and the log (contract paths under
 * var/) are written only while nothing is frozen.
 * <p>The state is a {@link FreezeState}, stored as one JSON object.
 */
public final class StateStore {
    public static final String DIR = "run/stillpoint";
    private final Path dir;

    public StateStore(Path root) {
        this.dir = root.resolve(DIR);
    }

    public Path dir() {
        return dir;
    }

    public Path file() {
        return dir.resolve("state.json");
    }

    /** The active freeze, or null when nothing is frozen. */
    public FreezeState load() {
        Path f = file();
        if (!Files.exists(f)) return null;
        try {
            return FreezeState.fromMap(JSON.std.mapFrom(Files.readString(f, StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException | dev.stillpoint.guest.contract.ContractException e) {
            throw new GuestException(
                    ErrorCode.STATE_CORRUPT,
                    f + ": unreadable freeze state (" + e.getMessage()
                            + "); inspect it, thaw by hand (fsfreeze -u) and delete it");
        }
    }

    public void save(FreezeState state) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("state.json.tmp");
            Files.writeString(
                    tmp,
                    JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(state.toMap()),
                    StandardCharsets.UTF_8);
            Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GuestException(ErrorCode.IO, file() + ": cannot write freeze state: " + e.getMessage(), e);
        }
    }

    public void clear() {
        try {
            Files.deleteIfExists(file());
        } catch (IOException e) {
            throw new GuestException(ErrorCode.IO, file() + ": cannot delete freeze state: " + e.getMessage(), e);
        }
    }

    /** Exclusive lock held for the whole freeze, thaw or watchdog thaw; waits up to {@code waitMillis}. */
    public AutoCloseable lock(long waitMillis) {
        try {
            Files.createDirectories(dir);
            FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long end = System.currentTimeMillis() + waitMillis;
            while (true) {
                FileLock l = ch.tryLock();
                if (l != null)
                    return () -> {
                        l.release();
                        ch.close();
                    };
                if (System.currentTimeMillis() > end) {
                    ch.close();
                    throw new GuestException(
                            ErrorCode.LOCKED,
                            dir.resolve("lock") + ": another stillpoint-guest held the lock for " + waitMillis / 1000
                                    + " s");
                }
                Thread.sleep(100);
            }
        } catch (IOException e) {
            throw new GuestException(ErrorCode.IO, dir + ": cannot lock: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException(ErrorCode.LOCKED, "interrupted while waiting for " + dir.resolve("lock"));
        }
    }
}
