/**
 * Shared printers for every {@code stillpoint} command: results and progress as human text, or
 * as JSON lines with {@code --json}.
 *
 * <h2>Use</h2>
 * <pre>{@code
 *   Output out = Output.of(spec, json);                 // spec = the command's @Spec
 *   try (ProgressPrinter p = out.progress("backup")) {  // a ProgressListener
 *       job.run(p);                                     // p.progress(doneBytes, totalBytes or -1)
 *   }
 *   out.summary(Map.of("snapshot", id, "bytes", n), "snapshot " + id + " saved");
 * }</pre>
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Text progress (bytes, percent, rate, ETA) is drawn on stderr, in place, only when stderr
 *       is a terminal; redirected runs stay quiet.</li>
 *   <li>With {@code --json}, stdout carries one JSON object per line, each with a {@code "type"}:
 *       {@code "progress"} (at most one per second, plus a final one), {@code "phase"}
 *       ({@code {"type":"phase","phase":"freeze","state":"started"}}), {@code "warning"}
 *       ({@code {"type":"warning","code":"bitmap-drift","message":".."}}), the command's own
 *       types (e.g. {@code "snapshot"}, {@code "backup"}), and one {@code "summary"} at the end.
 *       Nothing else is printed on stdout; errors go to stderr.</li>
 *   <li>Every command that streams JSON lines (repository and VM commands alike) writes them
 *       through {@link dev.stillpoint.cli.output.Output}, the one JSON writer, so the contract
 *       (docs/scripting.md) cannot fork; {@code VmJsonContractTest} guards the VM side.</li>
 *   <li>Field names are camelCase; sizes are bytes; times are ISO-8601 UTC; a {@code null}
 *       value is printed as {@code null} (omit the key to leave it out).</li>
 * </ul>
 */
package dev.stillpoint.cli.output;
