package dev.stillpoint.engine.diagnostics;

/**
 * How one stun compares with a database mirror's quality-of-service (QoS) timeout (seed 003): on an
 * idle mirror the backup member pings the primary after half the timeout and takes over when no
 * answer arrives within the other half, so a stun longer than half the timeout can already end in
 * a failover.
 */
public enum QosVerdict {
    /** stun &lt;= timeout / 2. */
    SAFE,
    /** timeout / 2 &lt; stun &lt; timeout: failover possible on an idle mirror. */
    AT_RISK,
    /** stun &gt;= timeout: the arbiter and backup give up on the primary. */
    FAILOVER;

    public static QosVerdict of(long stunMicros, long timeoutMicros) {
        if (stunMicros >= timeoutMicros) {
            return FAILOVER;
        }
        return stunMicros > timeoutMicros / 2 ? AT_RISK : SAFE;
    }

    /** Lower-case words for output: {@code safe}, {@code at risk}, {@code failover}. */
    public String label() {
        return this == AT_RISK ? "at risk" : name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The smallest whole number of seconds that is at least twice {@code maxStunMicros} (at least 1). */
    public static long smallestSafeTimeoutSeconds(long maxStunMicros) {
        return Math.max(1, Math.ceilDiv(maxStunMicros, 500_000L));
    }
}
