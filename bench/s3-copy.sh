# Sourced by bench/s3.sh: the copy step (issue 16: "copy local -> S3 of a 2% changed point: bytes
# sent ~ new chunks only"). Backs up base.raw and changed.raw into a local repository, copies the
# first point to a fresh prefix of the S3 server, then measures the copy of the changed point:
# chunks and bytes sent against the 1 MiB blocks that differ between the two images (the new
# chunks) and against what the changed point added to the local repository. Both repositories
# are encrypted under their own keys (chunks re-identified under the target's key). Uses $work,
# $data, $endpoint, $results, sp and measure from s3.sh (measure's MB/s is of the whole logical image).
copy_local="$work/copy-local"
copy_target="s3:$endpoint/bench/copy-target"
rm -rf "$copy_local" "$work/s3/data/bench/copy-target"
sp repo init --repo "$copy_local" > /dev/null
sp repo init --repo "$copy_target" > /dev/null
summary_field() { python3 -c 'import sys,json
for l in open(sys.argv[1]):
    if "\"summary\"" in l: print(json.loads(l)[sys.argv[2]])' "$1" "$2"; }
sp image backup --repo "$copy_local" --name bench/vda "$data/base.raw" --json > "$work/copy-base.json"
sp image backup --repo "$copy_local" --name bench/vda "$data/changed.raw" --json > "$work/copy-changed.json"
base_id=$(summary_field "$work/copy-base.json" id)
changed_id=$(summary_field "$work/copy-changed.json" id)
local_added=$(summary_field "$work/copy-changed.json" storedBytes)
run=1
measure stillpoint copy-base "sp copy --from $copy_local --to $copy_target --snapshot $base_id --json"
s3_before=$(du -sb "$work/s3/data/bench/copy-target" | cut -f1)
measure stillpoint copy-changed "sp copy --from $copy_local --to $copy_target --snapshot $changed_id --json"
s3_after=$(du -sb "$work/s3/data/bench/copy-target" | cut -f1)
measure stillpoint copy-again "sp copy --from $copy_local --to $copy_target --snapshot $base_id $changed_id --json"
python3 - "$data/base.raw" "$data/changed.raw" "$work/stillpoint-copy-changed.out" "$work/stillpoint-copy-again.out" \
  "$local_added" "$((s3_after - s3_before))" <<'PY'
import sys, json
base, changed, out, again, local_added, s3_grew = sys.argv[1:7]
M = 1 << 20
diff = zero = 0
with open(base, "rb") as a, open(changed, "rb") as b:
    while True:
        x, y = a.read(M), b.read(M)
        if not x and not y: break
        if x != y:
            diff += 1
            if y.count(0) == len(y): zero += 1
def summary(path):
    for l in open(path):
        if '"summary"' in l: return json.loads(l)
s, t = summary(out), summary(again)
new = diff - zero
print()
print("copy local -> S3 of the changed point (both encrypted, different keys):")
print(f"  1 MiB blocks that differ from base.raw: {diff} ({zero} now zero: holes, not chunks) -> {new} new chunks, {new} MiB")
print(f"  copy: chunksSent {s['chunksSent']}, chunkBytesSent {s['chunkBytesSent'] / M:.1f} MiB, chunksRead {s['chunksRead']},"
      f" bytesSent {s['bytesSent']} B in {s['seconds']} s")
print(f"  the local backup of the same point added {local_added} B; the bucket grew {s3_grew} B"
      f" (packs, index, manifest)")
print(f"  sent / new chunks: x{s['chunksSent'] / max(new, 1):.3f} (chunks), bytesSent / local added: x{s['bytesSent'] / max(int(local_added), 1):.3f}")
print(f"  second copy of both points: snapshotsCopied {t['snapshotsCopied']}, bytesSent {t['bytesSent']}")
PY
