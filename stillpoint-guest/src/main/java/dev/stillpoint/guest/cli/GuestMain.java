package dev.stillpoint.guest.cli;

/** Entry point of {@code stillpoint-guest}. Placeholder until the runner lands (issue 2). */
public final class GuestMain {
    private GuestMain() {}

    public static void main(String[] args) {
        System.out.println("stillpoint-guest 0.1.0-SNAPSHOT");
    }
}
