#!/usr/bin/env bash
# Recovery benchmark (not run in CI), on one lab guest: how soon a restore point answers, three ways.
#   restore --define --start   every byte copied out of the repository, then boot
#   restore --instant          boot at once on overlays over a repository export; block pulls behind it
#   verify --boot              an isolated throwaway boot of the point, checked, then destroyed
# Reported: seconds from the command to the restored guest's agent answering (guest-ping), the
# time until the instant recovery's disks are its own, and the verification's boot-to-agent and
# total. Under TCG a boot itself takes 20-45 s: compare the columns, not the absolute figures.
# --big: the issue's second size, the guest's disk grown online to 16 GiB and filled to ~4 GiB of
# data (incompressible: the repository stores all of it, the full restore copies all of it).
# Usage: bench/vm/recovery.sh [--name NAME] [--keep] [--big]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
name=sp-recbench-1 keep=false big=false
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    --big) big=true; shift ;;
    *) echo "usage: bench/vm/recovery.sh [--name NAME] [--keep] [--big]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d /var/tmp/stillpoint-recbench.XXXXXX)
chmod 0755 "$work"
export STILLPOINT_STATE_DIR="$work/state"
export STILLPOINT_PASSWORD="recbench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
sp="$root/stillpoint"
cleanup() {
  trap - EXIT INT TERM
  "$sp" instant abort "$name-instant" >/dev/null 2>&1 || true
  for d in "$name-full" "$name-instant" "$name"; do scripts/lab down "$d" >/dev/null 2>&1 || true; done
  $keep || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

"$sp" --version >/dev/null
scripts/lab up "$name" --replace >/dev/null
if $big; then
  # ext4 lies on the whole of vda: grow the disk, then the filesystem, online; then ~3.3 GiB of
  # random data beside the ~0.8 GiB the image holds
  virsh -q blockresize "$name" vda 16G >/dev/null
  scripts/lab exec "$name" -- resize2fs /dev/vda >/dev/null
  t_fill=$(now_ms)
  scripts/lab exec "$name" --timeout 3600 -- sh -c 'head -c 3300M /dev/urandom > /var/tmp/bench-data && sync' >/dev/null
  echo "filled the guest's disk in $(secs $(( $(now_ms) - t_fill ))) s" >&2
fi
"$sp" repo init --repo "$work/repo" >/dev/null
t_backup=$(now_ms)
id=$("$sp" backup "$name" --repo "$work/repo" --json | jq -r 'select(.type == "summary") | .backupId')
echo "backup $id in $(secs $(( $(now_ms) - t_backup ))) s" >&2
size=$("$sp" backups --repo "$work/repo" --json | jq -r "select(.type == \"backup\" and .backupId == \"$id\") | .diskSize")
read_bytes=$("$sp" backups --repo "$work/repo" --json | jq -r "select(.type == \"backup\" and .backupId == \"$id\") | .bytesRead")
virsh -q destroy "$name" >/dev/null   # its serial log is then free for the restored copies

t0=$(now_ms)
"$sp" restore "$id" --repo "$work/repo" --to "$work" --define "$name-full" --start --json >/dev/null
t_defined=$(now_ms)
scripts/lab wait-agent "$name-full" --timeout 600 >/dev/null
full_agent=$(( $(now_ms) - t0 )); full_copy=$(( t_defined - t0 ))
scripts/lab down "$name-full" >/dev/null

t0=$(now_ms)
"$sp" restore "$id" --repo "$work/repo" --to "$work" --define "$name-instant" --instant --json >/dev/null
t_defined=$(now_ms)
scripts/lab wait-agent "$name-instant" --timeout 600 >/dev/null
inst_agent=$(( $(now_ms) - t0 )); inst_start=$(( t_defined - t0 ))
"$sp" instant finish "$name-instant" --json >/dev/null
inst_done=$(( $(now_ms) - t0 ))
scripts/lab down "$name-instant" >/dev/null

t0=$(now_ms)
v=$("$sp" verify "$id" --boot --repo "$work/repo" --work-dir "$work" --json | jq -c 'select(.type == "verification")')
verify_all=$(( $(now_ms) - t0 ))

printf '\nrecovery of backup %s (disk %s bytes, %s bytes of data), seconds from the command\n' "$id" "$size" "$read_bytes"
printf '  %-28s %8s %12s %14s\n' "way" "started" "agent" "own files"
printf '  %-28s %8s %12s %14s\n' "restore --define --start" "$(secs $full_copy)" "$(secs $full_agent)" "$(secs $full_copy)"
printf '  %-28s %8s %12s %14s\n' "restore --instant" "$(secs $inst_start)" "$(secs $inst_agent)" "$(secs $inst_done)"
printf '  %-28s %8s %12s %14s\n' "verify --boot ($(jq -r 'if .passed then "passed" else "failed" end' <<<"$v"))" "-" \
  "$(secs "$(jq -r '.bootToAgentMs // 0' <<<"$v")")*" "total $(secs $verify_all)"
echo "  * boot-to-agent from virDomainCreate"
