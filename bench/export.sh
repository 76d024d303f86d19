#!/usr/bin/env bash
# NBD export benchmark (not run in CI): read throughput of `stillpoint export` with
# `qemu-img convert -O raw` from the export, beside `stillpoint restore --to --format raw` of the
# same backup, and the export's peak RSS.
#
# Usage: bench/export.sh [--size-mib 3072] [--runs 3] [--work /var/tmp/stillpoint-bench-export] [--keep]
#
# The dataset is bench/make-dataset.sh's base.raw (ext4 with real files, incompressible and
# compressible data, free space). A shut-off libvirt domain (defined, never started) gets it as its
# raw disk, `stillpoint backup` takes an offline full backup into a fresh encrypted repository
# (the catalog backup id the export needs), then the domain is undefined again. Each run, in turn:
#   restore  /usr/bin/time -v stillpoint restore ID --to DIR --format raw   (JVM start included)
#   export   stillpoint export ID --json in the background; once its ready line is out:
#            /usr/bin/time -v qemu-img convert -f raw -O raw nbd+unix:///vda?socket=... OUT
#            (the export's start is not timed: it is a server; its VmHWM is read from /proc)
# Both outputs are compared with base.raw. Every step starts with the repository in the page
# cache (read once after the backup). Reported: medians of MB/s (10^6 bytes of the logical image
# per second), export/restore ratio (goal >= 0.9) and peak RSS of each.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
. "$root/scripts/lib.sh"

size_mib=3072 runs=3 work=/var/tmp/stillpoint-bench-export keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    *) echo "usage: bench/export.sh [--size-mib N] [--runs N] [--work DIR] [--keep]" >&2; exit 2 ;;
  esac
done

sp="$root/stillpoint"
domain="sp-exportbench-$$"
export_pid=""
cleanup() {
  [ -n "$export_pid" ] && kill "$export_pid" 2>/dev/null && wait "$export_pid" 2>/dev/null || true
  virsh -q undefine "$domain" >/dev/null 2>&1 || true
  rm -rf "$work/repo" "$work/out" "$work/restored" "$work/pw"
  $keep || rm -rf "$work/data"
}
trap cleanup EXIT INT TERM

mkdir -p "$work/out"
"$here/make-dataset.sh" "$work/data" "$size_mib" >/dev/null
base="$work/data/base.raw"
"$sp" --version >/dev/null  # build the jar first, untimed

cat > "$work/domain.xml" <<XML
<domain type='qemu'>
  <name>$domain</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$base'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
XML
stillpoint_start_libvirt >/dev/null 2>&1 || true
virsh -q define "$work/domain.xml" >/dev/null
printf 'bench-export-secret\n' > "$work/pw"
export STILLPOINT_PASSWORD=bench-export-secret
"$sp" repo init --repo "$work/repo" >/dev/null
id=$("$sp" backup "$domain" --repo "$work/repo" --json | python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin][-1]["backupId"])')
virsh -q undefine "$domain" >/dev/null
cat "$work"/repo/data/*/* > /dev/null  # packs in the page cache for every step

results="$work/results.tsv"
: > "$results"
for run in $(seq 1 "$runs"); do
  rm -rf "$work/restored"
  /usr/bin/time -v -o "$work/restore.time" "$sp" restore "$id" --repo "$work/repo" --to "$work/restored" --format raw >/dev/null
  restored=$(ls "$work"/restored/*.raw)
  cmp "$restored" "$base"
  r_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/restore.time")
  r_rss=$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$work/restore.time")
  r_cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/restore.time")
  rm -rf "$work/restored"

  fifo="$work/ready.fifo"; rm -f "$fifo"; mkfifo "$fifo"
  "$sp" export "$id" --repo "$work/repo" --json > "$fifo" &
  export_pid=$!
  exec 3< "$fifo"
  read -r ready <&3
  uri=$(printf '%s' "$ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["exports"][0]["uri"])')
  java_pid=$(pgrep -P "$export_pid" java || echo "$export_pid")  # the launcher execs java: same pid
  rm -f "$work/out/export.raw"
  /usr/bin/time -v -o "$work/convert.time" qemu-img convert -f raw -O raw "$uri" "$work/out/export.raw"
  e_rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$java_pid/status")
  e_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$java_pid/stat")
  kill "$export_pid"; wait "$export_pid" 2>/dev/null || true; export_pid=""
  exec 3<&-; rm -f "$fifo"
  cmp "$work/out/export.raw" "$base"
  e_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/convert.time")
  c_cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/convert.time")
  rm -f "$work/out/export.raw"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$r_s" "$r_rss" "$e_s" "$e_rss" "$r_cpu" "$e_cpu" "$c_cpu" | tee -a "$results"
done

python3 - "$results" "$size_mib" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
mb = int(sys.argv[2]) * 1024 * 1024 / 1e6
r = statistics.median(float(x[1]) for x in rows); e = statistics.median(float(x[3]) for x in rows)
print(f"{len(rows)} run(s), {sys.argv[2]} MiB image, medians; load average {open('/proc/loadavg').read().split()[0]}")
print("run\trestore s\trestore RSS MiB\tconvert s\texport RSS MiB\trestore CPU s\texport CPU s\tqemu-img CPU s")
for x in rows: print('\t'.join(x))
print(f"restore --to --format raw : {r:6.2f} s  {mb / r:7.1f} MB/s  peak RSS {max(int(x[2]) for x in rows)} MiB")
print(f"qemu-img convert (export) : {e:6.2f} s  {mb / e:7.1f} MB/s  export peak RSS {max(int(x[4]) for x in rows)} MiB")
print(f"export / restore throughput: {r / e:.2f}x (goal >= 0.9x); CPU s: restore {statistics.median(float(x[5]) for x in rows):.2f}, "
      f"export server {statistics.median(float(x[6]) for x in rows):.2f} + qemu-img {statistics.median(float(x[7]) for x in rows):.2f}")
PY
