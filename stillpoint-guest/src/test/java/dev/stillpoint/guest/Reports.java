package dev.stillpoint.guest;

import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.state.ReportStore;
import java.nio.file.Path;
import java.util.Map;

/** The tests look at reports as the JSON objects the host reads. */
public final class Reports {
    private Reports() {}

    /** {@link GuestReport#toMap()}, or null for null. */
    public static Map<String, Object> map(GuestReport r) {
        return r == null ? null : r.toMap();
    }

    /** The report under {@code root} once the watchdog has written it (waits up to 15 s), or the last one read. */
    public static Map<String, Object> awaitWatchdog(Path root) throws InterruptedException {
        Map<String, Object> rep = null;
        for (int i = 0; i < 150; i++) {
            rep = map(new ReportStore(root).read());
            if (rep != null && "thawed-by-watchdog".equals(rep.get("result"))) break;
            Thread.sleep(100);
        }
        return rep;
    }
}
