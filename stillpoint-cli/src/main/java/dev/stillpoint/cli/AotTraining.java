package dev.stillpoint.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The training run behind the launcher's JDK AOT cache ({@code scripts/lib.sh},
 * stillpoint_aot_opts): several commands in one JVM, so the cache holds the classes, linked
 * lambdas and FFM stubs of more than one command (an AOT cache records one JVM's run).
 *
 * <p>Usage: {@code java -XX:AOTCacheOutput=FILE -cp stillpoint.jar dev.stillpoint.cli.AotTraining
 * WORKDIR IMAGE}, with {@code $STILLPOINT_PASSWORD} set. It creates a repository and a catalog
 * under WORKDIR, backs IMAGE up, lists, checks and restores it, and builds the option models and
 * help of the commands most run (restore with --files, files, backup, verify, export). Exits 0
 * when every step did, else 1 (the launcher then starts without a cache).
 */
public final class AotTraining {
    private static final Pattern SNAPSHOT_ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f]+)\"");

    private AotTraining() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: AotTraining WORKDIR IMAGE");
            System.exit(2);
        }
        String repo = args[0] + "/repo";
        String catalog = args[0] + "/catalog.db";
        List<String> failed = new ArrayList<>();
        run(failed, "repo", "init", "--repo", repo);
        run(failed, "image", "backup", "--repo", repo, "--name", "training", args[1]);
        String listing = capture(failed, "snapshots", "--repo", repo, "--json");
        Matcher m = SNAPSHOT_ID.matcher(listing);
        if (m.find()) {
            run(failed, "image", "restore", "--repo", repo, "--target", args[0] + "/restored.raw", m.group(1));
        } else {
            failed.add("snapshots: no snapshot id in " + listing.strip());
        }
        run(failed, "check", "--repo", repo);
        run(failed, "backups", "--repo", repo, "--catalog", catalog);
        for (String command : List.of("restore", "files", "backup", "verify", "export", "mount"))
            capture(failed, command, "--help");
        s3(failed);
        if (!failed.isEmpty()) {
            System.err.println("AOT training: failed: " + failed);
            System.exit(1);
        }
        System.exit(0);
    }

    /**
     * The S3 store's client (the AWS SDK: ~0.4 s of class loading in every S3 command) up to its
     * first request, against a closed port on the loopback: one attempt, refused, exit 19 expected.
     */
    private static void s3(List<String> failed) {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (java.io.IOException e) {
            return;
        }
        System.setProperty("stillpoint.s3.attempts", "1");
        System.setProperty("aws.accessKeyId", "aot-training");
        System.setProperty("aws.secretAccessKey", "aot-training");
        String[] args = {"snapshots", "--repo", "s3:http://127.0.0.1:" + port + "/aot/training", "--no-cache"};
        int code = Main.commandLine(args[0]).execute(args);
        if (code != ExitCodes.REPO_UNAVAILABLE) failed.add(String.join(" ", args) + " (exit " + code + ", not 19)");
    }

    private static void run(List<String> failed, String... args) {
        int code = Main.commandLine(args[0]).execute(args);
        if (code != 0) failed.add(String.join(" ", args) + " (exit " + code + ")");
    }

    /** Runs with standard output captured, and returns it. */
    private static String capture(List<String> failed, String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            run(failed, args);
        } finally {
            System.setOut(out);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
