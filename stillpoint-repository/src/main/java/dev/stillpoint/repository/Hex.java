package dev.stillpoint.repository;

import java.util.HexFormat;

final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {}

    static String of(byte[] b) {
        return HEX.formatHex(b);
    }

    static byte[] parse(String s) {
        return HEX.parseHex(s);
    }

    static boolean isHex(String s, int len) {
        if (s.length() != len) return false;
        for (int i = 0; i < len; i++)
            if (Character.digit(s.charAt(i), 16) < 0 || Character.isUpperCase(s.charAt(i))) return false;
        return true;
    }
}
