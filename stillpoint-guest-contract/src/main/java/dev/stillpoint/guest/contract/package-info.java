/**
 * The contract between the in-guest runner ({@code stillpoint-guest}) and the host ({@code stillpoint-engine}),
 * exchanged as files through the guest agent (guest-file-open/read/write): {@link GuestReport}, the runner's
 * report that the host reads after the thaw, and {@link FreezeDeadline}, the host's freeze budget that the runner
 * reads when a freeze starts. Each format has one writer and one reader here; docs/hooks.md describes them, and
 * {@code golden-report.json} (test resource, shared with the guest's and the host's tests) pins the report.
 * Java 17 bytecode and no dependency of ours: the guest runs on distribution JREs.
 */
package dev.stillpoint.guest.contract;
