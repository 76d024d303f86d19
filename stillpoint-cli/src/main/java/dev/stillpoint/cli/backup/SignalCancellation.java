package dev.stillpoint.cli.backup;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C/SIGTERM handling for a long job: a shutdown hook cancels the job and keeps the JVM alive
 * until the job has cleaned up (guest thawed, job ended, scratch removed) and the command has
 * printed why it stopped. Without the second wait the JVM can halt between the cleanup and the
 * message, and the user sees a silent exit.
 */
final class SignalCancellation implements AutoCloseable {
    /** A job's "wait until run() has returned" call. */
    interface Awaiter {
        boolean awaitFinished(Duration timeout) throws InterruptedException;
    }

    private static final Duration REPORT_LIMIT = Duration.ofSeconds(5);

    private final CountDownLatch reported = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean signalled;

    private SignalCancellation(Runnable cancel, Awaiter job, Duration cleanupLimit, String name) {
        this.hook = new Thread(
                () -> {
                    signalled = true;
                    cancel.run();
                    try {
                        job.awaitFinished(cleanupLimit);
                        reported.await(REPORT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                name);
    }

    /** Installs the hook; close() removes it when the job ends normally. */
    static SignalCancellation install(Runnable cancel, Awaiter job, Duration cleanupLimit, String name) {
        SignalCancellation s = new SignalCancellation(cancel, job, cleanupLimit, name);
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** True once a signal started the shutdown. */
    boolean signalled() {
        return signalled;
    }

    /**
     * Prints the job's failure after a signal and lets the JVM exit (its status is 128 + signal).
     *
     * @return the exit code for the (never observed) normal return path
     */
    int reportCancelled(PrintWriter err, Exception failure) {
        err.println("stillpoint: error: cancelled by signal: " + failure.getMessage());
        err.flush();
        reported.countDown();
        return dev.stillpoint.cli.ExitCodes.CANCELLED;
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C/SIGTERM: the hook is running and waits for the report
        }
    }
}
