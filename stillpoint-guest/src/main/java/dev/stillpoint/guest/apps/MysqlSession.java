package dev.stillpoint.guest.apps;

import java.util.ArrayList;
import java.util.List;

/**
 * MySQL/MariaDB quiescing as two shell programs (so they are plain argv hooks, stored in the state file and
 * runnable by the watchdog). Freeze starts one client session that runs
 * {@code SET SESSION lock_wait_timeout=N; FLUSH TABLES WITH READ LOCK; FLUSH ENGINE LOGS} and then blocks on a FIFO
 * ({@code DIR/release}), so the lock stays held after the hook exits; the hook waits until the session reports
 * the lock, or fails (and releases the session) when the server refuses it within the lock wait. Thaw writes to
 * the FIFO: the same session runs {@code UNLOCK TABLES} and ends. If the runner kills the hook at its timeout,
 * the whole process group dies, the connection closes and the server drops the lock. DIR lives under
 * run/stillpoint (tmpfs), never on a filesystem that is about to be frozen.
 */
final class MysqlSession {
    private MysqlSession() {}

    static final String FREEZE = String.join("\n",
            "dir=$1; wait=$2; shift 2",
            "rm -rf \"$dir\" && mkdir -p \"$dir\" && mkfifo \"$dir/release\" || exit 1",
            "( printf 'SET SESSION lock_wait_timeout=%s;\\nFLUSH TABLES WITH READ LOCK;\\nFLUSH ENGINE LOGS;\\nSELECT \"STILLPOINT-LOCKED\";\\n' \"$wait\"",
            "  read x < \"$dir/release\"",
            "  printf 'UNLOCK TABLES;\\nSELECT \"STILLPOINT-UNLOCKED\";\\n' ) | \"$@\" --unbuffered -N -B > \"$dir/out\" 2>&1 &",
            "client=$!",
            "release() { ( echo > \"$dir/release\" ) & sleep 0.2; kill $! 2>/dev/null; }",
            "i=0",
            "while [ $i -lt $((wait * 10 + 100)) ]; do",
            "  if grep -q STILLPOINT-LOCKED \"$dir/out\" 2>/dev/null; then echo \"global read lock held (session $client)\"; exit 0; fi",
            "  if ! kill -0 $client 2>/dev/null; then cat \"$dir/out\" >&2; echo 'mysql session ended without the lock' >&2; release; exit 1; fi",
            "  sleep 0.1; i=$((i + 1))",
            "done",
            "echo \"no global read lock after $((wait + 10)) s\" >&2; kill $client 2>/dev/null; release; exit 1",
            "");

    static final String THAW = String.join("\n",
            "dir=$1",
            "[ -p \"$dir/release\" ] || { echo 'no mysql session: nothing to unlock'; exit 0; }",
            "if ! timeout 10 sh -c 'echo > \"$1\"' unlock \"$dir/release\"; then",
            "  echo 'the locking session ended before thaw: the lock was lost during the freeze' >&2; rm -rf \"$dir\"; exit 1",
            "fi",
            "i=0",
            "while [ $i -lt 100 ]; do",
            "  if grep -q STILLPOINT-UNLOCKED \"$dir/out\" 2>/dev/null; then echo 'tables unlocked'; rm -rf \"$dir\"; exit 0; fi",
            "  sleep 0.1; i=$((i + 1))",
            "done",
            "cat \"$dir/out\" >&2; echo 'UNLOCK TABLES not confirmed within 10 s' >&2; rm -rf \"$dir\"; exit 1",
            "");

    static List<String> freeze(String dir, int lockWaitSeconds, List<String> client) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", FREEZE, "stillpoint-mysql", dir, Integer.toString(lockWaitSeconds)));
        argv.addAll(client);
        return argv;
    }

    static List<String> thaw(String dir) {
        return List.of("/bin/sh", "-c", THAW, "stillpoint-mysql", dir);
    }
}
