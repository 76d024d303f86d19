package dev.stillpoint.engine.instant;

/** Opens package-private parts of {@link InstantRecovery} to tests in other packages. */
public final class InstantRecoveryTestAccess {
    private InstantRecoveryTestAccess() {}

    public static boolean dependsOnNbd(String xml, String disk) {
        return InstantRecovery.dependsOnNbd(xml, disk);
    }
}
