package dev.stillpoint.engine.diagnostics;

/**
 * One {@code Checkpoint_Unstun: vm stopped for N us} line: the VM was stunned (not running) for
 * {@code micros} microseconds, and the line was logged at {@code time} (when the stun ended).
 *
 * @param time   when the stun ended, as logged
 * @param micros stun length in microseconds (long: values above 2^31 us, about 36 minutes, occur)
 * @param thread the VMX thread that logged it ({@code vcpu-0}, {@code vmx}, ...), or null when the line names none
 * @param file   the input file as given
 * @param line   1-based line number in that file
 */
public record StunEvent(LogTimestamp time, long micros, String thread, String file, int line) {}
