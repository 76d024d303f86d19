#!/usr/bin/env bash
# The I/O-frozen window beside qemu-ga's own freeze (issue 17, item 6). One lab guest (scripts/lab):
#   1. bare qemu-ga (no stillpoint-guest hook): N `stillpoint backup` runs; the host's freeze window
#      (guest-fsfreeze-freeze sent -> guest-fsfreeze-thaw returned, `freezeWindowMs`) is as long as
#      qemu-ga keeps the filesystems frozen, plus two round trips;
#   2. stillpoint-guest installed as qemu-ga's hook (no quiescer configured: the runner's own cost):
#      N runs; the guest's `ioFrozenMs` (end of the freeze hooks -> start of the thaw hook, which
#      qemu-ga runs after its FITHAW; guest clock) and the host's window again.
# Goal: median ioFrozenMs (2) within 100 ms of the median bare window (1).
#
# Usage (under the e2e lock): flock /work/e2e.lock bench/vm/freeze-io.sh [GUEST_JAR]
#   env: STILLPOINT_LAB_NAME (default sp-freezeio), RUNS (5), KEEP=1 keeps the domain,
#        STILLPOINT_CLI_JAR (default stillpoint-cli/target/stillpoint.jar)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
. "$here/scripts/lib.sh"
stillpoint_select_jdk
jar=$(realpath "${1:-$here/stillpoint-guest/target/stillpoint-guest.jar}")
name=${STILLPOINT_LAB_NAME:-sp-freezeio}
runs=${RUNS:-5}
lab="$here/scripts/lab"
cli=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "${STILLPOINT_CLI_JAR:-$here/stillpoint-cli/target/stillpoint.jar}")
labdir=${STILLPOINT_LAB_DIR:-/var/lib/stillpoint/lab}
work="$labdir/$name-work"
say() { echo "freeze-io: $*" >&2; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "?"; else if (NR % 2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

if ! virsh -q -c qemu:///system dominfo "$name" >/dev/null 2>&1; then
  say "booting $name"; "$lab" up "$name" --memory 1024 >&2
fi
rm -rf "$work"; mkdir -p "$work"; chmod 755 "$work"
"${cli[@]}" repo init --repo "$work/repo" --encryption none >/dev/null

backups() { # LABEL: RUNS backups, one summary JSON line each into $work/LABEL.jsonl
  : >"$work/$1.jsonl"
  for i in $(seq "$runs"); do
    "$lab" exec "$name" -- sh -c "dd if=/dev/urandom of=/var/tmp/freeze-io bs=1M count=4 conv=fsync status=none" >/dev/null
    "${cli[@]}" backup "$name" --repo "$work/repo" --work-dir "$work/w" --json 2>"$work/err.txt" | tail -1 >>"$work/$1.jsonl"
    say "$1 $i: $(tail -1 "$work/$1.jsonl" | jq -c '{mode, consistency, freezeWindowMs, ioFrozenMs, freeze: .phasesMs.freeze}')"
  done
}

"$lab" exec "$name" -- sh -c "rm -f /etc/qemu/fsfreeze-hook.d/* 2>/dev/null; true" >/dev/null
backups bare
say "installing stillpoint-guest ($jar) as qemu-ga's hook"
"$lab" install-runner "$name" "$jar" >&2
"$lab" exec "$name" -- sh -c "rm -f /etc/stillpoint/guest.conf /etc/stillpoint/apps.d/*.conf; rm -rf /etc/stillpoint/hooks.d/*" >/dev/null || true
backups hook

bare_win=$(jq -r '.freezeWindowMs' "$work/bare.jsonl" | median)
bare_call=$(jq -r '.phasesMs.freeze' "$work/bare.jsonl" | median)
hook_win=$(jq -r '.freezeWindowMs' "$work/hook.jsonl" | median)
hook_call=$(jq -r '.phasesMs.freeze' "$work/hook.jsonl" | median)
hook_io=$(jq -r '.ioFrozenMs' "$work/hook.jsonl" | median)
echo "| median of $runs | bare qemu-ga | qemu-ga + stillpoint-guest hook |"
echo "|---|---|---|"
echo "| guest-fsfreeze-freeze call (host) | $bare_call ms | $hook_call ms |"
echo "| freeze window: freeze sent -> thaw returned (host) | $bare_win ms | $hook_win ms |"
echo "| I/O frozen (guest: hooks done -> thaw hook started) | (<= $bare_win ms) | $hook_io ms |"
echo "goal: I/O frozen with the hook - bare window = $(( hook_io - bare_win )) ms (<= 100 ms)"
[ "${KEEP:-0}" = 1 ] || "$lab" down "$name" >&2
