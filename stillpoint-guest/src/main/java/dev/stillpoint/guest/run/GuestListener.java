package dev.stillpoint.guest.run;

/** Receives events from the runner; the core never prints. */
@FunctionalInterface
public interface GuestListener {
    void on(GuestEvent event);

    static GuestListener none() {
        return e -> {};
    }

    default GuestListener and(GuestListener other) {
        return e -> {
            on(e);
            other.on(e);
        };
    }
}
