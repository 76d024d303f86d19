package dev.stillpoint.engine.files;

/** What a {@link GuestFiles} session reports while it works; the CLI prints it as text or JSON. */
public interface FilesListener {
    /** Something the user should know that does not stop the command (a filesystem that would not mount, a skipped device file). */
    default void warning(String message) {}

    /** A phase began: {@code "export"}, {@code "appliance"} (the slow launch), {@code "mount"}, {@code "copy"}. */
    default void phase(String name) {}

    FilesListener NONE = new FilesListener() {};
}
