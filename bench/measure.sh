# Sourced by bench/run.sh and bench/s3.sh. measure TOOL STEP cmd...: runs the command under
# /usr/bin/time -v with the dataset in the page cache and the previous writes synced, appends
# "TOOL STEP seconds peakRSS-KiB" to $results and prints a line. Uses $work, $data, $bytes, $run,
# and $MEASURE_PREFIX when set (a command the measured one runs under, e.g. taskset -c 0).
measure() {
  local tool=$1 step=$2; shift 2
  local log="$work/$tool-$step.time"
  sync # the previous tool's repository writes are on disk, not still being written back under this step
  cat "$data/base.raw" "$data/changed.raw" > /dev/null # same page-cache state for every tool
  # shellcheck disable=SC2086 # MEASURE_PREFIX: an optional command prefix, e.g. taskset -c 0 (bench/s3.sh --server-core)
  if ! /usr/bin/time -v -o "$log" ${MEASURE_PREFIX:-} bash -c "$*" > "$work/$tool-$step.out" 2>&1; then
    echo "FAILED: $tool $step: $*" >&2; tail -5 "$work/$tool-$step.out" >&2; return 1
  fi
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  printf '%s\t%s\t%s\t%s\n' "$tool" "$step" "$wall" "$rss" >> "$results"
  printf 'run %d  %-10s %-8s %8.1f s  %7.1f MB/s  peak RSS %6d MiB\n' "$run" "$tool" "$step" "$wall" "$(echo "$bytes / $wall / 1000000" | bc -l)" $(( rss / 1024 ))
}
