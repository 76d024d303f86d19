/**
 * In-guest freeze/thaw hook runner. Layers: {@code config} (guest.conf) and {@code hooks} (discovery per
 * convention, Azure pre-checks) feed {@code run} (runner, process groups, watchdog, event log); {@code fs}
 * parses mountinfo and calls fsfreeze; {@code state} keeps the freeze state (run/stillpoint, tmpfs) and the
 * report (var/lib/stillpoint/last-report.json, a contract with the host); {@code doctor} lints;
 * {@code install} wires the runner into agents; {@code cli} renders. Conventions, config format, report
 * format and exit codes: docs/hooks.md. Compiled for Java 17.
 */
package dev.stillpoint.guest;
