package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NBD server against a scripted client (every option and command, errors, disconnects, concurrency) and against NbdClient. */
class NbdServerTest {
    static final int SIZE = 4 << 20;
    static final int HOLE = BlockExtent.STATE_HOLE | BlockExtent.STATE_ZERO;

    @TempDir
    Path dir;

    Path socket;
    InMemoryExportSource vda;
    InMemoryExportSource vdb;
    NbdServer server;

    @BeforeEach
    void start() throws IOException {
        vda = InMemoryExportSource.patterned(SIZE, 2, 3, 10);
        vdb = InMemoryExportSource.patterned(1 << 20);
        server = NbdServer.builder()
                .export("vda", vda)
                .export("vdb", vdb)
                .workers(4)
                .writeTimeout(Duration.ofMillis(500))
                .build();
        socket = dir.resolve("nbd.sock");
        server.listen(UnixDomainSocketAddress.of(socket));
    }

    @AfterEach
    void stop() throws IOException {
        vda.gate.countDown();
        server.close();
    }

    MockNbdClientPeer peer() throws IOException {
        return MockNbdClientPeer.connect(socket);
    }

    byte[] slice(InMemoryExportSource s, long offset, int length) {
        return Arrays.copyOfRange(s.data, (int) offset, (int) offset + length);
    }

