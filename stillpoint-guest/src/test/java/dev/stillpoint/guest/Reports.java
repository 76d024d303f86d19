package dev.stillpoint.guest;

import dev.stillpoint.guest.contract.GuestReport;
import java.util.Map;

/** The tests look at reports as the JSON objects the host reads. */
public final class Reports {
    private Reports() {}

    /** {@link GuestReport#toMap()}, or null for null. */
    public static Map<String, Object> map(GuestReport r) { return r == null ? null : r.toMap(); }
}
