#!/bin/sh
# PostgreSQL workload for BackupE2EIT: one session inserting rows (ids 1..N, contiguous) until
# stopped. Run it with `systemd-run --unit=sp-workload` (outside qemu-ga's cgroup); stop it with
# `systemctl stop sp-workload`.
runuser -u postgres -- psql -q -c "CREATE TABLE IF NOT EXISTS t(id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp(), pad text)"
while :; do echo "INSERT INTO t(pad) SELECT repeat('x', 200) FROM generate_series(1, 20);"; sleep 0.05; done \
  | runuser -u postgres -- psql -q >/dev/null 2>&1
