#!/usr/bin/env bash
# Stillpoint vs restic into the same S3 server, in the same run (not run in CI).
#   bench/s3.sh [--size-mib N] [--runs N] [--work DIR] [--keep] [--copy-only]
# Starts s3proxy 2.6.0 (filesystem store under WORK/s3, its own JVM on 127.0.0.1; the jars are
# fetched by Maven on first use, as the tests do: stillpoint-testkit/s3proxy/pom.xml) and measures
# for both tools: full ingest of the bench dataset's base.raw (bench/make-dataset.sh) into a
# fresh bucket prefix, ingest of changed.raw, and restore of the second snapshot (byte-compared).
# Prints MB/s of the logical image, peak RSS and Stillpoint's ratios to restic (median of --runs,
# default 3). Both tools encrypt; restic uses its defaults. The S3 server shares the machine's
# cores with the tool being measured, the same for both. Then the copy step (bench/s3-copy.sh):
# `copy` of a 2% changed point from a local repository to S3, bytes sent against new chunks;
# --copy-only runs only that step.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=4096
work=/var/tmp/stillpoint-bench-s3
runs=3
keep=0
copy_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --copy-only) copy_only=1; shift ;;
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

# the S3 server
lib=${STILLPOINT_S3PROXY_LIB:-$HOME/.cache/stillpoint/s3proxy-2.6.0/lib}
if [ ! -f "$lib/s3proxy-2.6.0.jar" ]; then
  fetch=("$here/mvnw" -B -ntp -q -f "$here/stillpoint-testkit/s3proxy/pom.xml" dependency:copy-dependencies "-DoutputDirectory=$lib")
  "${fetch[@]}" -o 2>/dev/null || "${fetch[@]}"
fi
mkdir -p "$work"
rm -rf "$work/s3" && mkdir -p "$work/s3/data/bench"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/s3/s3proxy.properties" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench
s3proxy.credential=bench-secret
jclouds.provider=filesystem
jclouds.identity=bench
jclouds.credential=bench-secret
jclouds.filesystem.basedir=$work/s3/data
PROPS
"$JAVA_HOME/bin/java" -Xmx512m -cp "$lib/*" org.gaul.s3proxy.Main --properties "$work/s3/s3proxy.properties" > "$work/s3/s3proxy.log" 2>&1 &
s3pid=$!
trap 'kill $s3pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
kill -0 $s3pid || { echo "s3proxy did not start: $(tail -5 "$work/s3/s3proxy.log")" >&2; exit 1; }
endpoint="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export STILLPOINT_PASSWORD=bench RESTIC_PASSWORD=bench

data="$work/data"
"$here/bench/make-dataset.sh" "$data" "$size_mib"
bytes=$(stat -c %s "$data/base.raw")
results="$work/results.tsv"
: > "$results"

. "$here/bench/measure.sh"
if [ "$copy_only" = 1 ]; then . "$here/bench/s3-copy.sh"; exit 0; fi

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
        stillpoint-full)    measure $tool full    "sp image backup --repo $sp_repo --name bench/vda $data/base.raw" ;;
        stillpoint-changed) measure $tool changed "sp image backup --repo $sp_repo --name bench/vda $data/changed.raw" ;;
        stillpoint-restore)
          id=$(sp snapshots --repo "$sp_repo" --json | python3 -c 'import sys,json; print([json.loads(l) for l in sys.stdin if "\"snapshot\"" in l][-1]["id"])')
          measure $tool restore "sp image restore $id --repo $sp_repo --target $out/changed.raw" ;;
        restic-full)        measure $tool full    "cd $data && restic --repo $restic_repo backup --host bench base.raw" ;;
        restic-changed)     measure $tool changed "cd $data && restic --repo $restic_repo backup --host bench changed.raw" ;;
        restic-restore)     measure $tool restore "restic --repo $restic_repo restore latest --target $out" ;;
      esac
      if [ "$step" = restore ]; then
        cmp "$data/changed.raw" "$out/changed.raw" || { echo "RESTORE MISMATCH for $tool" >&2; exit 1; }
        rm -rf "$out"
      fi
    done
  done
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
print("goals (issue 16): ingest >= 3x restic, restore >= 3x restic and >= 0.7x local restore, peak RSS <= 256 MiB")
PY
. "$here/bench/s3-copy.sh"
[ "$keep" = 1 ] || rm -rf "$work/s3/data/bench" "$work"/restore-*
