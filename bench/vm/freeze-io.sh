#!/usr/bin/env bash
# The I/O-frozen window beside qemu-ga's own freeze (issue 17, item 6). One lab guest (scripts/lab):
#   1. bare qemu-ga (no hook): N `stillpoint backup` runs; the host's freeze window
#      (guest-fsfreeze-freeze sent -> guest-fsfreeze-thaw returned, `freezeWindowMs`) is as long as
#      qemu-ga keeps the filesystems frozen, plus two round trips;
#   2. stillpoint-guest installed as qemu-ga's hook (no quiescer configured: the runner's own cost):
#      N runs; the guest's `ioFrozenMs` (`ioFrozenBy` hook-script: the hook script's clock after the
#      freeze JVM exited, before qemu-ga's FIFREEZE, to its clock on its first line at thaw, which
#      qemu-ga runs after its FITHAW; no JVM in it) and the host's window again;
#   3. the same qemu-ga with a hook that only reads that clock (the installed wrapper's own clock()
#      function, no JVM at all): N runs; the same bracket around bare qemu-ga's FIFREEZE..FITHAW.
#   Then the thaw hook's JVM start in the guest (a no-op thaw: nothing frozen), with and without the
#   class-data-sharing archive the installer wrote (RUNS each).
# Goal: median ioFrozenMs (2) within 100 ms of bare qemu-ga: of the host's bare window (1), and of the
# same-method guest bracket (3).
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

say "replacing the hook by its clock readings alone (the wrapper's clock() function, no JVM)"
"$lab" exec "$name" -- sh -c '
  h=/etc/qemu/fsfreeze-hook; cp $h /run/sp-freezeio-hook.orig
  { echo "#!/bin/sh"; sed -n "/^clock() {/,/^}/p" $h
    echo "[ \"\$1\" = thaw ] && { clock; echo \"thaw \$CLOCK\" >>/run/sp-freezeio-clock.log; }"
    echo "[ \"\$1\" = freeze ] && { clock; echo \"freeze \$CLOCK\" >>/run/sp-freezeio-clock.log; }"
    echo "exit 0"; } >$h.new && chmod 755 $h.new && mv $h.new $h; rm -f /run/sp-freezeio-clock.log' >/dev/null
backups clock
"$lab" exec "$name" -- cat /run/sp-freezeio-clock.log >"$work/clock.log"
"$lab" exec "$name" -- sh -c 'cp /run/sp-freezeio-hook.orig /etc/qemu/fsfreeze-hook' >/dev/null

say "the thaw hook's JVM start in the guest (no-op thaw), with and without the CDS archive"
"$lab" exec "$name" -- sh -c '
  h=/etc/qemu/fsfreeze-hook; jsa=/usr/local/lib/stillpoint/stillpoint-guest.jsa
  t() { read -r a _ </proc/uptime; sh $h thaw >/dev/null 2>&1; read -r b _ </proc/uptime
        echo "$1 $(( ${b%.*}${b#*.} - ${a%.*}${a#*.} ))0"; }
  [ -f $jsa ] || echo "no-archive-installed 0"
  for i in $(seq '"$runs"'); do t with-cds; done
  [ -f $jsa ] && mv $jsa $jsa.off
  for i in $(seq '"$runs"'); do t without-cds; done
  [ -f $jsa.off ] && mv $jsa.off $jsa; true' >"$work/jvm.txt"

bare_win=$(jq -r '.freezeWindowMs' "$work/bare.jsonl" | median)
bare_call=$(jq -r '.phasesMs.freeze' "$work/bare.jsonl" | median)
hook_win=$(jq -r '.freezeWindowMs' "$work/hook.jsonl" | median)
hook_call=$(jq -r '.phasesMs.freeze' "$work/hook.jsonl" | median)
hook_io=$(jq -r '.ioFrozenMs' "$work/hook.jsonl" | median)
hook_by=$(jq -r '.ioFrozenBy' "$work/hook.jsonl" | sort | uniq -c | tr -s ' ' | paste -sd, -)
hook_rng=$(jq -r '.ioFrozenMs' "$work/hook.jsonl" | sort -n | sed -n '1p;$p' | paste -sd- -)
clock_win=$(jq -r '.freezeWindowMs' "$work/clock.jsonl" | median)
clock_call=$(jq -r '.phasesMs.freeze' "$work/clock.jsonl" | median)
# pairs "freeze CLOCK N" then "thaw CLOCK N" -> ms (rounded up, as the runner does)
clock_ms() { awk '$1 == "freeze" {f = $3} $1 == "thaw" && f != "" {print int(($3 - f + 999999) / 1000000); f = ""}' "$work/clock.log"; }
clock_io=$(clock_ms | median)
clock_rng=$(clock_ms | sort -n | sed -n '1p;$p' | paste -sd- -)
clock_src=$(awk '{print $2}' "$work/clock.log" | sort -u | paste -sd, -)
jvm_with=$(awk '$1 == "with-cds" {print $2}' "$work/jvm.txt" | median)
jvm_without=$(awk '$1 == "without-cds" {print $2}' "$work/jvm.txt" | median)
echo "| median of $runs | bare qemu-ga | qemu-ga + stillpoint-guest hook | qemu-ga + clock-only hook |"
echo "|---|---|---|---|"
echo "| guest-fsfreeze-freeze call (host) | $bare_call ms | $hook_call ms | $clock_call ms |"
echo "| freeze window: freeze sent -> thaw returned (host) | $bare_win ms | $hook_win ms | $clock_win ms |"
echo "| I/O frozen (guest, hook script's clock: freeze hook exited -> thaw hook's first line) | (<= $bare_win ms) | $hook_io ms ($hook_rng) | $clock_io ms ($clock_rng) |"
echo "ioFrozenBy: $hook_by; clock: $clock_src"
echo "goal: I/O frozen with the hook - bare host window = $(( hook_io - bare_win )) ms; - clock-only bracket = $(( hook_io - clock_io )) ms (<= 100 ms)"
echo "thaw hook JVM start in the guest (no-op thaw, /proc/uptime, median of $runs): with CDS archive $jvm_with ms, without $jvm_without ms"
[ "${KEEP:-0}" = 1 ] || "$lab" down "$name" >&2
