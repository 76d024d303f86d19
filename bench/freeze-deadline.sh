#!/usr/bin/env bash
# How long guest writes stay blocked when `stillpoint backup` is killed with SIGKILL during the guest
# freeze (issue 12, item 2). One lab guest (scripts/lab), stillpoint-guest installed as qemu-ga's hook,
# a freeze hook that sleeps, a probe loop in the guest that times `dd oflag=sync` every 0.2 s (its log
# is on /run, a tmpfs that is never frozen). The CLI runs with its default --freeze-timeout (60 s) and
# is killed KILL_AFTER seconds after it started (while the hook sleeps); nobody thaws; the guest's
# watchdog does. Prints the longest write stall and the guest's report.
#
# Usage (under the e2e lock): flock /work/e2e.lock bench/freeze-deadline.sh GUEST_JAR LABEL
#   GUEST_JAR  the stillpoint-guest jar to install (before: main's, after: this branch's)
#   env: STILLPOINT_LAB_NAME (default sp-deadline), HOOK_SLEEP (15), KILL_AFTER (8), SETTLE (110)
#        KEEP=1 keeps the domain for another run
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/lib.sh"
stillpoint_select_jdk
jar=$(realpath "$1"); label=${2:-run}
name=${STILLPOINT_LAB_NAME:-sp-deadline}
hook_sleep=${HOOK_SLEEP:-15}; kill_after=${KILL_AFTER:-8}; settle=${SETTLE:-110}
lab="$here/scripts/lab"
cli=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$here/stillpoint-cli/target/stillpoint.jar")
labdir=${STILLPOINT_LAB_DIR:-/var/lib/stillpoint/lab}
work="$labdir/$name-work"
say() { echo "[$label] $*" >&2; }
gsh() { "$lab" exec "$name" -- sh -c "$1"; }

if ! virsh -q -c qemu:///system dominfo "$name" >/dev/null 2>&1; then
  say "booting $name"; "$lab" up "$name" --memory 1024 >&2
fi
rm -rf "$work"; mkdir -p "$work"; chmod 755 "$work"
"${cli[@]}" repo init --repo "$work/repo" --encryption none >/dev/null
"$lab" install-runner "$name" "$jar" >&2
gsh "mkdir -p /etc/stillpoint/hooks.d && printf '#!/bin/sh\n[ \"\$1\" = freeze ] && sleep $hook_sleep\nexit 0\n' > /etc/stillpoint/hooks.d/10-sleep && chmod 700 /etc/stillpoint/hooks.d/10-sleep; rm -f /var/lib/stillpoint/last-report.json /run/probe.log"
gsh "systemctl stop sp-probe 2>/dev/null; systemd-run --quiet --collect --unit=sp-probe sh -c 'while :; do s=\$(date +%s%N); dd if=/dev/zero of=/var/tmp/probe bs=4k count=1 oflag=sync status=none; e=\$(date +%s%N); echo \$s \$e >> /run/probe.log; sleep 0.2; done'"
sleep 3
say "backup started; SIGKILL in $kill_after s (the freeze hook sleeps $hook_sleep s)"
"${cli[@]}" backup "$name" --repo "$work/repo" --work-dir "$work/w" --json >"$work/out.json" 2>"$work/err.txt" &
pid=$!
sleep "$kill_after"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
say "killed at $(date -u +%T.%3N); waiting $settle s for the guest's watchdog"
sleep "$settle"
status=$(virsh -q -c qemu:///system qemu-agent-command "$name" '{"execute":"guest-fsfreeze-status"}' 2>&1 || true)
say "qemu-ga after the watchdog: $status"
if [ "${NEXT_BACKUP:-0}" = 1 ]; then
  say "next backup without clearing qemu-ga by hand:"
  "${cli[@]}" backup "$name" --repo "$work/repo" --work-dir "$work/w2" --json 2>&1 | tail -1 | jq -c '{consistency, warnings}' >&2 || true
else
  virsh -q -c qemu:///system domfsthaw "$name" >/dev/null 2>&1 || true  # clear qemu-ga's stale "frozen"
fi
gsh "systemctl stop sp-probe"
stall=$(gsh "awk '{d=(\$2-\$1)/1e6; if (d>m) m=d} END {printf \"%.0f\", m}' /run/probe.log")
say "longest guest write stall: $stall ms"
gsh "cat /var/lib/stillpoint/last-report.json" | jq -c '{operation, result, maxFreezeSeconds, deadlineSource, freezeWindowMs, watchdog}' >&2
gsh "grep -E 'WATCHDOG' /var/log/stillpoint-guest.log | tail -3" >&2 || true
echo "$label stall_ms=$stall"
gsh "rm -rf /etc/stillpoint/hooks.d/10-sleep /run/probe.log /var/tmp/probe"
[ "${KEEP:-0}" = 1 ] || "$lab" down "$name" >&2
