package dev.stillpoint.guest.apps;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.HookGroup;
import dev.stillpoint.guest.config.GuestConfig;
import dev.stillpoint.guest.config.GuestConfigParser;
import dev.stillpoint.guest.hooks.Hook;
import dev.stillpoint.guest.hooks.HookDiscovery;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Built-in quiescers, configured as {@code [app "NAME"]} sections in guest.conf or as
 * {@code etc/stillpoint/apps.d/NAME.conf}; each becomes an ordinary hook of the Stillpoint group (after
 * hooks.d, in definition order), with the runner's ordering, timeouts, watchdog and report.
 * <pre>
 * [app "postgresql"]            # type defaults to the name when the name is a type
 * type = postgresql             # CHECKPOINT before the freeze (short recovery after restore)
 * user = postgres               # OS user; psql runs as it via runuser, peer auth over the unix socket
 * host = /var/run/postgresql    # socket directory (or a host name)
 * port = 5432
 * database = postgres
 * psql = psql
 * mode = checkpoint             # or backup: non-exclusive backup mode (pg_backup_start .. pg_backup_stop) held
 * label = stillpoint            #   by one session from freeze to thaw; the backup label lands in the report
 *
 * [app "mysql"]                 # or mariadb: FLUSH TABLES WITH READ LOCK + FLUSH ENGINE LOGS, held until thaw
 * socket = /run/mysqld/mysqld.sock
 * user = root                   # default: the client's default (root over unix_socket auth on Debian)
 * defaultsFile = /etc/mysql/debian.cnf   # optional credentials file (--defaults-extra-file)
 * lockWaitSeconds = 30          # lock_wait_timeout: a long query cannot stall the freeze forever
 *
 * [app "iris"]                 # InterSystems IRIS/Cache (IrisQuiescer): every running instance, ExternalFreeze
 * control = auto                #   (5 = frozen) / ExternalThaw (5 = thawed) + ExternalSetHistory; auto: iris, else ccontrol
 * instances =                   # default: every running instance (down ones are skipped)
 * logDir = /var/log             # LOGDIR/INSTANCE-pre_post.log, one per instance
 * externalFreezeTimeout = 1800  # ExternalFreeze's timeout argument
 *
 * [app "by-hand"]
 * type = command                # any freeze/thaw pair, run with /bin/sh -c
 * freeze = iris session IRIS -U%SYS "##Class(Backup.General).ExternalFreeze()"
 * thaw = iris session IRIS -U%SYS "##Class(Backup.General).ExternalThaw()"
 * successExitCodes = 5          # freeze codes meaning success (ExternalFreeze: 5 = frozen)
 * thawSuccessExitCodes = 5      # thaw codes meaning success (ExternalThaw: 5 = thawed)
 *
 * [app "share"]
 * type = service                # systemctl stop UNITS at freeze, start them (reverse order) at thaw
 * units = smbd nfs-server
 * </pre>
 * Common keys: {@code timeoutSeconds}, {@code optional}, {@code retries}.
 */
public final class AppQuiescers implements HookDiscovery.BuiltIns {
    static final Set<String> TYPES = Set.of("postgresql", "mysql", "mariadb", "iris", "command", "service");
    static final Set<String> COMMON = Set.of("type", "timeoutSeconds", "optional", "retries", GuestConfigParser.SOURCE);

