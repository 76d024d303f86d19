package dev.stillpoint.repository;

/** Progress callbacks; the core never prints. Implementations must be thread-safe. */
public interface ProgressListener {
    ProgressListener NONE = (done, total) -> {};

    /** {@code done} of {@code total} bytes processed ({@code total} may be -1 when unknown). */
    void progress(long done, long total);
}
