package dev.stillpoint.cli.analyze;

import java.util.Locale;

/** Human-readable durations for text output. */
final class Durations {
    private Durations() {}

    /** 850 us, 38.1 ms, 1.092 s, 125.000 s. */
    static String micros(long us) {
        if (us < 1_000) {
            return us + " us";
        }
        if (us < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f ms", us / 1_000.0);
        }
        return String.format(Locale.ROOT, "%.3f s", us / 1_000_000.0);
    }

    static String millis(long ms) {
        if (ms < 1_000) {
            return ms + " ms";
        }
        return String.format(Locale.ROOT, "%.3f s", ms / 1_000.0);
    }

    /** Seconds without trailing zeros: 8, 2.5. */
    static String seconds(long micros) {
        return java.math.BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }
}
