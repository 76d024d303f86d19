#!/usr/bin/env bash
# Stillpoint vs restic into the same S3 server, in the same run (not run in CI).
#   bench/s3.sh [--size-mib N] [--runs N] [--work DIR] [--keep] [--copy-only|--no-copy] [--server-core]
#   bench/s3.sh --points N [--runs N]: `snapshots` on a repository with N restore points instead
#     (made in one JVM by bench/s3/MakePoints.java), without the cache (--no-cache), with an empty
#     cache and with a filled one (median of --runs).
# Starts s3proxy 2.6.0 (filesystem store under WORK/s3, its own JVM on 127.0.0.1; the jars are
# fetched by Maven on first use, as the tests do: stillpoint-testkit/s3proxy/pom.xml) and measures
# for both tools: full ingest of the bench dataset's base.raw (bench/make-dataset.sh) into a
# fresh bucket prefix, ingest of changed.raw, and restore of the second snapshot (byte-compared).
# Prints MB/s of the logical image, peak RSS and Stillpoint's ratios to restic (median of --runs,
# default 3). The server is warmed up first (both tools store 512 MiB, untimed).
# Both tools encrypt; restic uses its defaults. The S3 server shares the machine's
# cores with the tool being measured, the same for both. Then the copy step (bench/s3-copy.sh):
# `copy` of a 2% changed point from a local repository to S3, bytes sent against new chunks;
# --copy-only runs only that step. --server-core pins s3proxy (every thread) to the last core and
# each measured command to the others, as when the S3 server runs on its own machine: the tools'
# times are then their own CPU's, not shared with the server's (on 2 cores: one core each).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=4096
work=/var/tmp/stillpoint-bench-s3
runs=3
keep=0
points=0
copy_only=0
copy=1
server_core=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --points) points=$2; shift 2 ;;
    --copy-only) copy_only=1; shift ;;
    --no-copy) copy=0; shift ;;
    --server-core) server_core=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
. "$here/scripts/lib.sh"
stillpoint_select_jdk >/dev/null
for t in restic /usr/bin/time mkfs.ext4 openssl python3; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }; done
jar="$here/stillpoint-cli/target/stillpoint.jar"
[ -f "$jar" ] || (cd "$here" && ./mvnw -B -q -ntp -DskipTests -pl stillpoint-cli -am package)
java_opts="$(stillpoint_java_opts) -Xmx${STILLPOINT_BENCH_XMX:-128m}"
# shellcheck disable=SC2086
aot_opts=$(stillpoint_aot_opts "$jar" $java_opts)
sp() { "$JAVA_HOME/bin/java" $java_opts $aot_opts -jar "$jar" "$@"; }
export -f sp; export jar JAVA_HOME java_opts aot_opts

# the S3 server (scripts/s3-server: s3proxy with its filesystem store, warnings-only logging)
mkdir -p "$work"
rm -rf "$work/s3"
endpoint=$("$here/scripts/s3-server" start "$work/s3" bench)
trap '"$here/scripts/s3-server" stop "$work/s3"' EXIT
# shellcheck disable=SC1091
. "$work/s3/env"
export STILLPOINT_PASSWORD=bench RESTIC_PASSWORD=bench

if [ "$points" -gt 0 ]; then
  repo="s3:$endpoint/bench/points-$points"
  t0=$(date +%s.%N)
  "$JAVA_HOME/bin/java" -Xmx256m -cp "$jar" "$here/bench/s3/MakePoints.java" "$repo" "$points" | tail -1
  echo "made $points points in $(echo "$(date +%s.%N) - $t0" | bc) s"
  export STILLPOINT_CACHE_DIR="$work/cache"
  secs() { local t0; t0=$(date +%s.%N); "$@" > "$work/points.out" || { tail -3 "$work/points.out" >&2; exit 1; }; echo "$(date +%s.%N) - $t0" | bc; }
  for run in $(seq 1 "$runs"); do
    rm -rf "$work/cache"
    nocache=$(secs sp snapshots --repo "$repo" --no-cache)
    empty=$(secs sp snapshots --repo "$repo")
    filled=$(secs sp snapshots --repo "$repo")
    n=$(grep -c '' "$work/points.out")
    printf 'run %d: snapshots (%d lines) --no-cache %.2f s, empty cache %.2f s, filled cache %.2f s\n' "$run" "$n" "$nocache" "$empty" "$filled"
  done
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores; s3proxy runs on them too)"
  [ "$keep" = 1 ] || rm -rf "$work/s3/data/bench" "$work/cache"
  exit 0
