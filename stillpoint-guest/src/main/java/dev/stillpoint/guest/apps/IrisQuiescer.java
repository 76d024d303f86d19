package dev.stillpoint.guest.apps;

import java.util.List;

/**
 * InterSystems IRIS / Caché, as InterSystems' own freeze/thaw scripts do it (seed 003): for every running instance
 * ({@code iris qlist}, or {@code ccontrol qall} for Caché; instances that are down are skipped and said so),
 * {@code ##Class(Backup.General).ExternalFreeze(LOG,,,,,,TIMEOUT)} in {@code %SYS} (exit 5 = frozen, 3 = failed),
 * at thaw {@code ExternalThaw(LOG)} (5 = thawed, 3 = failed) and after a successful thaw
 * {@code ExternalSetHistory(LOG)}; LOG is one log per instance ({@code LOGDIR/INSTANCE-pre_post.log}), and every
 * failure also goes to {@code logger -p user.err}. Differences from the sample scripts: a failed freeze thaws the
 * instances it already froze and stops (the runner then undoes the other hooks); thaw thaws the instances this
 * freeze froze (remembered under /run/stillpoint/apps/NAME, tmpfs), not whatever runs at thaw time; exit codes are
 * mapped to 0 (all done) and 1, so the hook needs no success-code setting.
 */
final class IrisQuiescer {
    private IrisQuiescer() {}

    static final String SCRIPT = String.join(
            "\n",
            "op=$1; flavour=$2; prog=$3; csession=$4; logdir=$5; ftimeout=$6; want=$7; dir=$8",
            "err() { echo \"$*\" >&2; logger -p user.err -t stillpoint-guest \"iris: $*\" 2>/dev/null; }",
            "if [ \"$flavour\" = auto ]; then",
            "  if command -v \"$prog\" >/dev/null 2>&1; then flavour=iris",
            "  elif command -v ccontrol >/dev/null 2>&1; then flavour=ccontrol; prog=ccontrol",
            "  else err \"neither $prog nor ccontrol found: is InterSystems IRIS/Cache installed?\"; exit 1; fi",
            "fi",
            "# NAME STATE (up|down) per instance",
            "instances() {",
            "  if [ \"$flavour\" = iris ]; then",
            "    \"$prog\" qlist 2>/dev/null | awk -F'^' 'NF >= 4 { s = ($4 ~ /^running/) ? \"up\" : \"down\"; print $1, s }'",
            "  else",
            "    \"$prog\" qall 2>/dev/null | tail -n +3 | awk '{ st = substr($0, 1, 2); split(substr($0, 5), f, \" \"); if (f[1] == \"\") next; print f[1], (st == \"up\" ? \"up\" : \"down\") }'",
            "  fi",
            "}",
            "session() {",
            "  if [ \"$flavour\" = iris ]; then \"$prog\" session \"$1\" -U%SYS \"$2\" < /dev/null",
            "  else \"$csession\" \"$1\" -U%SYS \"$2\" < /dev/null; fi",
            "}",
            "thaw_one() {",
            "  log=\"$logdir/$1-pre_post.log\"",
            "  session \"$1\" \"##Class(Backup.General).ExternalThaw(\\\"$log\\\")\"",
            "  status=$?",
            "  case $status in",
            "    5) echo \"$1 IS THAWED\"",
            "       session \"$1\" \"##Class(Backup.General).ExternalSetHistory(\\\"$log\\\")\" || echo \"$1: ExternalSetHistory exit $?\" >&2",
            "       return 0 ;;",
            "    3) err \"thaw of $1 failed (ExternalThaw exit 3, log $log)\"; return 1 ;;",
            "    *) err \"ERROR when thawing $1: unknown ExternalThaw status $status (log $log)\"; return 1 ;;",
            "  esac",
            "}",
            "mkdir -p \"$dir\" && mkdir -p \"$logdir\" || exit 1",
            "if [ \"$op\" = freeze ]; then",
            "  rm -f \"$dir/frozen\"; : > \"$dir/frozen.tmp\"",
            "  list=$(instances)",
            "  [ -n \"$list\" ] || echo \"no InterSystems instance found ($flavour)\"",
            "  echo \"$list\" | while read -r inst state; do",
            "    [ -n \"$inst\" ] || continue",
            "    if [ -n \"$want\" ]; then case \" $want \" in *\" $inst \"*) ;; *) continue ;; esac; fi",
            "    [ \"$state\" = up ] || { echo \"$inst is down: skipped\"; continue; }",
            "    log=\"$logdir/$inst-pre_post.log\"",
            "    session \"$inst\" \"##Class(Backup.General).ExternalFreeze(\\\"$log\\\",,,,,,$ftimeout)\"",
            "    status=$?",
            "    case $status in",
            "      5) echo \"$inst IS FROZEN\"; echo \"$inst\" >> \"$dir/frozen.tmp\" ;;",
            "      3) err \"freeze of $inst failed (ExternalFreeze exit 3, log $log)\"; exit 1 ;;",
            "      *) err \"ERROR when freezing $inst: unknown ExternalFreeze status $status (log $log)\"; exit 1 ;;",
            "    esac",
            "  done",
            "  rc=$?",
            "  if [ $rc -ne 0 ]; then",
            "    for inst in $(cat \"$dir/frozen.tmp\"); do thaw_one \"$inst\"; done",
            "    rm -f \"$dir/frozen.tmp\"; exit 1",
            "  fi",
            "  mv \"$dir/frozen.tmp\" \"$dir/frozen\"",
            "  exit 0",
            "fi",
            "if [ ! -f \"$dir/frozen\" ]; then echo 'no instance was frozen by this freeze: nothing to thaw'; exit 0; fi",
            "rc=0",
            "for inst in $(cat \"$dir/frozen\"); do thaw_one \"$inst\" || rc=1; done",
            "rm -f \"$dir/frozen\"",
            "exit $rc",
            "");

    /**
     * argv of the freeze or thaw: {@code flavour} auto|iris|ccontrol, {@code want} the instances to quiesce (blank:
     * every running one), {@code dir} the state directory under run/.
     */
    static List<String> argv(
            String op,
            String flavour,
            String prog,
            String csession,
            String logDir,
            int externalFreezeTimeout,
            String want,
            String dir) {
        return List.of(
                "/bin/sh",
                "-c",
                SCRIPT,
                "stillpoint-iris",
                op,
                flavour,
                prog,
                csession,
                logDir,
                Integer.toString(externalFreezeTimeout),
                want,
                dir);
    }
}
