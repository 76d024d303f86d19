package dev.stillpoint.cli.backup;

import static dev.stillpoint.cli.backup.VmCommandsIT.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdClient;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stillpoint export} in its own JVM, read by real clients: {@code qemu-img convert} from the
 * export equals the original image and {@code restore --to --format raw} byte for byte,
 * {@code nbdinfo --map} sees holes exactly where the backup has none, {@code qemu-io -r} verifies
 * patterns, NbdClient reads; SIGTERM removes the socket and its directory.
 */
class ExportCommandIT {
    static final long MIB = 1 << 20;

    @TempDir
    static Path tmp;

    static Path raw;
    static Path repo;
    static Path passwordFile;
    static String backupId;

    @BeforeAll
    static void backUpAShutOffDomain() throws Exception {
        HostPrograms.require("qemu-img", "qemu-nbd", "qemu-io", "nbdinfo");
        System.setProperty("stillpoint.connector", StaticConnectorProvider.class.getName());
        Path image = tmp.resolve("sp-export-vda.qcow2");
        HostPrograms.qcow2(
                image,
                "64M",
                "write -P 0x41 1M 2M",
                "write -P 0x5a 8M 4M",
                "write -z 20M 1M",
                "write -P 0 24M 1M",
                "write -P 0x33 60M 4k");
        raw = tmp.resolve("original.raw");
        HostPrograms.run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", image.toString(), raw.toString());
        StaticConnectorProvider.DOMAINS.put(
                "sp-export",
                new StaticConnectorProvider.ShutOffDomain(
                        "sp-export", List.of(new VmDisk("vda", image.toString(), "qcow2", null))));
        repo = tmp.resolve("repo");
        passwordFile = Files.writeString(tmp.resolve("pw"), "export-secret\n");
        Repositories.init(
                        repo,
                        RepositoryOptions.encrypted("export-secret".toCharArray())
                                .withKdf(8 * 1024, 1))
                .close();
        VmCommandsIT.Run backup = cli(
                "backup",
                "sp-export",
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--json",
                "--work-dir",
                tmp.resolve("w").toString());
        assertThat(backup.code()).as(backup.err()).isZero();
        backupId = (String) backup.last().get("backupId");
    }

    @AfterAll
    static void reset() {
        System.clearProperty("stillpoint.connector");
        StaticConnectorProvider.DOMAINS.remove("sp-export");
    }