fi

data="$work/data"
"$here/bench/make-dataset.sh" "$data" "$size_mib"
bytes=$(stat -c %s "$data/base.raw")
results="$work/results.tsv"
: > "$results"

. "$here/bench/measure.sh"
# the server's CPU next to the client's for every step: who is the bottleneck on the shared cores
s3pid=$(cat "$work/s3/s3proxy.pid")
if [ "$server_core" = 1 ]; then
  last=$(( $(nproc) - 1 ))
  [ "$last" -ge 1 ] || { echo "--server-core needs at least 2 cores" >&2; exit 1; }
  taskset -a -p -c "$last" "$s3pid" > /dev/null
  export MEASURE_PREFIX="taskset -c 0-$(( last - 1 ))"
  echo "s3proxy pinned to core $last; the measured commands to cores 0-$(( last - 1 ))"
fi
ticks=$(getconf CLK_TCK)
server_cpu() { awk -v t="$ticks" '{printf "%.2f", ($14 + $15) / t}' "/proc/$s3pid/stat"; }
measure_s3() {
  local tool=$1 step=$2 before after log="$work/$1-$2.time"
  before=$(server_cpu)
  measure "$@"
  after=$(server_cpu)
  awk -v tool="$tool" -v step="$step" -v srv="$(echo "$after - $before" | bc)" -F': ' '
    /User time/ {u=$2} /System time/ {s=$2} /Elapsed \(wall clock\)/ {n=split($2,a,":"); w=0; for(i=1;i<=n;i++) w=w*60+a[i]}
    END {printf "        %-10s %-8s CPU s: client %.1f (user %.1f, sys %.1f), s3proxy %.1f; of %.1f s wall x 2 cores\n", tool, step, u+s, u, s, srv, w;
         printf "%s\t%s\t%.2f\t%.2f\n", tool, step, u+s, srv > "/dev/stderr"}' "$log" 2>>"$work/cpu.tsv"
}
: > "$work/cpu.tsv"
if [ "$copy_only" = 1 ]; then . "$here/bench/s3-copy.sh"; exit 0; fi

# warm the server up, untimed: a fresh s3proxy JVM runs its first requests interpreted, and the
# first measured step (Stillpoint's in odd runs) would pay for that alone. Both tools store and
# read back 512 MiB of the dataset under warmup-* prefixes, removed afterwards.
head -c $(( 512 << 20 )) "$data/base.raw" > "$work/warmup.raw"
sp repo init --repo "s3:$endpoint/bench/warmup-sp" > /dev/null
sp image backup --repo "s3:$endpoint/bench/warmup-sp" --name warmup "$work/warmup.raw" > /dev/null
restic init --repo "s3:$endpoint/bench/warmup-restic" > /dev/null
(cd "$work" && restic --repo "s3:$endpoint/bench/warmup-restic" backup --host bench warmup.raw > /dev/null)
restic --repo "s3:$endpoint/bench/warmup-restic" restore latest --target "$work/warmup-restore" > /dev/null
rm -rf "$work/warmup.raw" "$work/warmup-restore" "$work/s3/data/bench/warmup-sp" "$work/s3/data/bench/warmup-restic"

