#!/usr/bin/env bash
# VM backup benchmark (not run in CI): Stillpoint beside virtnbdbackup on the SAME lab guest, one run.
#
# Usage: bench/vm/run.sh [--name NAME] [--write-mib N] [--rows N] [--no-hook] [--no-restore] [--keep]
#   --name NAME    lab guest name (default sp-vmbench-1)
#   --write-mib N  MiB written in the guest (dd from /dev/urandom, fsync) before each incremental (50)
#   --rows N       PostgreSQL rows inserted before each incremental, ~270 B each (20000)
#   --no-hook      do not install stillpoint-guest as qemu-ga's freeze hook (plain fsfreeze for both)
#   --no-restore   skip the two restores
#   --keep         keep the work directory (repository and its passphrase file, virtnbdbackup output, logs, restored disks)
#
# Order (one guest, sequential, so both tools see the same disk, the same host load pattern and
# the same freeze path): virtnbdbackup cannot share a domain with checkpoints it did not create
# ("Foreign checkpoint found"), while Stillpoint coexists with others' checkpoints but must never
# delete them. So:
#   1. boot the guest, install stillpoint-guest as the qemu-ga hook (PostgreSQL quiescer on; with it
#      BOTH tools' guest-fsfreeze-freeze runs the same hooks), create a table
#   2. virtnbdbackup full; write W (dd N MiB + insert a batch of rows); virtnbdbackup incremental
#   3. this script deletes virtnbdbackup's checkpoints (virsh checkpoint-delete, bitmaps included;
#      not --metadata, which would leave the bitmaps in the qcow2) -- the bench may, the product not
#   4. Stillpoint full; write W again (same amount, new file, new rows); Stillpoint incremental
#   5. restores of the last point: `stillpoint restore ID --to DIR` and `virtnbdrestore -i -o`
# Stillpoint's full therefore sees the disk W larger than virtnbdbackup's full (the table shows
# both fulls' bytes read). Dirty bytes are libvirt's own estimate of the incremental's source
# checkpoint (`virsh checkpoint-dumpxml --size`), taken right before each incremental.
#
# Measured per step, each under /usr/bin/time -v: wall time, bytes read (Stillpoint: JSON
# `bytesRead`; virtnbdbackup: its log line "N bytes of data extents to backup"), throughput =
# bytes read / wall time (JVM start and python start included), peak RSS, stored size on disk
# (du of the repository incl. its catalog vs du of virtnbdbackup's output dir), freeze window
# (Stillpoint: `freezeWindowMs`; virtnbdbackup: "freeze sent" -> "Thawed" in its log, written with
# millisecond timestamps by bench/vm/virtnbdbackup-timed.py, which runs virtnbdbackup unchanged).
# Both use their defaults: Stillpoint encrypts (AES-256-GCM), compresses (zstd) and dedups;
# virtnbdbackup writes its uncompressed sparse stream. Everything created is removed on exit,
# Ctrl-C and SIGTERM (`scripts/lab down`, temp dir), unless --keep.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
. scripts/lib.sh