    /** A running {@code stillpoint export} and its ready line. */
    record Export(Process process, Map<String, Object> ready, Path err) implements AutoCloseable {
        @SuppressWarnings("unchecked")
        Map<String, Object> disk(int i) {
            return ((List<Map<String, Object>>) ready.get("exports")).get(i);
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS))
                process.destroyForcibly().waitFor();
        }
    }

    @SuppressWarnings("unchecked")
    static Export start(String... extra) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.stillpoint.cli.Main",
                "export",
                backupId.substring(0, 8),
                "--repo",
                repo.toString(),
                "--json"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("STILLPOINT_PASSWORD", "export-secret"); // never on the command line
        Path err = Files.createTempFile(tmp, "export", ".err");
        Process p = pb.redirectError(err.toFile()).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertThat(line)
                .as("ready line; stderr: " + Files.readString(err))
                .isNotNull()
                .contains("\"type\":\"ready\"");
        return new Export(p, (Map<String, Object>) JSON.std.anyFrom(line), err);
    }

    @Test
    void realClientsReadTheExportAsTheBackupHoldsIt() throws Exception {
        try (Export e = start()) {
            Path socket = Path.of((String) e.ready().get("socket"));
            String uri = (String) e.disk(0).get("uri");
            assertThat(e.ready())
                    .containsEntry("backupId", backupId)
                    .containsEntry("domain", "sp-export")
                    .containsEntry("address", null);
            assertThat(e.disk(0)).containsEntry("name", "vda").containsEntry("size", 64 << 20);
            assertThat(uri).isEqualTo("nbd+unix:///vda?socket=" + socket);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
                    .isEqualTo("rw-rw----");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())))
                    .isEqualTo("rwx--x---");
            if (hasHypervisorGroup()) {
                assertThat(Files.getAttribute(socket, "posix:group").toString())
                        .isEqualTo(ExportCommand.HYPERVISOR_GROUP);
                if ("root".equals(System.getProperty("user.name"))) {
                    // the hypervisor's user may connect, any other user may not
                    assertThat(HostPrograms.run("runuser", "-u", "libvirt-qemu", "--", "nbdinfo", "--size", uri)
                                    .strip())
                            .isEqualTo("67108864");
                    assertThat(runAllowingFailure("runuser", "-u", "nobody", "--", "nbdinfo", "--size", uri))
                            .contains("Permission denied");
                }
            }

            // qemu-img convert from the export == the original == restore --to --format raw
            Path converted = tmp.resolve("converted.raw");
            HostPrograms.run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri, converted.toString());
            assertThat(Files.mismatch(converted, raw)).isEqualTo(-1);
            VmCommandsIT.Run restore = cli(
                    "restore",
                    backupId,
                    "--repo",
                    repo.toString(),
                    "--password-file",
                    passwordFile.toString(),
                    "--to",
                    tmp.resolve("restored").toString(),
                    "--format",
                    "raw");
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(Files.mismatch(converted, tmp.resolve("restored/sp-export-vda.raw")))
                    .isEqualTo(-1);

            // nbdinfo --map: data only in the chunks (1 MiB) written with non-zero data; written zeroes are holes too
            List<String> map = new ArrayList<>();
            for (String l : HostPrograms.run("nbdinfo", "--map", uri).strip().split("\n")) {
                String[] f = l.strip().split("\\s+");
                map.add(f[0] + " " + f[1] + " " + f[2]);
            }
            assertThat(map)
                    .containsExactly(
                            "0 " + MIB + " 3",
                            MIB + " " + 2 * MIB + " 0",
                            3 * MIB + " " + 5 * MIB + " 3",
                            8 * MIB + " " + 4 * MIB + " 0",
                            12 * MIB + " " + 48 * MIB + " 3",
                            60 * MIB + " " + MIB + " 0",
                            61 * MIB + " " + 3 * MIB + " 3");

            // qemu-io read-only pattern checks: right pattern passes, wrong one is reported
            String ok = HostPrograms.run(
                    "qemu-io", "-r", "-f", "raw", "-c", "read -P 0x5a 8M 4M", "-c", "read -P 0 24M 1M", uri);
            assertThat(ok).doesNotContain("Pattern verification failed");
            String bad = runAllowingFailure("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x41 8M 4k", uri);
            assertThat(bad).contains("Pattern verification failed");

            // Stillpoint's own client, two connections at once
            try (NbdClient a = NbdClient.connect(socket, "vda", List.of(NbdClient.BASE_ALLOCATION));
                    NbdClient b = NbdClient.connect(socket, "", List.of())) {
                ByteBuffer x = ByteBuffer.allocate((int) (3 * MIB));
                ByteBuffer y = ByteBuffer.allocate((int) (3 * MIB));
                a.read(MIB - 100, x);
                b.read(MIB - 100, y);
                assertThat(x.array()).isEqualTo(y.array());
                byte[] want = new byte[(int) (3 * MIB)];
                try (var ch = java.nio.channels.FileChannel.open(raw)) {
                    ch.read(ByteBuffer.wrap(want), MIB - 100);
                }
                assertThat(x.array()).isEqualTo(want);
                assertThat(a.blockStatus(NbdClient.BASE_ALLOCATION, 20 * MIB, MIB))
                        .containsExactly(
                                new BlockExtent(20 * MIB, MIB, BlockExtent.STATE_HOLE | BlockExtent.STATE_ZERO));
            }

            // a write is refused; the export stays up
            String write = runAllowingFailure("qemu-io", "-f", "raw", "-c", "write -P 1 0 4k", uri);
            assertThat(write).containsAnyOf("read-only", "Operation not permitted", "Permission denied");
            HostPrograms.run("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x33 60M 4k", uri);

            e.process().destroy(); // SIGTERM
            assertThat(e.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(e.process().exitValue()).isEqualTo(143);
            assertThat(socket).doesNotExist();
            assertThat(socket.getParent()).doesNotExist();
        }
    }

    @Test
    void tcpOnLoopbackAndTheOneNamedDisk() throws Exception {
        try (Export e = start("--listen", "127.0.0.1:0", "--disk", "vda", "--cache-mib", "8")) {
            assertThat(e.ready()).containsEntry("socket", null);
            String address = (String) e.ready().get("address");
            assertThat(address).startsWith("127.0.0.1:");
            assertThat(e.disk(0)).containsEntry("uri", "nbd://" + address + "/vda");
            Path converted = tmp.resolve("tcp.raw");
            HostPrograms.run(
                    "qemu-img",
                    "convert",
                    "-f",
                    "raw",
                    "-O",
                    "raw",
                    (String) e.disk(0).get("uri"),
                    converted.toString());
            assertThat(Files.mismatch(converted, raw)).isEqualTo(-1);
            assertThat(Files.readString(e.err())).doesNotContain("plaintext");
        }
    }

    @Test
    void failuresHaveTheirExitCodes() throws Exception {
        Path taken = Files.writeString(tmp.resolve("taken.sock"), "not a socket");
        VmCommandsIT.Run busy = cli(
                "export",
                backupId,
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--socket",
                taken.toString());
        assertThat(busy.code())
                .as(busy.err())
                .isEqualTo(ExitCodes.EXPORT_FAILED)
                .isEqualTo(28);
        assertThat(busy.err()).contains("cannot listen on");
        assertThat(taken).exists();
        VmCommandsIT.Run noDisk = cli(
                "export",
                backupId,
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--disk",
                "vdz");
        assertThat(noDisk.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(noDisk.err()).contains("no disk 'vdz'");
        VmCommandsIT.Run unknown =
                cli("export", "ffffffff", "--repo", repo.toString(), "--password-file", passwordFile.toString());
        assertThat(unknown.code()).isEqualTo(ExitCodes.BACKUP_NOT_FOUND);
        VmCommandsIT.Run both =
                cli("export", backupId, "--repo", repo.toString(), "--socket", "/tmp/x", "--listen", "127.0.0.1:1");
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
    }

    static boolean hasHypervisorGroup() {
        try {
            java.nio.file.FileSystems.getDefault()
                    .getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(ExportCommand.HYPERVISOR_GROUP);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static String runAllowingFailure(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