for run in $(seq 1 "$runs"); do
  sp_repo="s3:$endpoint/bench/stillpoint-$run"
  restic_repo="s3:$endpoint/bench/restic-$run"
  sp repo init --repo "$sp_repo" > /dev/null
  restic init --repo "$restic_repo" > /dev/null
  order="stillpoint restic"; [ $((run % 2)) = 0 ] && order="restic stillpoint"
  for step in full changed restore; do
    for tool in $order; do
      out="$work/restore-$tool"; rm -rf "$out"; mkdir -p "$out"
      case $tool-$step in
        stillpoint-full)    measure_s3 $tool full    "sp image backup --repo $sp_repo --name bench/vda $data/base.raw" ;;
        stillpoint-changed) measure_s3 $tool changed "sp image backup --repo $sp_repo --name bench/vda $data/changed.raw" ;;
        stillpoint-restore)
          id=$(sp snapshots --repo "$sp_repo" --json | python3 -c 'import sys,json; print([json.loads(l) for l in sys.stdin if "\"snapshot\"" in l][-1]["id"])')
          measure_s3 $tool restore "sp image restore $id --repo $sp_repo --target $out/changed.raw" ;;
        restic-full)        measure_s3 $tool full    "cd $data && restic --repo $restic_repo backup --host bench base.raw" ;;
        restic-changed)     measure_s3 $tool changed "cd $data && restic --repo $restic_repo backup --host bench changed.raw" ;;
        restic-restore)     measure_s3 $tool restore "restic --repo $restic_repo restore latest --target $out" ;;
      esac
      if [ "$step" = restore ]; then
        cmp "$data/changed.raw" "$out/changed.raw" || { echo "RESTORE MISMATCH for $tool" >&2; exit 1; }
        rm -rf "$out"
      fi
    done
  done
  # the same restore from a local repository (the goal: S3 restore >= 0.7x of it); its backups untimed
  local_repo="$work/local-$run"; rm -rf "$local_repo"
  sp repo init --repo "$local_repo" > /dev/null
  sp image backup --repo "$local_repo" --name bench/vda "$data/base.raw" > /dev/null
  sp image backup --repo "$local_repo" --name bench/vda "$data/changed.raw" > /dev/null
  id=$(sp snapshots --repo "$local_repo" --json | python3 -c 'import sys,json; print([json.loads(l) for l in sys.stdin if "\"snapshot\"" in l][-1]["id"])')
  out="$work/restore-local"; rm -rf "$out"; mkdir -p "$out"
  measure_s3 stillpoint local-restore "sp image restore $id --repo $local_repo --target $out/changed.raw"
  cmp "$data/changed.raw" "$out/changed.raw" || { echo "LOCAL RESTORE MISMATCH" >&2; exit 1; }
  rm -rf "$out" "$local_repo"
done
for tool in stillpoint restic; do
  stored=$(du -sb "$work/s3/data/bench/$tool-$runs" | cut -f1)
  printf '%s\tstored\t%s\t0\n' "$tool" "$stored" >> "$results"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores; s3proxy runs on them too)"
python3 - "$results" "$bytes" <<'PY'
import sys, collections, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
size = int(sys.argv[2])
runs = collections.defaultdict(lambda: collections.defaultdict(list)); rss = collections.defaultdict(int)
for tool, step, v, r in rows:
    runs[tool][step].append(float(v)); rss[tool] = max(rss[tool], int(r))
t = {tool: {step: statistics.median(v) for step, v in steps.items()} for tool, steps in runs.items()}
n = max(len(v) for steps in runs.values() for k, v in steps.items() if k != "stored")
print()
print(f"S3 (s3proxy filesystem store, same server): median of {n} run(s); MB/s of the logical image")
print(f"{'':10} {'full MB/s':>10} {'changed':>10} {'restore':>10} {'stored MiB':>11} {'peak RSS MiB':>13}")
for tool in ("stillpoint", "restic"):
    s = t[tool]
    print(f"{tool:10} " + " ".join(f"{size / s[k] / 1e6:10.1f}" for k in ("full", "changed", "restore"))
          + f" {s['stored'] / 2**20:11.1f} {rss[tool] / 1024:13.0f}")
sp, o = t["stillpoint"], t["restic"]
print("stillpoint/restic: " + ", ".join(f"{k} speed x{o[k] / sp[k]:.2f}" for k in ("full", "changed", "restore")) + f", stored x{sp['stored'] / o['stored']:.2f}")
if "local-restore" in sp:
    print(f"stillpoint restore from a local repository: {size / sp['local-restore'] / 1e6:.1f} MB/s; S3 restore / local restore x{sp['local-restore'] / sp['restore']:.2f}")
print("goals (issue 16): ingest >= 3x restic, restore >= 3x restic and >= 0.7x local restore, peak RSS <= 256 MiB")
PY
[ "$copy" = 0 ] || . "$here/bench/s3-copy.sh"
[ "$keep" = 1 ] || rm -rf "$work/s3/data/bench" "$work"/restore-*
