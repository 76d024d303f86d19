#!/usr/bin/env bash
# Stillpoint vs restic vs borg on the same dataset, in the same run (not run in CI).
#   bench/run.sh [--size-mib N] [--runs N] [--work DIR] [--keep] [--baseline-jar JAR]
# Measures for each tool: full ingest of base.raw, ingest of changed.raw, restore of the second
# snapshot, check with data; prints MB/s (MB = 10^6 bytes of the logical image), stored size,
# peak RSS (/usr/bin/time -v) and Stillpoint's ratios to the others. Every step runs with the
# dataset in the page cache (read just before), so no tool pays for the first read from disk;
# the whole sequence runs --runs times (default 3) on fresh repositories and the median of each
# step is reported (the machine and its disk are shared; single runs vary by up to 2x).
# All tools encrypt (stillpoint aes-256-gcm, restic default, borg repokey) with their default
# compression (stillpoint zstd-2, restic 'auto', borg lz4).
# --baseline-jar JAR also measures an older Stillpoint build ("sp-before") in the same run, step
# by step beside the others, and prints the after/before ratios.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=4096
work=/var/tmp/stillpoint-bench
keep=0
runs=3
baseline=
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --baseline-jar) baseline=$(realpath "$2"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
. "$here/scripts/lib.sh"
stillpoint_select_jdk >/dev/null
for t in restic borg /usr/bin/time mkfs.ext4 openssl; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }; done
jar="$here/stillpoint-cli/target/stillpoint.jar"
[ -f "$jar" ] || (cd "$here" && ./mvnw -B -q -ntp -DskipTests -pl stillpoint-cli -am package)
# A bounded heap: the repository needs ~(2*cores+1) chunk buffers, the rest is the JVM.
# The ./stillpoint launcher's options (scripts/lib.sh) and its AOT cache, recorded with the same
# options; the baseline jar runs as it was launched before them.
java_opts="$(stillpoint_java_opts) -Xmx${STILLPOINT_BENCH_XMX:-128m}"
# shellcheck disable=SC2086
aot_opts=$(stillpoint_aot_opts "$jar" $java_opts)
sp() { "$JAVA_HOME/bin/java" $java_opts $aot_opts -jar "$jar" "$@"; }
spb() { "$JAVA_HOME/bin/java" -Xmx${STILLPOINT_BENCH_XMX:-128m} --enable-native-access=ALL-UNNAMED -jar "$baseline" "$@"; }
export -f sp spb; export jar baseline JAVA_HOME java_opts aot_opts
tools="stillpoint restic borg"
[ -n "$baseline" ] && { [ -f "$baseline" ] || { echo "no such jar: $baseline" >&2; exit 1; }; tools="sp-before stillpoint restic borg"; }

data="$work/data"
"$here/bench/make-dataset.sh" "$data" "$size_mib"
bytes=$(stat -c %s "$data/base.raw")
export STILLPOINT_PASSWORD=bench RESTIC_PASSWORD=bench BORG_PASSPHRASE=bench BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
results="$work/results.tsv"
: > "$results"

. "$here/bench/measure.sh"

