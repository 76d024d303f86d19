package dev.stillpoint.qemu.nbd;

/**
 * Wire constants of the NBD protocol (fixed newstyle handshake, structured replies, block status),
 * as published in the NBD project's {@code doc/proto.md}. All integers are big-endian.
 */
final class Nbd {
    private Nbd() {}

    // Handshake
    static final long NBDMAGIC = 0x4e42444d41474943L; // "NBDMAGIC"
    static final long IHAVEOPT = 0x49484156454F5054L; // "IHAVEOPT"
    static final long OPTION_REPLY_MAGIC = 0x0003e889045565a9L;

    static final int FLAG_FIXED_NEWSTYLE = 1; // server handshake flags
    static final int FLAG_NO_ZEROES = 1 << 1;
    static final int CLIENT_FLAG_FIXED_NEWSTYLE = 1; // client flags
    static final int CLIENT_FLAG_NO_ZEROES = 1 << 1;

    // Options
    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_STARTTLS = 5;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_LIST_META_CONTEXT = 9;
    static final int OPT_SET_META_CONTEXT = 10;

    // Option reply types (bit 31 set = error, see NbdErrorCode)
    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    static final int REP_FLAG_ERROR = 1 << 31;

    // NBD_REP_INFO types
    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    // Transmission flags (from NBD_INFO_EXPORT)
    static final int TFLAG_HAS_FLAGS = 1;
    static final int TFLAG_READ_ONLY = 1 << 1;
    static final int TFLAG_SEND_FLUSH = 1 << 2;
    static final int TFLAG_SEND_DF = 1 << 7;
    static final int TFLAG_CAN_MULTI_CONN = 1 << 8;

    // Transmission
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_CACHE = 5;
    static final int CMD_WRITE_ZEROES = 6;
    static final int CMD_BLOCK_STATUS = 7;

    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;
    static final int CMD_FLAG_DF = 1 << 2;
    static final int CMD_FLAG_REQ_ONE = 1 << 3;

    // Structured reply chunks
    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_TYPE_NONE = 0;
    static final int REPLY_TYPE_OFFSET_DATA = 1;
    static final int REPLY_TYPE_OFFSET_HOLE = 2;
    static final int REPLY_TYPE_BLOCK_STATUS = 5;
    static final int REPLY_TYPE_ERROR = (1 << 15) + 1;
    static final int REPLY_TYPE_ERROR_OFFSET = (1 << 15) + 2;
    static final int REPLY_TYPE_ERROR_BIT = 1 << 15;

    /** Largest read request this client sends (qemu-nbd's limit as well). */
    static final int MAX_READ = 32 << 20;
    /** Bytes of zeroes after NBD_OPT_EXPORT_NAME's reply unless NO_ZEROES was agreed. */
    static final int EXPORT_NAME_ZEROES = 124;
    /** The one meta context the server offers, and its id on a connection. */
    static final String BASE_ALLOCATION = "base:allocation";

    static final int BASE_ALLOCATION_ID = 1;
    /** Longest option payload the server reads (names are at most 4096 bytes). */
    static final int MAX_OPTION_PAYLOAD = 64 << 10;

    /** Largest payload accepted for an option reply or a non-data chunk. */
    static final int MAX_SMALL_PAYLOAD = 16 << 20;

    static String optionName(int option) {
        return switch (option) {
            case OPT_EXPORT_NAME -> "EXPORT_NAME";
            case OPT_ABORT -> "ABORT";
            case OPT_LIST -> "LIST";
            case OPT_STARTTLS -> "STARTTLS";
            case OPT_INFO -> "INFO";
            case OPT_GO -> "GO";
            case OPT_STRUCTURED_REPLY -> "STRUCTURED_REPLY";
            case OPT_LIST_META_CONTEXT -> "LIST_META_CONTEXT";
            case OPT_SET_META_CONTEXT -> "SET_META_CONTEXT";
            default -> "OPT_" + option;
        };
    }

    static String replyTypeName(int type) {
        return switch (type) {
            case REP_ACK -> "ACK";
            case REP_SERVER -> "SERVER";
            case REP_INFO -> "INFO";
            case REP_META_CONTEXT -> "META_CONTEXT";
            default ->
                (type & REP_FLAG_ERROR) != 0
                        ? NbdErrorCode.fromOptionReply(type).name()
                        : "REP_" + type;
        };
    }

    static String commandName(int type) {
        return switch (type) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_DISC -> "DISC";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case CMD_CACHE -> "CACHE";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            case CMD_BLOCK_STATUS -> "BLOCK_STATUS";
            default -> "CMD_" + type;
        };
    }

    static String chunkTypeName(int type) {
        return switch (type) {
            case REPLY_TYPE_NONE -> "NONE";
            case REPLY_TYPE_OFFSET_DATA -> "OFFSET_DATA";
            case REPLY_TYPE_OFFSET_HOLE -> "OFFSET_HOLE";
            case REPLY_TYPE_BLOCK_STATUS -> "BLOCK_STATUS";
            case REPLY_TYPE_ERROR -> "ERROR";
            case REPLY_TYPE_ERROR_OFFSET -> "ERROR_OFFSET";
            default -> "CHUNK_" + type;
        };
    }
}
