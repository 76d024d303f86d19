package dev.stillpoint.qemu.nbd;

import java.io.IOException;

/** An NBD failure with a stable {@link NbdErrorCode}. */
public class NbdException extends IOException {
    private static final long serialVersionUID = 1L;

    private final NbdErrorCode code;

    public NbdException(NbdErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public NbdException(NbdErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public NbdErrorCode code() {
        return code;
    }
}