# Steps run tool after tool (full for all, then changed for all, ...) so that the three tools
# see similar machine load; the machine may be shared.
for run in $(seq 1 "$runs"); do
for tool in $tools; do rm -rf "$work/repo-$tool" "$work/restore-$tool"; mkdir -p "$work/restore-$tool"; done
sp repo init --repo "$work/repo-stillpoint" >/dev/null
[ -z "$baseline" ] || spb repo init --repo "$work/repo-sp-before" >/dev/null
restic init --repo "$work/repo-restic" >/dev/null
borg init --encryption repokey "$work/repo-borg" >/dev/null 2>&1
# the tools take turns going first (a tool that always follows another may find the disk busy
# with the other's write-back)
set -- $tools; k=$(( (run - 1) % $# )); order=; i=0
for t in $tools $tools; do [ $i -ge $k ] && [ $i -lt $(( k + $# )) ] && order="$order $t"; i=$((i + 1)); done
for step in full changed restore check; do
  for tool in $order; do
    repo="$work/repo-$tool"; out="$work/restore-$tool"
    case $tool-$step in
      stillpoint-full)    measure $tool full    "sp image backup --repo $repo --name bench/vda $data/base.raw" ;;
      stillpoint-changed) measure $tool changed "sp image backup --repo $repo --name bench/vda $data/changed.raw" ;;
      stillpoint-restore)
        id=$(sp snapshots --repo "$repo" --json | python3 -c 'import sys,json; print([json.loads(l) for l in sys.stdin if "\"snapshot\"" in l][-1]["id"])')
        measure $tool restore "sp image restore $id --repo $repo --target $out/changed.raw" ;;
      stillpoint-check)   measure $tool check   "sp check --repo $repo --read-data" ;;
      sp-before-full)     measure $tool full    "spb image backup --repo $repo --name bench/vda $data/base.raw" ;;
      sp-before-changed)  measure $tool changed "spb image backup --repo $repo --name bench/vda $data/changed.raw" ;;
      sp-before-restore)
        id=$(spb snapshots --repo "$repo" --json | python3 -c 'import sys,json; print([json.loads(l) for l in sys.stdin if "\"snapshot\"" in l][-1]["id"])')
        measure $tool restore "spb image restore $id --repo $repo --target $out/changed.raw" ;;
      sp-before-check)    measure $tool check   "spb check --repo $repo --read-data" ;;
      restic-full)        measure $tool full    "cd $data && restic --repo $repo backup --host bench base.raw" ;;
      restic-changed)     measure $tool changed "cd $data && restic --repo $repo backup --host bench changed.raw" ;;
      restic-restore)     measure $tool restore "restic --repo $repo restore latest --target $out" ;;
      restic-check)       measure $tool check   "restic --repo $repo check --read-data" ;;
      borg-full)          measure $tool full    "cd $data && borg create $repo::full base.raw" ;;
      borg-changed)       measure $tool changed "cd $data && borg create $repo::changed changed.raw" ;;
      borg-restore)       measure $tool restore "cd $out && borg extract --sparse $repo::changed" ;;
      borg-check)         measure $tool check   "borg check --verify-data $repo" ;;
    esac
    if [ "$step" = restore ]; then
      cmp "$data/changed.raw" "$out/changed.raw" || { echo "RESTORE MISMATCH for $tool" >&2; exit 1; }
      rm -rf "$out"
    fi
  done
done
done
for tool in $tools; do
  stored=$(du -sb "$work/repo-$tool" | cut -f1)
  printf '%s\tstored\t%s\t0\n' "$tool" "$stored" >> "$results"
  printf '%-10s stored   %8.1f MiB (two snapshots of %d MiB)\n' "$tool" "$(echo "$stored / 1048576" | bc -l)" "$size_mib"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores; other work on the machine slows every tool)"

python3 - "$results" "$bytes" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
size = int(sys.argv[2])
import statistics
runs = collections.defaultdict(lambda: collections.defaultdict(list)); rss = collections.defaultdict(int)
for tool, step, v, r in rows:
    runs[tool][step].append(float(v)); rss[tool] = max(rss[tool], int(r))
t = {tool: {step: statistics.median(v) for step, v in steps.items()} for tool, steps in runs.items()}
n = max(len(v) for steps in runs.values() for k, v in steps.items() if k != "stored")
print()
print(f"median of {n} run(s) per step; MB/s of the logical image; stored = two snapshots (last run)")
print(f"{'':10} {'full MB/s':>10} {'changed':>10} {'restore':>10} {'check':>10} {'stored MiB':>11} {'peak RSS MiB':>13}")
for tool in [x for x in ("sp-before", "stillpoint", "restic", "borg") if x in t]:
    s = t[tool]
    print(f"{tool:10} " + " ".join(f"{size / s[k] / 1e6:10.1f}" for k in ("full", "changed", "restore", "check"))
          + f" {s['stored'] / 2**20:11.1f} {rss[tool] / 1024:13.0f}")
sp = t["stillpoint"]
for other in [x for x in ("sp-before", "restic", "borg") if x in t]:
    o = t[other]
    print(f"stillpoint/{other}: " + ", ".join(f"{k} speed x{o[k] / sp[k]:.2f}" for k in ("full", "changed", "restore", "check"))
          + f", stored x{sp['stored'] / o['stored']:.2f}")
print("targets: ingest >= 1.5x restic and >= 3x borg; restore >= restic; stored <= restic; peak RSS <= 256 MiB")
PY
[ "$keep" = 1 ] || rm -rf "$work"/repo-*
