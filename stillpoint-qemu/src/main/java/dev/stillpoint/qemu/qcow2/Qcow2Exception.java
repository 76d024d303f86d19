package dev.stillpoint.qemu.qcow2;

import java.io.IOException;

/** A qcow2 file whose header or snapshot table does not parse. */
public final class Qcow2Exception extends IOException {
    public Qcow2Exception(String message) {
        super(message);
    }
}