name=sp-vmbench-1 write_mib=50 rows=20000 hook=true restore=true keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --write-mib) write_mib=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --no-hook) hook=false; shift ;;
    --no-restore) restore=false; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "vmbench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$write_mib" =~ ^[1-9][0-9]*$ ]] || { echo "vmbench: --write-mib '$write_mib' must be a positive number" >&2; exit 2; }
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || { echo "vmbench: --rows '$rows' must be a positive number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "vmbench: run as root (it defines libvirt domains)" >&2; exit 1; }

say() { printf '==> %s\n' "$*" >&2; }
die() { echo "vmbench: FAILED: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
v() { virsh -q -c qemu:///system "$@"; }

work=$(mktemp -d /var/tmp/stillpoint-vmbench.XXXXXX)
chmod 0755 "$work"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  say "cleaning up"
  scripts/lab down "$name" >/dev/null 2>&1 || echo "vmbench: 'scripts/lab down $name' failed" >&2
  if $keep; then echo "vmbench: work files kept in $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "host packages, JDK 25, libvirt (load average: $load_start)"
command -v virtnbdbackup >/dev/null || stillpoint_apt virtnbdbackup
[ -x /usr/bin/time ] || stillpoint_apt time
command -v jq >/dev/null || stillpoint_apt jq
stillpoint_select_jdk
stillpoint_start_libvirt
vnb_version=$(virtnbdbackup -V 2>&1 | tail -1)

guest_jar="$root/stillpoint-guest/target/stillpoint-guest.jar"
if [ ! -f "$guest_jar" ]; then
  say "building stillpoint-guest"
  ./mvnw -B -q -ntp -DskipTests -pl stillpoint-guest -am package 2>&1 | { grep -v '^WARNING' || true; } >&2
fi
"$root/stillpoint" --version >/dev/null  # the launcher builds the CLI jar when sources changed
[ -f "$guest_jar" ] || die "no $guest_jar after the build"
image=$(scripts/guest-image)
say "guest image $image"

say "booting $name"
scripts/lab up "$name" --replace
if $hook; then
  printf '# written by bench/vm/run.sh\n[app "postgresql"]\n' >"$work/guest.conf"
  scripts/lab exec "$name" -- mkdir -p /etc/stillpoint >/dev/null
  scripts/lab push "$name" "$work/guest.conf" /etc/stillpoint/guest.conf
  scripts/lab install-runner "$name" "$guest_jar"
fi
psql_in() { scripts/lab exec "$name" -- runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -Atc "$1"; }
for i in $(seq 1 120); do psql_in 'select 1' >/dev/null 2>&1 && break; sleep 1; [ "$i" -lt 120 ] || die "PostgreSQL did not answer within 120 s"; done
psql_in "create table bench(id bigserial primary key, payload text not null)" >/dev/null

# write_data TAG: the known write before each incremental (same amount both times)
write_data() {
  scripts/lab exec "$name" --timeout 600 -- dd if=/dev/urandom of="/var/tmp/bench-$1" bs=1M count="$write_mib" conv=fsync status=none >/dev/null
  psql_in "insert into bench(payload) select md5(g::text) || repeat('$1', 200) from generate_series(1, $rows) g" >/dev/null
  psql_in "checkpoint" >/dev/null
  scripts/lab exec "$name" -- sync >/dev/null
}
# dirty_bytes CHECKPOINT: libvirt's estimate of the bytes changed since CHECKPOINT (all disks)
dirty_bytes() {
  v checkpoint-dumpxml "$name" "$1" --size | sed -n "s/.*<disk [^>]*size='\([0-9]*\)'.*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
du_bytes() { du -sB1 "$1" | cut -f1; }
# timed STEP CMD...: runs CMD under /usr/bin/time -v, stdout to $work/STEP.out, stderr to $work/STEP.err
declare -A wall rss
timed() {
  local step=$1 t0 rc=0; shift
  t0=$(now_ms)
  /usr/bin/time -v -o "$work/$step.time" "$@" >"$work/$step.out" 2>"$work/$step.err" || rc=$?
  wall[$step]=$(( $(now_ms) - t0 ))
  rss[$step]=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$step.time")
  [ "$rc" -eq 0 ] || { tail -20 "$work/$step.err" >&2; die "$step failed (exit $rc; output in $work/$step.out, $work/$step.err)"; }
}
declare -A bytes_read stored freeze freeze_call dirty

# --- virtnbdbackup ---------------------------------------------------------------------------
vnb_dir="$work/virtnbdbackup"
vnb=("$here/virtnbdbackup-timed.py" -d "$name" -o "$vnb_dir" --noprogress)
# vnb_figures STEP LEVEL: bytes read and freeze window from the log of that run
vnb_figures() {
  local log
  log=$(ls -t "$vnb_dir"/backup."$2".*.log | head -1)
  bytes_read[$1]=$(sed -n 's/.* \([0-9]*\) bytes of data extents to backup.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
  freeze[$1]=$(awk '/bench: freeze sent/ { s = $1 } /Thawed \[/ && s { printf "%d", ($1 - s) * 1000; exit }' "$log")
  [ -n "${freeze[$1]}" ] || freeze[$1]="none logged"
  freeze_call[$1]=$(awk '/bench: freeze sent/ { s = $1 } /Freezed \[/ && s { printf "%d", ($1 - s) * 1000; exit }' "$log")
}
say "virtnbdbackup full"
timed vnb_full "${vnb[@]}" -l full
vnb_figures vnb_full full
stored[vnb_full]=$(du_bytes "$vnb_dir")
say "writing ${write_mib} MiB + $rows rows"
write_data vnb
dirty[vnb_incr]=$(dirty_bytes virtnbdbackup.0)
say "virtnbdbackup incremental"
timed vnb_incr "${vnb[@]}" -l inc
vnb_figures vnb_incr inc
stored[vnb_incr]=$(du_bytes "$vnb_dir")

say "deleting virtnbdbackup's checkpoints (bench only; Stillpoint itself never deletes them)"
mapfile -t vnb_cps < <(v checkpoint-list "$name" --name | grep '^virtnbdbackup\.' | sort -t. -k2,2nr)
for cp in "${vnb_cps[@]}"; do v checkpoint-delete "$name" "$cp" >/dev/null; done

# --- Stillpoint ------------------------------------------------------------------------------
export STILLPOINT_PASSWORD
STILLPOINT_PASSWORD="vmbench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
# with --keep the repository stays: keep its passphrase beside it (mode 600) so it can be opened again
if $keep; then (umask 077; printf '%s\n' "$STILLPOINT_PASSWORD" > "$work/repository.password"); fi
repo="$work/repository"
sp="$root/stillpoint"
"$sp" repo init --repo "$repo" >/dev/null
summary_of() { jq -c -s '[.[] | objects | select(.type == "summary")] | last' "$1"; }
declare -A summary
sp_figures() {
  summary[$1]=$(summary_of "$work/$1.out")
  bytes_read[$1]=$(jq -r '.bytesRead' <<<"${summary[$1]}")
  freeze[$1]=$(jq -r '.freezeWindowMs' <<<"${summary[$1]}")
  freeze_call[$1]=$(jq -r '.phasesMs.freeze' <<<"${summary[$1]}")
  stored[$1]=$(du_bytes "$repo")
}
say "Stillpoint full"
timed sp_full "$sp" backup "$name" --repo "$repo" --full --json
sp_figures sp_full
say "writing ${write_mib} MiB + $rows rows"
write_data sp
dirty[sp_incr]=$(dirty_bytes "$(jq -r '.checkpoint' <<<"${summary[sp_full]}")")
say "Stillpoint incremental"
timed sp_incr "$sp" backup "$name" --repo "$repo" --json
sp_figures sp_incr
[ "$(jq -r '.mode' <<<"${summary[sp_incr]}")" = incremental ] || die "Stillpoint's second backup was not incremental: ${summary[sp_incr]}"

# --- restores --------------------------------------------------------------------------------
if $restore; then
  say "restores of the last point (Stillpoint: --to DIR, qcow2; virtnbdrestore: full + incremental replay)"
  timed sp_restore "$sp" restore "$(jq -r '.backupId' <<<"${summary[sp_incr]}")" --repo "$repo" --to "$work/restore-sp" --json
  timed vnb_restore virtnbdrestore -i "$vnb_dir" -o "$work/restore-vnb" -n -L "$work/virtnbdrestore.log"
  for f in "$work"/restore-sp/*.qcow2 "$work"/restore-vnb/vda*; do
    [ -f "$f" ] && { qemu-img check -q "$f" || die "qemu-img check failed on $f"; }
  done
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- table -----------------------------------------------------------------------------------
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
sec() { awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }
rate() { awk -v b="$1" -v ms="$2" 'BEGIN { r = 0; if (ms > 0) r = b / 1e3 / ms; printf "%.1f MB/s", r }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a ~ /^[0-9.]+$/) printf "%.2fx", a / b; else print "-" }'; }
ms_or() { [[ "$1" =~ ^[0-9]+$ ]] && echo "$1 ms" || echo "$1"; }
after_freeze() { [[ "${freeze[$1]}" =~ ^[0-9]+$ && "${freeze_call[$1]}" =~ ^[0-9]+$ ]] && echo $(( freeze[$1] - freeze_call[$1] )) || echo "-"; }
row() { printf '| %-36s | %-20s | %-20s | %-8s |\n' "$@"; }
echo
echo "VM backup benchmark: Stillpoint vs virtnbdbackup $vnb_version, guest $name ($(date -u +%FT%TZ))"
echo "host: $(nproc) cores, load average $load_start at start, $load_end at end; hook: $($hook && echo 'stillpoint-guest + PostgreSQL quiescer' || echo 'none (plain fsfreeze)')"
echo "write before each incremental: dd ${write_mib} MiB + $rows PostgreSQL rows; ratio = Stillpoint / virtnbdbackup"
echo
row "" "Stillpoint" "virtnbdbackup" "ratio"
row "------------------------------------" "--------------------" "--------------------" "--------"
row "full: wall time" "$(sec "${wall[sp_full]}")" "$(sec "${wall[vnb_full]}")" "$(ratio "${wall[sp_full]}" "${wall[vnb_full]}")"
row "full: bytes read" "$(mb "${bytes_read[sp_full]}")" "$(mb "${bytes_read[vnb_full]}")" "$(ratio "${bytes_read[sp_full]}" "${bytes_read[vnb_full]}")"
row "full: throughput (read / wall)" "$(rate "${bytes_read[sp_full]}" "${wall[sp_full]}")" "$(rate "${bytes_read[vnb_full]}" "${wall[vnb_full]}")" \
  "$(ratio "$(( bytes_read[sp_full] * 1000 / wall[sp_full] ))" "$(( bytes_read[vnb_full] * 1000 / wall[vnb_full] ))")"
row "full: stored on disk" "$(mb "${stored[sp_full]}")" "$(mb "${stored[vnb_full]}")" "$(ratio "${stored[sp_full]}" "${stored[vnb_full]}")"
row "full: freeze window" "$(ms_or "${freeze[sp_full]}")" "$(ms_or "${freeze[vnb_full]}")" "$(ratio "${freeze[sp_full]}" "${freeze[vnb_full]}")"
row "  of it: freeze call (sent->frozen)" "$(ms_or "${freeze_call[sp_full]}")" "$(ms_or "${freeze_call[vnb_full]}")" "$(ratio "${freeze_call[sp_full]}" "${freeze_call[vnb_full]}")"
row "  of it: frozen->thaw returned" "$(ms_or "$(after_freeze sp_full)")" "$(ms_or "$(after_freeze vnb_full)")" "$(ratio "$(after_freeze sp_full)" "$(after_freeze vnb_full)")"
row "full: peak RSS" "$(mib "${rss[sp_full]}")" "$(mib "${rss[vnb_full]}")" "$(ratio "${rss[sp_full]}" "${rss[vnb_full]}")"
row "incr: wall time" "$(sec "${wall[sp_incr]}")" "$(sec "${wall[vnb_incr]}")" "$(ratio "${wall[sp_incr]}" "${wall[vnb_incr]}")"
row "incr: dirty (libvirt estimate)" "$(mb "${dirty[sp_incr]}")" "$(mb "${dirty[vnb_incr]}")" "$(ratio "${dirty[sp_incr]}" "${dirty[vnb_incr]}")"
row "incr: bytes read" "$(mb "${bytes_read[sp_incr]}")" "$(mb "${bytes_read[vnb_incr]}")" "$(ratio "${bytes_read[sp_incr]}" "${bytes_read[vnb_incr]}")"
row "incr: bytes read / dirty" "$(ratio "${bytes_read[sp_incr]}" "${dirty[sp_incr]}")" "$(ratio "${bytes_read[vnb_incr]}" "${dirty[vnb_incr]}")" ""
row "incr: throughput (read / wall)" "$(rate "${bytes_read[sp_incr]}" "${wall[sp_incr]}")" "$(rate "${bytes_read[vnb_incr]}" "${wall[vnb_incr]}")" \
  "$(ratio "$(( bytes_read[sp_incr] * 1000 / wall[sp_incr] ))" "$(( bytes_read[vnb_incr] * 1000 / wall[vnb_incr] ))")"
row "incr: added on disk" "$(mb $(( stored[sp_incr] - stored[sp_full] )))" "$(mb $(( stored[vnb_incr] - stored[vnb_full] )))" \
  "$(ratio $(( stored[sp_incr] - stored[sp_full] )) $(( stored[vnb_incr] - stored[vnb_full] )))"
row "full + incr: stored on disk" "$(mb "${stored[sp_incr]}")" "$(mb "${stored[vnb_incr]}")" "$(ratio "${stored[sp_incr]}" "${stored[vnb_incr]}")"
row "incr: freeze window" "$(ms_or "${freeze[sp_incr]}")" "$(ms_or "${freeze[vnb_incr]}")" "$(ratio "${freeze[sp_incr]}" "${freeze[vnb_incr]}")"
row "  of it: freeze call (sent->frozen)" "$(ms_or "${freeze_call[sp_incr]}")" "$(ms_or "${freeze_call[vnb_incr]}")" "$(ratio "${freeze_call[sp_incr]}" "${freeze_call[vnb_incr]}")"
row "  of it: frozen->thaw returned" "$(ms_or "$(after_freeze sp_incr)")" "$(ms_or "$(after_freeze vnb_incr)")" "$(ratio "$(after_freeze sp_incr)" "$(after_freeze vnb_incr)")"
row "incr: peak RSS" "$(mib "${rss[sp_incr]}")" "$(mib "${rss[vnb_incr]}")" "$(ratio "${rss[sp_incr]}" "${rss[vnb_incr]}")"
if $restore; then
  row "restore last point: wall time" "$(sec "${wall[sp_restore]}")" "$(sec "${wall[vnb_restore]}")" "$(ratio "${wall[sp_restore]}" "${wall[vnb_restore]}")"
  row "restore last point: peak RSS" "$(mib "${rss[sp_restore]}")" "$(mib "${rss[vnb_restore]}")" "$(ratio "${rss[sp_restore]}" "${rss[vnb_restore]}")"
fi
echo
echo "Stillpoint: consistency $(jq -r '.consistency' <<<"${summary[sp_full]}") / $(jq -r '.consistency' <<<"${summary[sp_incr]}"), job durationMs $(jq -r '.durationMs' <<<"${summary[sp_full]}") / $(jq -r '.durationMs' <<<"${summary[sp_incr]}") (full / incr; wall time above adds the JVM start)"
echo "freeze window: freeze sent -> thaw returned (both include the in-guest hooks when installed); frozen->thaw returned"
echo "  = starting the backup job (+ checkpoint) + the thaw call; Stillpoint's in-guest figure (guestFreezeWindowMs):"
echo "  $(jq -r '.guestFreezeWindowMs' <<<"${summary[sp_full]}") / $(jq -r '.guestFreezeWindowMs' <<<"${summary[sp_incr]}") ms (full / incr)"
