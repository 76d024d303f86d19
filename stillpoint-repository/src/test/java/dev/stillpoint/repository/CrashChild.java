package dev.stillpoint.repository;

import java.util.Map;

/**
 * Child JVM for {@link CrashTest}: loops backup (name "child", tags seed/iter) -> forget
 * keep-last 1 -> prune until killed. Images are {@code TestImages.image(seed * 1000 + iter)}.
 */
public final class CrashChild {
    private CrashChild() {}

    public static void main(String[] args) throws Exception {
        String dir = args[0]; // a directory or an s3: location
        long seed = Long.parseLong(args[1]);
        try (Repository repo = Repositories.open(dir, "repo-secret".toCharArray())) {
            System.out.println("opened");
            for (int iter = 0; ; iter++) {
                byte[] img = TestImages.image(seed * 1000 + iter, 24 * TestImages.CHUNK + iter);
                try (ImageWriter w = repo.newImage(
                        "child",
                        img.length,
                        null,
                        Map.of("seed", "" + seed, "iter", "" + iter),
                        ProgressListener.NONE)) {
                    for (int pos = 0; pos < img.length; pos += 4096) {
                        w.write(pos, java.nio.ByteBuffer.wrap(img, pos, Math.min(4096, img.length - pos)));
                    }
                    w.commit();
                }
                System.out.println("committed " + iter);
                repo.forget(RetentionPolicy.keepLast(1), false);
                repo.prune(ProgressListener.NONE);
                System.out.println("pruned " + iter);
            }
        }
    }
}