    @Override
    public List<Hook> hooks(Path root, GuestConfig config) {
        List<Hook> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> e : config.apps().entrySet())
            out.add(hook(root, e.getKey(), e.getValue(), config));
        return out;
    }

    static Hook hook(Path root, String name, Map<String, String> m, GuestConfig config) {
        String src = m.getOrDefault(GuestConfigParser.SOURCE, "guest.conf");
        String type = m.getOrDefault("type", TYPES.contains(name) ? name : null);
        if (type == null) throw bad(src, name, "type", "missing (postgresql, mysql, mariadb, iris, command, service)");
        if (!TYPES.contains(type))
            throw bad(
                    src,
                    name,
                    "type",
                    "'" + type + "' is not one of postgresql, mysql, mariadb, iris, command, service");
        int timeout = m.containsKey("timeoutSeconds")
                ? intIn(src, name, "timeoutSeconds", m.get("timeoutSeconds"), 1, 86400)
                : config.timeoutSeconds();
        boolean optional = m.containsKey("optional") && bool(src, name, "optional", m.get("optional"));
        int retries = m.containsKey("retries") ? intIn(src, name, "retries", m.get("retries"), 0, 10) : 0;
        Set<Integer> codes = Set.of(0);
        List<String> freeze;
        List<String> thaw;
        switch (type) {
            case "postgresql": {
                known(src, name, m, "user", "host", "port", "database", "psql", "mode", "label");
                String user = m.getOrDefault("user", "postgres");
                String port = String.valueOf(intIn(src, name, "port", m.getOrDefault("port", "5432"), 1, 65535));
                List<String> psql = new ArrayList<>(List.of(
                        "runuser",
                        "-u",
                        user,
                        "--",
                        m.getOrDefault("psql", "psql"),
                        "-X",
                        "-q",
                        "-w",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-h",
                        m.getOrDefault("host", "/var/run/postgresql"),
                        "-p",
                        port,
                        "-d",
                        m.getOrDefault("database", "postgres")));
                String mode = m.getOrDefault("mode", "checkpoint");
                if (mode.equals("checkpoint")) {
                    freeze = new ArrayList<>(psql);
                    freeze.addAll(List.of("-c", "CHECKPOINT"));
                    thaw = null;
                } else if (mode.equals("backup")) {
                    psql.addAll(List.of("-A", "-t"));
                    String dir = HookDiscovery.resolve(root, "/run/stillpoint/apps/" + name)
                            .toString();
                    freeze = HeldSession.freeze(
                            dir,
                            60,
                            HeldSession.pgStart(m.getOrDefault("label", "stillpoint")),
                            HeldSession.PG_STOP,
                            psql);
                    thaw = HeldSession.thaw(dir);
                } else {
                    throw bad(src, name, "mode", "'" + mode + "' is not checkpoint or backup");
                }
                break;
            }
            case "mysql":
            case "mariadb": {
                known(src, name, m, "socket", "user", "defaultsFile", "client", "lockWaitSeconds");
                int lockWait = intIn(src, name, "lockWaitSeconds", m.getOrDefault("lockWaitSeconds", "30"), 1, 3600);
                List<String> client = new ArrayList<>();
                client.add(m.getOrDefault("client", "mysql"));
                if (m.containsKey("defaultsFile"))
                    client.add("--defaults-extra-file=" + HookDiscovery.resolve(root, m.get("defaultsFile")));
                client.add(
                        "--socket=" + HookDiscovery.resolve(root, m.getOrDefault("socket", "/run/mysqld/mysqld.sock")));
                if (m.containsKey("user")) client.add("--user=" + m.get("user"));
                String dir = HookDiscovery.resolve(root, "/run/stillpoint/apps/" + name)
                        .toString();
                client.addAll(List.of("--unbuffered", "-N", "-B"));
                freeze = HeldSession.freeze(
                        dir,
                        lockWait,
                        String.format(HeldSession.MYSQL_LOCK, lockWait),
                        HeldSession.MYSQL_UNLOCK,
                        client);
                thaw = HeldSession.thaw(dir);
                if (!m.containsKey("timeoutSeconds") && timeout < lockWait + 15) timeout = lockWait + 15;
                break;
            }
            case "iris": {
                known(
                        src,
                        name,
                        m,
                        "control",
                        "iris",
                        "ccontrol",
                        "csession",
                        "instances",
                        "logDir",
                        "externalFreezeTimeout");
                String control = m.getOrDefault("control", "auto");
                if (!Set.of("auto", "iris", "ccontrol").contains(control))
                    throw bad(src, name, "control", "'" + control + "' is not auto, iris or ccontrol");
                String prog = control.equals("ccontrol")
                        ? m.getOrDefault("ccontrol", "ccontrol")
                        : m.getOrDefault("iris", "iris");
                String csession = m.getOrDefault("csession", "csession");
                String logDir = HookDiscovery.resolve(root, m.getOrDefault("logDir", "/var/log"))
                        .toString();
                int extTimeout = intIn(
                        src, name, "externalFreezeTimeout", m.getOrDefault("externalFreezeTimeout", "1800"), 1, 86400);
                String want =
                        String.join(" ", m.getOrDefault("instances", "").trim().split("[,\\s]+"));
                String dir = HookDiscovery.resolve(root, "/run/stillpoint/apps/" + name)
                        .toString();
                freeze = IrisQuiescer.argv("freeze", control, prog, csession, logDir, extTimeout, want, dir);
                thaw = IrisQuiescer.argv("thaw", control, prog, csession, logDir, extTimeout, want, dir);
                if (!m.containsKey("timeoutSeconds")) timeout = Math.max(timeout, 300);
                break;
            }
            case "command": {
                known(src, name, m, "freeze", "thaw", "successExitCodes", "thawSuccessExitCodes");
                String f = m.get("freeze");
                if (f == null || f.isBlank())
                    throw bad(src, name, "freeze", "missing: the command to run before the snapshot");
                Set<Integer> fc = m.containsKey("successExitCodes")
                        ? codes(src, name, "successExitCodes", m.get("successExitCodes"))
                        : Set.of(0);
                Set<Integer> tc = m.containsKey("thawSuccessExitCodes")
                        ? codes(src, name, "thawSuccessExitCodes", m.get("thawSuccessExitCodes"))
                        : Set.of(0);
                freeze = mapped(f, fc);
                String t = m.get("thaw");
                thaw = t == null || t.isBlank() ? null : mapped(t, tc);
                break;
            }
            case "service": {
                known(src, name, m, "units", "systemctl");
                String units = m.get("units");
                if (units == null || units.isBlank())
                    throw bad(src, name, "units", "missing: systemd units to stop before the snapshot");
                List<String> u = new ArrayList<>(Arrays.asList(units.trim().split("[,\\s]+")));
                String systemctl = m.getOrDefault("systemctl", "systemctl");
                freeze = new ArrayList<>(List.of(systemctl, "stop"));
                freeze.addAll(u);
                List<String> rev = new ArrayList<>(u);
                java.util.Collections.reverse(rev);
                thaw = new ArrayList<>(List.of(systemctl, "start"));
                thaw.addAll(rev);
                break;
            }
            default:
                throw new IllegalStateException(type);
        }
        Hook h = new Hook(
                HookGroup.STILLPOINT, "app:" + name, freeze, thaw, thaw, timeout, codes, retries, 0, optional, false);
        boolean locks = type.equals("mysql")
                || type.equals("mariadb")
                || type.equals("iris")
                || (type.equals("postgresql") && "backup".equals(m.getOrDefault("mode", "checkpoint")));
        return locks ? h.holdingLock() : h;
    }

    /**
     * {@code /bin/sh -c CMD} where exit codes in {@code success} are reported as 0 (so the runner's success
     * test is uniform), and any other code is passed through unchanged (never 0: mapped to 1).
     */
    static List<String> mapped(String cmd, Set<Integer> success) {
        if (success.equals(Set.of(0))) return List.of("/bin/sh", "-c", cmd);
        StringBuilder codes = new StringBuilder();
        for (int c : new java.util.TreeSet<>(success)) codes.append(' ').append(c);
        String script = "/bin/sh -c \"$1\"; rc=$?; case \" " + codes.toString().trim()
                + " \" in *\" $rc \"*) exit 0;; esac; " + "[ $rc -eq 0 ] && exit 1; exit $rc";
        return List.of("/bin/sh", "-c", script, "stillpoint-app", cmd);
    }

    private static void known(String src, String name, Map<String, String> m, String... keys) {
        Set<String> ok = new LinkedHashSet<>(COMMON);
        ok.addAll(Arrays.asList(keys));
        for (String k : m.keySet()) {
            if (!ok.contains(k)) {
                ok.remove(GuestConfigParser.SOURCE);
                throw new GuestException(
                        ErrorCode.CONFIG_UNKNOWN_KEY,
                        src + ": [app \"" + name + "\"] " + k + ": unknown key for type " + m.getOrDefault("type", name)
                                + " (known: " + String.join(", ", ok) + ")");
            }
        }
    }

    private static GuestException bad(String src, String name, String key, String why) {
        return new GuestException(ErrorCode.CONFIG_BAD_VALUE, src + ": [app \"" + name + "\"] " + key + ": " + why);
    }

    private static int intIn(String src, String name, String key, String v, int min, int max) {
        try {
            int i = Integer.parseInt(v.trim());
            if (i < min || i > max) throw bad(src, name, key, i + " is out of range " + min + ".." + max);
            return i;
        } catch (NumberFormatException e) {
            throw bad(src, name, key, "'" + v + "' is not an integer");
        }
    }

    private static boolean bool(String src, String name, String key, String v) {
        switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true":
            case "yes":
            case "on":
                return true;
            case "false":
            case "no":
            case "off":
                return false;
            default:
                throw bad(src, name, key, "'" + v + "' is not a boolean (true|false)");
        }
    }

    private static Set<Integer> codes(String src, String name, String key, String v) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String p : v.split(",")) if (!p.isBlank()) out.add(intIn(src, name, key, p, 0, 255));
        if (out.isEmpty()) throw bad(src, name, key, "empty list of exit codes");
        return out;
    }
}
