package dev.stillpoint.engine.diagnostics;

/**
 * A line that was skipped or interpreted with an assumption.
 *
 * @param file    the input file as given
 * @param line    1-based line number, 0 when the warning is about the whole file
 * @param message what was wrong and what was done about it
 */
public record ParseWarning(String file, int line, String message) {
    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ": " + message : file + ": " + message;
    }
}
