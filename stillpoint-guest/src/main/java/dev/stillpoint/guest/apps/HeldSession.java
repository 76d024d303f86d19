package dev.stillpoint.guest.apps;

import java.util.ArrayList;
import java.util.List;

/**
 * A database session held open from freeze to thaw, as two shell programs (plain argv hooks, stored in the
 * state file and runnable by the watchdog). Freeze starts one client that reads LOCK_SQL and then blocks on a
 * FIFO ({@code DIR/release}), so the lock stays held after the hook exits; the hook waits until the client
 * prints {@code STILLPOINT-LOCKED}, or fails (and releases the session) when the client ends first or the wait
 * runs out. Thaw writes to the FIFO: the same session runs UNLOCK_SQL (which prints
 * {@code STILLPOINT-UNLOCKED}) and ends; the session output goes to the thaw hook's output (and so into the
 * report, e.g. PostgreSQL's backup label). If the runner kills the hook at its timeout, the whole process group
 * dies, the connection closes and the server drops the lock. DIR lives under run/stillpoint (tmpfs), never on a
 * filesystem that is about to be frozen.
 * <p>Used for MySQL/MariaDB ({@code FLUSH TABLES WITH READ LOCK}) and PostgreSQL's non-exclusive backup mode.
 */
final class HeldSession {
    private HeldSession() {}

    static final String FREEZE = String.join(
            "\n",
            "dir=$1; wait=$2; lock=$3; unlock=$4; shift 4",
            "rm -rf \"$dir\" && mkdir -p \"$dir\" && mkfifo \"$dir/release\" || exit 1",
            "( printf '%s\\n' \"$lock\"; read x < \"$dir/release\"; printf '%s\\n' \"$unlock\" ) | \"$@\" > \"$dir/out\" 2>&1 &",
            "client=$!",
            "release() { ( echo > \"$dir/release\" ) & sleep 0.2; kill $! 2>/dev/null; }",
            "i=0",
            "while [ $i -lt $((wait * 10 + 100)) ]; do",
            "  if grep -q STILLPOINT-LOCKED \"$dir/out\" 2>/dev/null; then echo \"lock held by session $client\"; exit 0; fi",
            "  if ! kill -0 $client 2>/dev/null; then cat \"$dir/out\" >&2; echo 'session ended without the lock' >&2; release; exit 1; fi",
            "  sleep 0.1; i=$((i + 1))",
            "done",
            "echo \"no lock after $((wait + 10)) s\" >&2; kill $client 2>/dev/null; release; exit 1",
            "");

    static final String THAW = String.join(
            "\n",
            "dir=$1",
            "[ -p \"$dir/release\" ] || { echo 'no session: nothing to unlock'; exit 0; }",
            "if ! timeout 10 sh -c 'echo > \"$1\"' unlock \"$dir/release\"; then",
            "  echo 'the locking session ended before thaw: the lock was lost during the freeze' >&2; rm -rf \"$dir\"; exit 1",
            "fi",
            "i=0",
            "while [ $i -lt 300 ]; do",
            "  if grep -q STILLPOINT-UNLOCKED \"$dir/out\" 2>/dev/null; then grep -v '^STILLPOINT-' \"$dir/out\"; echo 'unlocked'; rm -rf \"$dir\"; exit 0; fi",
            "  sleep 0.1; i=$((i + 1))",
            "done",
            "cat \"$dir/out\" >&2; echo 'unlock not confirmed within 30 s' >&2; rm -rf \"$dir\"; exit 1",
            "");

    static List<String> freeze(String dir, int waitSeconds, String lockSql, String unlockSql, List<String> client) {
        List<String> argv = new ArrayList<>(List.of(
                "/bin/sh", "-c", FREEZE, "stillpoint-session", dir, Integer.toString(waitSeconds), lockSql, unlockSql));
        argv.addAll(client);
        return argv;
    }

    static List<String> thaw(String dir) {
        return List.of("/bin/sh", "-c", THAW, "stillpoint-session", dir);
    }

    static final String MYSQL_LOCK =
            "SET SESSION lock_wait_timeout=%d; FLUSH TABLES WITH READ LOCK; FLUSH ENGINE LOGS; SELECT 'STILLPOINT-LOCKED';";
    static final String MYSQL_UNLOCK = "UNLOCK TABLES; SELECT 'STILLPOINT-UNLOCKED';";

    /** PostgreSQL non-exclusive backup: pg_backup_start (15+) or pg_start_backup(label, fast, exclusive=false). */
    static String pgStart(String label) {
        String l = label.replace("'", "''");
        return String.join(
                "\n",
                "SELECT current_setting('server_version_num')::int >= 150000 AS pg15 \\gset",
                "\\if :pg15",
                "SELECT pg_backup_start('" + l + "', true);",
                "\\else",
                "SELECT pg_start_backup('" + l + "', true, false);",
                "\\endif",
                "\\echo STILLPOINT-LOCKED");
    }

    static final String PG_STOP = String.join(
            "\n",
            "\\if :pg15",
            "SELECT labelfile FROM pg_backup_stop(false);",
            "\\else",
            "SELECT labelfile FROM pg_stop_backup(false, false);",
            "\\endif",
            "\\echo STILLPOINT-UNLOCKED");
}