    // ---- handshake ----------------------------------------------------------------------------

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            assertThat(p.greet(CLIENT_FLAG_FIXED_NEWSTYLE)).isEqualTo(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        }
    }

    @Test
    void goNegotiatesStructuredRepliesAndBaseAllocation() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
            assertThat(p.option(OPT_STRUCTURED_REPLY, new byte[0]))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(REP_ACK);
            List<NbdReader.OptionReply> ctx = p.option(
                    OPT_SET_META_CONTEXT,
                    NbdWriter.metaContextPayload("vda", List.of("qemu:dirty-bitmap:x", BASE_ALLOCATION)));
            assertThat(ctx).hasSize(2);
            assertThat(ctx.get(0).type()).isEqualTo(REP_META_CONTEXT);
            ByteBuffer c = ByteBuffer.wrap(ctx.get(0).data());
            assertThat(c.getInt()).isEqualTo(BASE_ALLOCATION_ID);
            assertThat(MockNbdClientPeer.text(
                            Arrays.copyOfRange(ctx.get(0).data(), 4, ctx.get(0).data().length)))
                    .isEqualTo(BASE_ALLOCATION);

            List<NbdReader.OptionReply> go = p.option(OPT_GO, NbdWriter.goPayload("vda", INFO_BLOCK_SIZE));
            assertThat(go).extracting(NbdReader.OptionReply::type).containsExactly(REP_INFO, REP_INFO, REP_ACK);
            ByteBuffer info = ByteBuffer.wrap(go.get(0).data());
            assertThat(info.getShort()).isEqualTo((short) INFO_EXPORT);
            assertThat(info.getLong()).isEqualTo(SIZE);
            int flags = info.getShort();
            assertThat(flags & (TFLAG_HAS_FLAGS | TFLAG_READ_ONLY)).isEqualTo(TFLAG_HAS_FLAGS | TFLAG_READ_ONLY);
            assertThat(flags & TFLAG_SEND_FLUSH).isZero();
            ByteBuffer bs = ByteBuffer.wrap(go.get(1).data());
            assertThat(bs.getShort()).isEqualTo((short) INFO_BLOCK_SIZE);
            assertThat(new int[] {bs.getInt(), bs.getInt(), bs.getInt()}).containsExactly(1, 4096, MAX_READ);

            p.request(CMD_READ, 7, 65536, 8192);
            MockNbdClientPeer.Reply r = p.reply(8192);
            assertThat(r.cookie()).isEqualTo(7);
            assertThat(r.error()).isZero();
            assertThat(r.data()).isEqualTo(slice(vda, 65536, 8192));

            p.request(CMD_BLOCK_STATUS, 8, 0, SIZE);
            assertThat(p.reply(0).extents())
                    .containsExactly(
                            new long[] {2 * 65536, 0},
                            new long[] {2 * 65536, HOLE},
                            new long[] {6 * 65536, 0},
                            new long[] {65536, HOLE},
                            new long[] {SIZE - 11 * 65536, 0});

            p.writer.request(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 9, 3 * 65536, 65536 * 4);
            assertThat(p.reply(0).extents()).containsExactly(new long[] {65536, HOLE});

            p.request(CMD_DISC, 10, 0, 0);
            assertThat(p.closedByServer()).isTrue();
        }
    }

    @Test
    void withoutStructuredRepliesReadsGetSimpleRepliesAndBlockStatusIsRefused() throws Exception {
        try (MockNbdClientPeer p = peer().open("vdb", false, false)) {
            p.request(CMD_READ, 1, 1000, 5000);
            MockNbdClientPeer.Reply r = p.reply(5000);
            assertThat(r.extents()).isEmpty();
            assertThat(r.data()).isEqualTo(slice(vdb, 1000, 5000));
            p.request(CMD_BLOCK_STATUS, 2, 0, 4096);
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            p.request(CMD_READ, 3, (1 << 20) - 10, 20);
            assertThat(p.reply(20).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            p.request(CMD_READ, 4, 0, 16);
            assertThat(p.reply(16).data()).isEqualTo(slice(vdb, 0, 16));
        }
    }

    @Test
    void setMetaContextNeedsStructuredRepliesAndAKnownExport() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE);
            assertThat(p.option(OPT_SET_META_CONTEXT, NbdWriter.metaContextPayload("vda", List.of(BASE_ALLOCATION))))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(NbdErrorCode.REP_ERR_INVALID.value());
            p.option(OPT_STRUCTURED_REPLY, new byte[0]);
            assertThat(p.option(OPT_SET_META_CONTEXT, NbdWriter.metaContextPayload("nope", List.of(BASE_ALLOCATION))))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(NbdErrorCode.REP_ERR_UNKNOWN.value());
            assertThat(p.option(OPT_SET_META_CONTEXT, new byte[] {0, 0, 0, 9, 1}))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(NbdErrorCode.REP_ERR_INVALID.value());
            // contexts chosen for vdb are void when GO opens vda
            p.option(OPT_SET_META_CONTEXT, NbdWriter.metaContextPayload("vdb", List.of(BASE_ALLOCATION)));
            p.option(OPT_GO, NbdWriter.goPayload("vda"));
            p.request(CMD_BLOCK_STATUS, 1, 0, 4096);
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EINVAL.value());
        }
    }

    @Test
    void listMetaContextAnswersAllOrMatchingContextsWithIdZero() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE);
            p.option(OPT_STRUCTURED_REPLY, new byte[0]);
            for (List<String> q : List.of(List.<String>of(), List.of("base:"), List.of(BASE_ALLOCATION))) {
                List<NbdReader.OptionReply> l = p.option(OPT_LIST_META_CONTEXT, NbdWriter.metaContextPayload("vda", q));
                assertThat(l)
                        .extracting(NbdReader.OptionReply::type)
                        .as("query " + q)
                        .containsExactly(REP_META_CONTEXT, REP_ACK);
                assertThat(ByteBuffer.wrap(l.get(0).data()).getInt()).isZero();
            }
            assertThat(p.option(
                            OPT_LIST_META_CONTEXT, NbdWriter.metaContextPayload("vda", List.of("qemu:dirty-bitmap:"))))
                    .extracting(NbdReader.OptionReply::type)
                    .containsExactly(REP_ACK);
        }
    }

    @Test
    void listNamesEveryExportAndRefusesData() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE);
            List<NbdReader.OptionReply> l = p.option(OPT_LIST, new byte[0]);
            assertThat(l).extracting(NbdReader.OptionReply::type).containsExactly(REP_SERVER, REP_SERVER, REP_ACK);
            assertThat(l.subList(0, 2))
                    .extracting(r -> MockNbdClientPeer.text(Arrays.copyOfRange(r.data(), 4, r.data().length)))
                    .containsExactly("vda", "vdb");
            assertThat(p.option(OPT_LIST, new byte[] {1}))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(NbdErrorCode.REP_ERR_INVALID.value());
        }
    }

    @Test
    void infoDescribesWithoutLeavingNegotiationAndAbortIsAcked() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE);
            List<NbdReader.OptionReply> info = p.option(OPT_INFO, NbdWriter.goPayload("vdb", INFO_NAME));
            assertThat(info)
                    .extracting(NbdReader.OptionReply::type)
                    .containsExactly(REP_INFO, REP_INFO, REP_INFO, REP_ACK);
            assertThat(ByteBuffer.wrap(info.get(0).data()).getLong(2)).isEqualTo(1 << 20);
            assertThat(MockNbdClientPeer.text(Arrays.copyOfRange(
                            info.get(1).data(), 2, info.get(1).data().length)))
                    .isEqualTo("vdb");
            // the empty name is the first export
            assertThat(ByteBuffer.wrap(p.option(OPT_INFO, NbdWriter.goPayload(""))
                                    .get(0)
                                    .data())
                            .getLong(2))
                    .isEqualTo(SIZE);
            assertThat(p.option(OPT_INFO, NbdWriter.goPayload("nope")))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(NbdErrorCode.REP_ERR_UNKNOWN.value());
            assertThat(p.option(OPT_GO, new byte[] {0, 0, 0, 3, 'v'}))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(NbdErrorCode.REP_ERR_INVALID.value());
            assertThat(p.option(OPT_ABORT, new byte[0]))
                    .singleElement()
                    .extracting(NbdReader.OptionReply::type)
                    .isEqualTo(REP_ACK);
            assertThat(p.closedByServer()).isTrue();
        }
    }

    @Test
    void unknownOptionsAndStartTlsGetUnsupAndNegotiationGoesOn() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE);
            for (int opt : new int[] {OPT_STARTTLS, 4, 42, 0x7fff}) {
                assertThat(p.option(opt, new byte[] {1, 2, 3}))
                        .singleElement()
                        .extracting(NbdReader.OptionReply::type)
                        .as("option " + opt)
                        .isEqualTo(NbdErrorCode.REP_ERR_UNSUP.value());
            }
            assertThat(p.option(OPT_GO, NbdWriter.goPayload("vda")).getLast().type())
                    .isEqualTo(REP_ACK);
        }
    }

    @Test
    void exportNameEntersTransmissionWithOrWithoutZeroes() throws Exception {
        for (int flags : new int[] {CLIENT_FLAG_FIXED_NEWSTYLE, CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES}) {
            try (MockNbdClientPeer p = peer()) {
                p.greet(flags);
                p.writer.option(OPT_EXPORT_NAME, "vdb".getBytes());
                assertThat(p.reader.readLong()).isEqualTo(1 << 20);
                assertThat(p.reader.readU16() & TFLAG_READ_ONLY).isEqualTo(TFLAG_READ_ONLY);
                if ((flags & CLIENT_FLAG_NO_ZEROES) == 0)
                    assertThat(p.reader.readBytes(124)).containsOnly(0);
                p.request(CMD_READ, 5, 10, 10);
                MockNbdClientPeer.Reply r = p.reply(10);
                assertThat(r.cookie()).isEqualTo(5);
                assertThat(r.data()).isEqualTo(slice(vdb, 10, 10));
            }
        }
    }

    @Test
    void exportNameOfAnUnknownExportDropsTheConnection() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE);
            p.writer.option(OPT_EXPORT_NAME, "nope".getBytes());
            assertThat(p.closedByServer()).isTrue();
        }
    }

    @Test
    void unknownClientFlagsDropTheConnection() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE | 1 << 5);
            assertThat(p.closedByServer()).isTrue();
        }
    }

    // ---- transmission errors ------------------------------------------------------------------

    @Test
    void writesTrimsAndZeroWritesGetEpermAndTheConnectionGoesOn() throws Exception {
        try (MockNbdClientPeer p = peer().open("vda", true, true)) {
            p.request(CMD_WRITE, 1, 0, 4096);
            p.channel.write(ByteBuffer.allocate(4096));
            MockNbdClientPeer.Reply w = p.reply(0);
            assertThat(w.error()).isEqualTo(NbdErrorCode.EPERM.value());
            assertThat(w.message()).contains("read-only");
            p.request(CMD_TRIM, 2, 0, 4096);
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EPERM.value());
            p.request(CMD_WRITE_ZEROES, 3, 0, 4096);
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EPERM.value());
            p.request(CMD_FLUSH, 4, 0, 0);
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            p.request(99, 5, 0, 0);
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            p.request(CMD_READ, 6, 4096, 4096);
            assertThat(p.reply(4096).data()).isEqualTo(slice(vda, 4096, 4096));
        }
    }

    @Test
    void readsPastTheEndAndOversizedRequestsGetEinvalAndTheConnectionGoesOn() throws Exception {
        try (MockNbdClientPeer p = peer().open("vda", true, true)) {
            p.request(CMD_READ, 1, SIZE - 100, 200);
            assertThat(p.reply(200).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            p.request(CMD_READ, 2, Long.MAX_VALUE - 10, 4096); // offset + length overflows
            assertThat(p.reply(4096).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            p.request(CMD_READ, 3, 0, MAX_READ + 1L);
            MockNbdClientPeer.Reply big = p.reply(0);
            assertThat(big.error()).isEqualTo(NbdErrorCode.EINVAL.value());
            assertThat(big.message()).contains("exceeds");
            p.request(CMD_BLOCK_STATUS, 4, SIZE, 1);
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            // an oversized write is skipped whole, then refused
            int oversized = MAX_READ + 4096;
            p.request(CMD_WRITE, 5, 0, oversized);
            p.channel.write(ByteBuffer.allocate(oversized));
            assertThat(p.reply(0).error()).isEqualTo(NbdErrorCode.EINVAL.value());
            p.request(CMD_READ, 6, SIZE - 4096, 4096);
            assertThat(p.reply(4096).data()).isEqualTo(slice(vda, SIZE - 4096, 4096));
        }
    }

    @Test
    void aFailingSourceGivesEioForThatRequestOnly() throws Exception {
        vda.failAt = 8192;
        try (MockNbdClientPeer p = peer().open("vda", true, false)) {
            p.request(CMD_READ, 1, 8192, 100);
            MockNbdClientPeer.Reply r = p.reply(100);
            assertThat(r.error()).isEqualTo(NbdErrorCode.EIO.value());
            assertThat(r.message()).contains("injected failure");
            p.request(CMD_READ, 2, 0, 100);
            assertThat(p.reply(100).data()).isEqualTo(slice(vda, 0, 100));
        }
    }

    @Test
    void aBadRequestMagicDropsThatClientOnly() throws Exception {
        try (MockNbdClientPeer bad = peer().open("vda", true, false);
                MockNbdClientPeer good = peer().open("vda", true, false)) {
            bad.channel.write(ByteBuffer.allocate(28).putInt(0x12345678).flip());
            assertThat(bad.closedByServer()).isTrue();
            good.request(CMD_READ, 1, 0, 512);
            assertThat(good.reply(512).data()).isEqualTo(slice(vda, 0, 512));
        }
    }

    // ---- disconnects and concurrency ----------------------------------------------------------

    @Test
    void abruptDisconnectsInEveryPhaseLeaveTheServerServing() throws Exception {
        try (MockNbdClientPeer p = peer()) {
            p.reader.readGreeting();
        } // before client flags
        try (MockNbdClientPeer p = peer()) {
            p.greet(CLIENT_FLAG_FIXED_NEWSTYLE);
            p.channel.write(ByteBuffer.allocate(5));
        } // mid option
        try (MockNbdClientPeer p = peer().open("vda", true, true)) {
            p.channel.write(ByteBuffer.allocate(10).putInt(REQUEST_MAGIC).flip());
        } // mid request
        vda.gated = o -> o == 0;
        try (MockNbdClientPeer p = peer().open("vda", true, true)) { // requests in flight
            p.request(CMD_READ, 1, 0, 1 << 20);
            p.request(CMD_BLOCK_STATUS, 2, 0, SIZE);
        }
        vda.gate.countDown();
        try (NbdClient c = NbdClient.connect(socket, "vda", List.of(NbdClient.BASE_ALLOCATION))) {
            ByteBuffer b = ByteBuffer.allocate(SIZE);
            c.read(0, b);
            assertThat(b.array()).isEqualTo(vda.data);
        }
        waitFor(() -> server.openConnections() == 0);
        assertThat(server.acceptedConnections()).isEqualTo(5);
    }

    @Test
    void requestsInFlightAreServedInParallelAndRepliedOutOfOrder() throws Exception {
        vda.gated = o -> o == 0;
        try (MockNbdClientPeer p = peer().open("vda", true, true)) {
            p.request(CMD_READ, 1, 0, 4096);
            p.request(CMD_READ, 2, 4096, 4096);
            p.request(CMD_BLOCK_STATUS, 3, 0, 65536);
            Map<Long, MockNbdClientPeer.Reply> replies = new HashMap<>();
            for (int i = 0; i < 2; i++) {
                MockNbdClientPeer.Reply r = p.reply(4096);
                replies.put(r.cookie(), r);
            }
            assertThat(replies).containsOnlyKeys(2L, 3L); // cookie 1 still waits at the gate
            vda.gate.countDown();
            MockNbdClientPeer.Reply first = p.reply(4096);
            assertThat(first.cookie()).isEqualTo(1);
            assertThat(first.data()).isEqualTo(slice(vda, 0, 4096));
            assertThat(replies.get(2L).data()).isEqualTo(slice(vda, 4096, 4096));
        }
    }

    @Test
    void manyClientsAtOnceReadWhatTheExportHolds() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    String name = seed % 2 == 0 ? "vda" : "vdb";
                    InMemoryExportSource src = seed % 2 == 0 ? vda : vdb;
                    try (NbdClient c = NbdClient.connect(socket, name, List.of(NbdClient.BASE_ALLOCATION))) {
                        for (int i = 0; i < 50; i++) {
                            int len = 1 + rnd.nextInt(256 << 10);
                            long off = rnd.nextLong(src.data.length - len + 1);
                            ByteBuffer b = ByteBuffer.allocate(len);
                            c.read(off, b);
                            assertThat(b.array()).isEqualTo(slice(src, off, len));
                        }
                        return c.blockStatus(NbdClient.BASE_ALLOCATION, 0, c.size())
                                .size();
                    }
                }));
            }
            for (int t = 0; t < 8; t++) assertThat(results.get(t).get()).isEqualTo(t % 2 == 0 ? 5 : 1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.acceptedConnections()).isEqualTo(8);
    }

    @Test
    void aClientThatStopsReadingRepliesIsDroppedAndOthersGoOn() throws Exception {
        try (MockNbdClientPeer stalled = peer().open("vda", true, false)) {
            for (int i = 0; i < 8; i++) stalled.request(CMD_READ, i, 0, SIZE); // 32 MiB of replies nobody reads
            waitFor(() -> server.openConnections() == 0);
            try (NbdClient c = NbdClient.connect(socket, "vdb", List.of())) {
                ByteBuffer b = ByteBuffer.allocate(1 << 20);
                c.read(0, b);
                assertThat(b.array()).isEqualTo(vdb.data);
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAndTheOthersGoOn() throws Exception {
        try (NbdServer small =
                NbdServer.builder().export("vdb", vdb).maxConnections(2).build()) {
            Path s2 = dir.resolve("small.sock");
            small.listen(UnixDomainSocketAddress.of(s2));
            try (MockNbdClientPeer a = MockNbdClientPeer.connect(s2).open("vdb", true, false);
                    MockNbdClientPeer b = MockNbdClientPeer.connect(s2).open("vdb", false, false);
                    MockNbdClientPeer c = MockNbdClientPeer.connect(s2)) {
                assertThat(c.closedByServer()).isTrue();
                b.request(CMD_READ, 1, 0, 10);
                assertThat(b.reply(10).data()).isEqualTo(slice(vdb, 0, 10));
            }
            waitFor(() -> small.openConnections() == 0);
            try (NbdClient again = NbdClient.connect(s2, "vdb", List.of())) {
                assertThat(again.size()).isEqualTo(1 << 20);
            }
        }
    }

    @Test
    void nbdClientSeesSizeFlagsDataAndHoles() throws Exception {
        try (NbdClient c =
                NbdClient.connect(socket, "vda", List.of(NbdClient.BASE_ALLOCATION, "qemu:dirty-bitmap:x"))) {
            assertThat(c.size()).isEqualTo(SIZE);
            assertThat(c.readOnly()).isTrue();
            assertThat(c.hasContext(NbdClient.BASE_ALLOCATION)).isTrue();
            assertThat(c.hasContext("qemu:dirty-bitmap:x")).isFalse();
            assertThat(c.blockStatus(NbdClient.BASE_ALLOCATION, 65536, 3 * 65536))
                    .containsExactly(new BlockExtent(65536, 65536, 0), new BlockExtent(2 * 65536, 2 * 65536, HOLE));
        }
    }

    @Test
    void tcpListenerServesTheSameExports() throws Exception {
        InetSocketAddress bound =
                (InetSocketAddress) server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try (NbdClient c = NbdClient.connect(bound.getHostString(), bound.getPort(), "vdb", List.of())) {
            ByteBuffer b = ByteBuffer.allocate(1000);
            c.read(5, b);
            assertThat(b.array()).isEqualTo(slice(vdb, 5, 1000));
        }
    }

    @Test
    void closeRemovesTheSocketAndDropsClients() throws Exception {
        try (MockNbdClientPeer p = peer().open("vda", true, false)) {
            server.close();
            assertThat(Files.exists(socket)).isFalse();
            assertThat(p.closedByServer()).isTrue();
        }
        assertThatThrownBy(() -> peer()).isInstanceOf(IOException.class);
    }

    @Test
    void builderChecksItsArguments() {
        assertThatThrownBy(() -> NbdServer.builder().build()).hasMessageContaining("at least one export");
        assertThatThrownBy(() -> NbdServer.builder().export("", vda)).hasMessageContaining("export name");
        assertThatThrownBy(() -> NbdServer.builder().export("a", vda).export("a", vdb))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> NbdServer.builder().workers(0)).hasMessageContaining("workers must be 1..256, got 0");
        assertThatThrownBy(() -> NbdServer.builder().maxBytesInFlight(1)).hasMessageContaining("maxBytesInFlight");
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 10 s");
            Thread.sleep(20);
        }
    }
}
