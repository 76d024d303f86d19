package dev.stillpoint.guest;

/** A failure with a stable {@link ErrorCode}; the message names the file/field, the bad value and the rule. */
public class GuestException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;
    private final Integer azureCode;
    private final int exitCode;

    public GuestException(ErrorCode code, String message) {
        this(code, message, null, -1, null);
    }

    public GuestException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, -1, cause);
    }

    public GuestException(ErrorCode code, String message, Integer azureCode, int exitCode, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.azureCode = azureCode;
        this.exitCode = exitCode;
    }

    public ErrorCode code() {
        return code;
    }

    /** Azure's own error code (300-318) when the failure comes from the Azure plugin config, else null. */
    public Integer azureCode() {
        return azureCode;
    }

    /** Explicit process exit code, or -1 to let {@link ExitCodes#of} decide. */
    public int exitCode() {
        return exitCode;
    }
}
