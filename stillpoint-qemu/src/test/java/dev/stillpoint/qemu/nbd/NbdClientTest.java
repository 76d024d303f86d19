package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NbdClientTest {
    private static final String DIRTY = "qemu:dirty-bitmap:backup-vda";
    private MockNbdPeer peer;

    @BeforeEach
    void setUp() throws Exception {
        peer = new MockNbdPeer();
    }

    @AfterEach
    void tearDown() throws Exception {
        peer.close();
    }

    @Test
    void handshakeNegotiatesStructuredRepliesContextsAndGo() throws Exception {
        peer.handshake(1 << 20, Map.of("base:allocation", 7)).acceptRequest();
        peer.play();
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of("base:allocation", DIRTY))) {
            assertThat(nbd.size()).isEqualTo(1 << 20);
            assertThat(nbd.hasContext("base:allocation")).isTrue();
            assertThat(nbd.hasContext(DIRTY)).isFalse();
            assertThat(nbd.readOnly()).isTrue();
        }
        assertThat(peer.takeFrame()).isEqualTo(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
        assertThat(((NbdReader.Option) peer.takeFrame()).option()).isEqualTo(OPT_STRUCTURED_REPLY);
        NbdReader.Option meta = (NbdReader.Option) peer.takeFrame();
        assertThat(meta.option()).isEqualTo(OPT_SET_META_CONTEXT);
        assertThat(meta.data()).isEqualTo(NbdWriter.metaContextPayload("vda", List.of("base:allocation", DIRTY)));
        NbdReader.Option go = (NbdReader.Option) peer.takeFrame();
        assertThat(go.option()).isEqualTo(OPT_GO);
        assertThat(go.data()).isEqualTo(NbdWriter.goPayload("vda", INFO_EXPORT, INFO_BLOCK_SIZE));
        assertThat(peer.takeRequest().type()).isEqualTo(CMD_DISC);
    }

    @Test
    void readAssemblesDataAndHoleChunksInAnyOrder() throws Exception {
        byte[] a = filled(4096, 0x11);
        byte[] c = filled(4096, 0x33);
        peer.handshake(1 << 20, Map.of())
                .acceptRequest()
                .send(w -> {
                    w.offsetData(1, false, 8192 + 8192, c);
                    w.offsetHole(1, false, 8192 + 4096, 4096);
                    w.offsetData(1, true, 8192, a);
                })
                .acceptRequest();
        peer.play();
        ByteBuffer dst = ByteBuffer.allocate(12288);
        Arrays.fill(dst.array(), (byte) 0x7f);
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of())) {
            nbd.read(8192, dst);
        }
        assertThat(dst.position()).isEqualTo(12288);
        assertThat(Arrays.copyOfRange(dst.array(), 0, 4096)).isEqualTo(a);
        assertThat(Arrays.copyOfRange(dst.array(), 4096, 8192)).isEqualTo(new byte[4096]);
        assertThat(Arrays.copyOfRange(dst.array(), 8192, 12288)).isEqualTo(c);
        NbdReader.Request read = peer.takeRequest();
        assertThat(read.type()).isEqualTo(CMD_READ);
        assertThat(read.offset()).isEqualTo(8192);
        assertThat(read.length()).isEqualTo(12288);
    }

    @Test
    void readSplitsLargeBuffersIntoRequestsOfAtMost32MiB() throws Exception {
        int size = 40 << 20;
        peer.handshake(size, Map.of())
                .acceptRequest()
                .send(w -> w.offsetHole(1, true, 0, 32 << 20))
                .acceptRequest()
                .send(w -> w.offsetData(2, true, 32 << 20, filled(8 << 20, 0x5a)))
                .acceptRequest();
        peer.play();
        ByteBuffer dst = ByteBuffer.allocate(size);
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of())) {
            nbd.read(0, dst);
        }
        NbdReader.Request first = peer.takeRequest();
        NbdReader.Request second = peer.takeRequest();
        assertThat(first.offset()).isZero();
        assertThat(first.length()).isEqualTo(32 << 20);
        assertThat(second.offset()).isEqualTo(32 << 20);
        assertThat(second.length()).isEqualTo(8 << 20);
        assertThat(dst.get(0)).isZero();
        assertThat(dst.get(size - 1)).isEqualTo((byte) 0x5a);
    }

    @Test
    void errorChunkBecomesNbdExceptionWithWireCode() throws Exception {
        peer.handshake(1 << 20, Map.of()).acceptRequest().send(w -> w.errorChunk(1, true, 5, "disk on fire"));
        peer.play();
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of())) {
            assertThatThrownBy(() -> nbd.read(0, ByteBuffer.allocate(512)))
                    .isInstanceOf(NbdException.class)
                    .hasMessageContaining("READ offset=0 len=512")
                    .hasMessageContaining("disk on fire")
                    .satisfies(e -> assertThat(((NbdException) e).code()).isEqualTo(NbdErrorCode.EIO));
        }
    }

    @Test
    void readWhoseChunksLeaveAGapIsAProtocolError() throws Exception {
        peer.handshake(1 << 20, Map.of()).acceptRequest().send(w -> w.offsetData(1, true, 0, filled(256, 1)));
        peer.play();
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of())) {
            assertThatThrownBy(() -> nbd.read(0, ByteBuffer.allocate(512)))
                    .satisfies(e -> assertThat(((NbdException) e).code()).isEqualTo(NbdErrorCode.PROTOCOL_ERROR))
                    .hasMessageContaining("covered 256 bytes");
        }
    }

    @Test
    void blockStatusPicksTheAskedContextAndClipsToTheRequest() throws Exception {
        peer.handshake(1 << 20, Map.of("base:allocation", 1, DIRTY, 2))
                .acceptRequest()
                .send(w -> {
                    w.blockStatus(1, false, 1, new long[] {65536, 0}, new long[] {1 << 20, 3});
                    w.blockStatus(1, true, 2, new long[] {4096, 0}, new long[] {65536, 1}, new long[] {1 << 20, 0});
                });
        peer.play();
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of("base:allocation", DIRTY))) {
            List<BlockExtent> dirty = nbd.blockStatus(DIRTY, 4096, 131072);
            assertThat(dirty)
                    .containsExactly(
                            new BlockExtent(4096, 4096, 0),
                            new BlockExtent(8192, 65536, 1),
                            new BlockExtent(73728, 61440, 0));
            assertThat(dirty.get(1).dirty()).isTrue();
        }
        NbdReader.Request status = peer.takeRequest();
        assertThat(status.type()).isEqualTo(CMD_BLOCK_STATUS);
        assertThat(status.offset()).isEqualTo(4096);
        assertThat(status.length()).isEqualTo(131072);
    }

    @Test
    void blockStatusOfAContextNotNegotiatedFailsLocally() throws Exception {
        peer.handshake(1 << 20, Map.of("base:allocation", 1));
        peer.play();
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of("base:allocation", DIRTY))) {
            assertThatThrownBy(() -> nbd.blockStatus(DIRTY, 0, 4096))
                    .satisfies(
                            e -> assertThat(((NbdException) e).code()).isEqualTo(NbdErrorCode.CONTEXT_NOT_NEGOTIATED))
                    .hasMessageContaining(DIRTY);
        }
    }

    @Test
    void unknownExportIsReportedWithTheOptionErrorCode() throws Exception {
        peer.send(w -> w.greeting(FLAG_FIXED_NEWSTYLE))
                .acceptClientFlags()
                .acceptOption()
                .send(w -> w.optionReply(OPT_STRUCTURED_REPLY, REP_ACK, new byte[0]))
                .acceptOption()
                .send(w -> w.optionReply(
                        OPT_GO,
                        NbdErrorCode.REP_ERR_UNKNOWN.value(),
                        "export 'vdb' not present".getBytes(StandardCharsets.UTF_8)));
        peer.play();
        assertThatThrownBy(() -> NbdClient.connect(peer.socket(), "vdb", List.of()))
                .satisfies(e -> assertThat(((NbdException) e).code()).isEqualTo(NbdErrorCode.REP_ERR_UNKNOWN))
                .hasMessageContaining("GO for export 'vdb'")
                .hasMessageContaining("not present");
        assertThat(peer.takeFrame()).isEqualTo(CLIENT_FLAG_FIXED_NEWSTYLE);
    }

    @Test
    void oldstyleOrGarbageGreetingIsRejected() throws Exception {
        peer.send(w -> w.simpleReply(0, 0, ByteBuffer.allocate(16)));
        peer.play();
        assertThatThrownBy(() -> NbdClient.connect(peer.socket(), "vda", List.of()))
                .satisfies(e -> assertThat(((NbdException) e).code()).isEqualTo(NbdErrorCode.PROTOCOL_ERROR));
    }

    @Test
    void simpleRepliesWorkWhenTheServerRefusesStructuredReplies() throws Exception {
        byte[] data = filled(1024, 0x42);
        peer.send(w -> w.greeting(FLAG_FIXED_NEWSTYLE))
                .acceptClientFlags()
                .acceptOption()
                .send(w -> w.optionReply(OPT_STRUCTURED_REPLY, NbdErrorCode.REP_ERR_UNSUP.value(), new byte[0]))
                .acceptOption()
                .send(w -> {
                    w.infoExport(OPT_GO, 4096, TFLAG_HAS_FLAGS);
                    w.optionReply(OPT_GO, REP_ACK, new byte[0]);
                })
                .acceptRequest()
                .send(w -> w.simpleReply(0, 1, ByteBuffer.wrap(data)))
                .acceptRequest()
                .send(w -> w.simpleReply(22, 2, null));
        peer.play();
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of())) {
            ByteBuffer dst = ByteBuffer.allocate(1024);
            nbd.read(0, dst);
            assertThat(dst.array()).isEqualTo(data);
            assertThatThrownBy(() -> nbd.read(1024, ByteBuffer.allocate(8)))
                    .satisfies(e -> assertThat(((NbdException) e).code()).isEqualTo(NbdErrorCode.EINVAL));
        }
    }

    @Test
    void rangesOutsideTheExportAreRejectedBeforeSending() throws Exception {
        peer.handshake(4096, Map.of("base:allocation", 1));
        peer.play();
        try (NbdClient nbd = NbdClient.connect(peer.socket(), "vda", List.of("base:allocation"))) {
            assertThatThrownBy(() -> nbd.read(4000, ByteBuffer.allocate(200)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("offset=4000 length=200")
                    .hasMessageContaining("size 4096");
            assertThatThrownBy(() -> nbd.blockStatus("base:allocation", -1, 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
