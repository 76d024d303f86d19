#!/usr/bin/env bash
# File-level restore benchmark (not run in CI): seconds to list /etc and to restore one small file
# of a backup with `stillpoint files` / `restore --files` (isolated path: in-process NBD export +
# one libguestfs appliance under TCG), beside `restore --to --format raw` of the whole disk (the
# hand method's first step; mounting it would come on top).
#
# Usage: bench/files.sh [--size-mib 3072] [--runs 2] [--work /var/tmp/stillpoint-bench-files] [--keep]
#                       [--host-kernel-only]   (skip the appliance commands: e.g. a 16 GiB disk)
#
# The image is a GPT disk with one ext4 partition (made on the host without mounting:
# sfdisk + mkfs.ext4 -d -E offset=1MiB) holding a copy of the host's /etc, ~25% real files from
# /usr/share and /usr/lib, ~20% incompressible data, an /etc/fstab naming the root by UUID, and
# free space. A shut-off libvirt domain (defined, never started) gets it as its raw disk,
# `stillpoint backup` takes an offline full backup into a fresh encrypted repository, then the
# domain is undefined. Each run, in turn (JVM start and appliance launch included, repository in
# the page cache): files ID /etc; restore ID --files /etc/hostname --to DIR; the same two with
# --host-kernel (no appliance: qemu-storage-daemon + loop devices + host mounts); restore ID --to DIR
# --format raw.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
. "$root/scripts/lib.sh"

size_mib=3072 runs=2 work=/var/tmp/stillpoint-bench-files keep=false appliance=true
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    --host-kernel-only) appliance=false; shift ;;
    *) echo "usage: bench/files.sh [--size-mib N] [--runs N] [--work DIR] [--keep]" >&2; exit 2 ;;
  esac
done

sp="$root/stillpoint"
domain="sp-filesbench-$$"
cleanup() {
  virsh -q undefine "$domain" >/dev/null 2>&1 || true
  rm -rf "$work/repo" "$work/out" "$work/pw" "$work/tree"
  $keep || rm -rf "$work/disk.raw"
}
trap cleanup EXIT INT TERM
mkdir -p "$work"

disk="$work/disk.raw"
if [ ! -f "$disk" ] || [ "$(cat "$work/size_mib" 2>/dev/null)" != "$size_mib" ]; then
  tree="$work/tree"; rm -rf "$tree"; mkdir -p "$tree/usr" "$tree/data"
  cp -a /etc "$tree/etc" 2>/dev/null || true
  budget=$(( size_mib * 1024 * 1024 ))
  find /usr/lib /usr/share -xdev -type f -size -64M -printf '%s %p\n' 2>/dev/null | LC_ALL=C sort -k2 > "$work/allfiles" || true
  awk -v max=$(( budget / 4 )) '{ if (sum + $1 > max) exit; sum += $1; print $2 }' "$work/allfiles" > "$work/filelist"
  tar -cf - -T "$work/filelist" 2>/dev/null | tar -xf - -C "$tree/usr" || true
  n=$(( size_mib / 5 / 64 )); [ "$n" -lt 1 ] && n=1
  for i in $(seq 1 "$n"); do
    openssl enc -aes-256-ctr -nosalt -pass "pass:stillpoint-bench-$i" -pbkdf2 -in /dev/zero 2>/dev/null \
      | head -c $(( 64 * 1024 * 1024 )) > "$tree/data/blob$i.bin" || true
  done
  uuid=7c3f0a52-1d2e-4b6f-9a8b-3c4d5e6f7a8b
  printf 'UUID=%s / ext4 errors=remount-ro 0 1\n' "$uuid" > "$tree/etc/fstab"
  printf 'files-bench\n' > "$tree/etc/hostname"
  rm -f "$disk"; truncate -s "${size_mib}M" "$disk"
  printf 'label: gpt\nstart=2048, type=linux\n' | sfdisk -q "$disk"
  part_mib=$(( size_mib - 2 ))
  mkfs.ext4 -q -F -U "$uuid" -E offset=1048576,root_owner=0:0 -d "$tree" "$disk" "${part_mib}M"
  rm -rf "$tree"
  echo "$size_mib" > "$work/size_mib"
