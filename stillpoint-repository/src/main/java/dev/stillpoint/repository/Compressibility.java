package dev.stillpoint.repository;

/**
 * Cheap guess whether a chunk is worth handing to zstd (as borg's "auto" mode guesses with lz4):
 * the order-0 entropy of a few spread samples. Data that is already compressed or encrypted has
 * close to 8 bits per byte everywhere, and zstd would spend its time finding nothing; such a
 * chunk is stored raw without trying. The guess errs towards compressing: a chunk is skipped only
 * when every sample looks random, so a chunk with any compressible region is still compressed
 * (and the blob encoder still stores raw whatever does not shrink by 1/64).
 */
final class Compressibility {
    /** Samples per chunk and bytes per sample. */
    static final int SAMPLES = 4;

    static final int SAMPLE = 4 << 10;
    /**
     * Bits per byte above which a sample counts as random. A 4 KiB sample of uniformly random
     * bytes measures ~7.95 (the histogram of 4096 draws over 256 values is never flat); English
     * text is ~4.5, machine code ~6, a 64-symbol alphabet 6.
     */
    static final double RANDOM_BITS = 7.8;

    private static final int LOG2_SAMPLE = Integer.numberOfTrailingZeros(SAMPLE);

    /** {@code C_LOG_C[c] = c * log2(c)}: entropy without a logarithm per histogram bin. */
    private static final double[] C_LOG_C = new double[SAMPLE + 1];

    static {
        for (int c = 1; c <= SAMPLE; c++) C_LOG_C[c] = c * (Math.log(c) / Math.log(2));
    }

    private Compressibility() {}

    /** False when every sample of {@code b[off, off+len)} looks incompressible; short chunks are always tried. */
    static boolean worthCompressing(byte[] b, int off, int len) {
        if (len < SAMPLES * SAMPLE * 2) return true;
        int stride = len / SAMPLES;
        int[] hist = new int[256];
        for (int s = 0; s < SAMPLES; s++) {
            java.util.Arrays.fill(hist, 0);
            int p = off + s * stride + (stride - SAMPLE) / 2;
            for (int i = 0; i < SAMPLE; i++) hist[b[p + i] & 0xff]++;
            double sum = 0;
            for (int c : hist) sum += C_LOG_C[c];
            double bits = LOG2_SAMPLE - sum / SAMPLE; // H = log2(n) - sum(c log2 c) / n
            if (bits < RANDOM_BITS) return true;
        }
        return false;
    }

    /** Order-0 Shannon entropy in bits per byte of a histogram of {@code n} bytes. */
    static double entropyBits(int[] hist, int n) {
        double h = 0, inv = 1.0 / n;
        for (int c : hist) {
            if (c == 0) continue;
            double p = c * inv;
            h -= p * Math.log(p);
        }
        return h / Math.log(2);
    }
}
