#!/usr/bin/env bash
# Builds the benchmark dataset deterministically (same bytes on every run on the same OS image):
#   base.raw    SIZE_MIB raw disk image holding an ext4 filesystem with
#               ~25% real files (sorted from /usr/lib and /usr/share), ~20% incompressible data
#               (AES-CTR keystream of a fixed key), ~20% compressible text (seeded generator),
#               and the rest free space (never written, zero)
#   changed.raw a copy of base.raw in which ~2% of the 1 MiB blocks are rewritten (seeded choice,
#               seeded random content)
# Usage: make-dataset.sh OUT_DIR [SIZE_MIB]   (default 4096)
set -euo pipefail
out=${1:?usage: make-dataset.sh OUT_DIR [SIZE_MIB]}
size_mib=${2:-4096}
mkdir -p "$out"
[ -f "$out/changed.raw" ] && [ "$(cat "$out/size_mib" 2>/dev/null)" = "$size_mib" ] && { echo "dataset exists in $out"; exit 0; }
root="$out/root"
rm -rf "$root" && mkdir -p "$root/files" "$root/random" "$root/text"
budget=$(( size_mib * 1024 * 1024 ))

# 1. real files, sorted, up to 25% of the image
find /usr/lib /usr/share -xdev -type f -size -64M -printf '%s %p\n' 2>/dev/null | LC_ALL=C sort -k2 > "$out/allfiles" || true
awk -v max=$(( budget / 4 )) '{ if (sum + $1 > max) exit; sum += $1; print $2 }' "$out/allfiles" > "$out/filelist"
tar -cf - -T "$out/filelist" 2>/dev/null | tar -xf - -C "$root/files" || true

# 2. incompressible: 20%, in 64 MiB files
n=$(( size_mib / 5 / 64 )); [ "$n" -lt 1 ] && n=1
for i in $(seq 1 "$n"); do
  openssl enc -aes-256-ctr -nosalt -pass "pass:stillpoint-bench-$i" -pbkdf2 -in /dev/zero 2>/dev/null \
    | head -c $(( 64 * 1024 * 1024 )) > "$root/random/blob$i.bin" || true
done

# 3. compressible text: 20%, in 64 MiB files
python3 - "$root/text" "$n" <<'PY'
import random, sys, os
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(20261122)
words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 10))) for _ in range(5000)]
sentences = [" ".join(r.choice(words) for _ in range(r.randint(4, 16))).capitalize() + "." for _ in range(20000)]
for i in range(1, n + 1):
    with open(os.path.join(d, f"log{i}.txt"), "w") as f:
        written, line = 0, 0
        while written < 64 * 1024 * 1024:
            s = f"{line:08d} {r.choice(sentences)} {r.choice(sentences)}\n"
            f.write(s); written += len(s); line += 1
PY

# 4. filesystem image (fixed UUID, hash seed and time for reproducibility)
rm -f "$out/base.raw"
E2FSPROGS_FAKE_TIME=1763800000 mkfs.ext4 -q -F -U 5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b -E hash_seed=0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9,root_owner=0:0 \
  -d "$root" "$out/base.raw" "${size_mib}M"
rm -rf "$root"

# 5. changed copy: ~2% of 1 MiB blocks rewritten
cp --sparse=always "$out/base.raw" "$out/changed.raw"
python3 - "$out/changed.raw" "$size_mib" <<'PY'
import random, sys
path, blocks = sys.argv[1], int(sys.argv[2])
r = random.Random(42)
chosen = sorted(r.sample(range(blocks), max(1, blocks * 2 // 100)))
with open(path, "r+b") as f:
    for b in chosen:
        f.seek(b << 20); f.write(r.randbytes(1 << 20))
print(f"rewrote {len(chosen)} of {blocks} 1 MiB blocks")
PY
echo "$size_mib" > "$out/size_mib"
du -h --apparent-size "$out/base.raw"; du -h "$out/base.raw" "$out/changed.raw"
