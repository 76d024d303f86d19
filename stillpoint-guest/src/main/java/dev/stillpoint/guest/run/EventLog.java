package dev.stillpoint.guest.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends one line per event to {@code var/log/stillpoint-guest.log} under the root:
 * {@code 2026-11-22T19:30:01.123Z stillpoint-guest[1234] HOOK_END vmware:/etc/... freeze exit 0 in 12 ms}.
 * Lines are buffered and written by {@link #flush()}: while a filesystem is frozen a write to it would block,
 * so the runner flushes only while nothing it froze is frozen. Never throws (logging must not break a thaw).
 */
public final class EventLog implements GuestListener {
    public static final String PATH = "var/log/stillpoint-guest.log";
    private final Path file;
    private final StringBuilder pending = new StringBuilder();
    private final long pid = ProcessHandle.current().pid();

    public EventLog(Path root) {
        this.file = root.resolve(PATH);
    }

    @Override
    public synchronized void on(GuestEvent e) {
        pending.append(e.time)
                .append(" stillpoint-guest[")
                .append(pid)
                .append("] ")
                .append(e.kind)
                .append(' ')
                .append(e.message.replace('\n', ' '))
                .append('\n');
    }

    public synchronized void flush() {
        if (pending.length() == 0) return;
        try {
            Files.createDirectories(file.getParent());
            Files.write(
                    file,
                    pending.toString().getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            pending.setLength(0);
        } catch (IOException ignored) {
            // keep the lines; a later flush may succeed
        }
    }
}