fi

"$sp" --version >/dev/null  # build the jar first, untimed
cat > "$work/domain.xml" <<XML
<domain type='qemu'>
  <name>$domain</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
XML
stillpoint_start_libvirt >/dev/null 2>&1 || true
virsh -q define "$work/domain.xml" >/dev/null
export STILLPOINT_PASSWORD=bench-files-secret
rm -rf "$work/repo"
"$sp" repo init --repo "$work/repo" >/dev/null
id=$("$sp" backup "$domain" --repo "$work/repo" --json | python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin][-1]["backupId"])')
virsh -q undefine "$domain" >/dev/null
cat "$work"/repo/data/*/* > /dev/null  # packs in the page cache for every step

seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
results="$work/results.tsv"
: > "$results"
for run in $(seq 1 "$runs"); do
  rm -rf "$work/out"; mkdir -p "$work/out"
  l=nan f=nan
  if $appliance; then
    l=$(seconds "$sp" files "$id" /etc --repo "$work/repo")
    f=$(seconds "$sp" restore "$id" --repo "$work/repo" --files /etc/hostname --to "$work/out/one")
    cmp "$work/out/one/etc/hostname" <(printf 'files-bench\n')
  fi
  hl=$(seconds "$sp" files "$id" /etc --repo "$work/repo" --host-kernel)
  hf=$(seconds "$sp" restore "$id" --repo "$work/repo" --files /etc/hostname --to "$work/out/host" --host-kernel)
  cmp "$work/out/host/etc/hostname" <(printf 'files-bench\n')
  w=$(seconds "$sp" restore "$id" --repo "$work/repo" --to "$work/out/disk" --format raw)
  cmp "$work"/out/disk/*.raw "$disk"
  rm -rf "$work/out"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$l" "$f" "$w" "$hl" "$hf" | tee -a "$results"
done

# what one file cost in repository reads (chunks decoded by the export), beside the backup's stored data
rm -rf "$work/out"
"$sp" restore "$id" --repo "$work/repo" --files /etc/hostname --to "$work/out/host" --host-kernel --json 2>/dev/null \
  | python3 -c 'import json,sys; s=[json.loads(l) for l in sys.stdin][-1]; print("one file read %d chunks (%.1f MiB) from the repository" % (s["repositoryChunks"], s["repositoryBytes"] / 1048576))'
"$sp" snapshots --repo "$work/repo" --json 2>/dev/null \
  | python3 -c 'import json,sys; s=[json.loads(l) for l in sys.stdin][0]; print("the whole disk: %.1f MiB allocated, %.1f MiB stored" % (s["allocatedBytes"] / 1048576, s["storedBytes"] / 1048576))'
rm -rf "$work/out"

python3 - "$results" "$size_mib" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
med = lambda i: statistics.median(float(x[i]) for x in rows)
print(f"{len(rows)} run(s), {sys.argv[2]} MiB disk, medians; load average {open('/proc/loadavg').read().split()[0]}")
print("run\tfiles /etc s\trestore --files one s\trestore whole disk s\t--host-kernel files /etc s\t--host-kernel restore one s")
for x in rows: print('\t'.join(x))
print(f"files ID /etc                     : {med(1):6.1f} s")
print(f"restore --files /etc/hostname     : {med(2):6.1f} s")
print(f"restore --to --format raw (disk)  : {med(3):6.1f} s")
print(f"files ID /etc --host-kernel       : {med(4):6.1f} s")
print(f"restore --files one --host-kernel : {med(5):6.1f} s")
print(f"one file / whole disk             : {med(2) / med(3):.2f} appliance, {med(5) / med(3):.2f} --host-kernel (goal < 0.1 on a 16 GiB disk)")
PY
