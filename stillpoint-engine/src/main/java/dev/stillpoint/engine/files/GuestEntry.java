package dev.stillpoint.engine.files;

import java.time.Instant;

/**
 * One file of the guest as the restore point holds it.
 *
 * @param path   guest path ({@code /etc/hostname}; unplaced filesystems under {@code /.stillpoint/unplaced/<device>})
 * @param mode   permission bits with setuid/setgid/sticky ({@code 07777} mask)
 * @param target a symlink's target as stored, else null
 */
public record GuestEntry(
        String path, Kind kind, int mode, long uid, long gid, long size, Instant mtime, long links, String target) {
    /** File types, named as {@code find -printf %y} would print them, spelled out. */
    public enum Kind {
        FILE("file", '-'),
        DIRECTORY("dir", 'd'),
        SYMLINK("symlink", 'l'),
        CHAR_DEVICE("char", 'c'),
        BLOCK_DEVICE("block", 'b'),
        FIFO("fifo", 'p'),
        SOCKET("socket", 's');

        private final String label;
        private final char letter;

        Kind(String label, char letter) {
            this.label = label;
            this.letter = letter;
        }

        /** JSON name: file, dir, symlink, char, block, fifo, socket. */
        public String label() {
            return label;
        }

        /** {@code ls -l}'s first letter. */
        public char letter() {
            return letter;
        }

        static Kind ofMode(long mode) {
            return switch ((int) (mode & 0170000)) {
                case 0040000 -> DIRECTORY;
                case 0120000 -> SYMLINK;
                case 0020000 -> CHAR_DEVICE;
                case 0060000 -> BLOCK_DEVICE;
                case 0010000 -> FIFO;
                case 0140000 -> SOCKET;
                default -> FILE;
            };
        }
    }

    /** The last path component. */
    public String name() {
        return GuestPath.name(path);
    }

    /** {@code drwxr-xr-x}, as {@code ls -l} prints it. */
    public String modeString() {
        StringBuilder b = new StringBuilder().append(kind.letter());
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) b.append((mode & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
        if ((mode & 04000) != 0) b.setCharAt(3, (mode & 0100) != 0 ? 's' : 'S');
        if ((mode & 02000) != 0) b.setCharAt(6, (mode & 0010) != 0 ? 's' : 'S');
        if ((mode & 01000) != 0) b.setCharAt(9, (mode & 0001) != 0 ? 't' : 'T');
        return b.toString();
    }
}
