package dev.stillpoint.guest.contract;

/** A report or deadline file that is not valid JSON, has a field of the wrong type or value, or another version. */
public final class ContractException extends Exception {
    private static final long serialVersionUID = 1L;

    public ContractException(String message) {
        super(message);
    }
}
