import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryOptions;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Random;

/**
 * bench/snapshots-s3.sh's fixture: {@code java -cp stillpoint.jar MakePoints.java REPO COUNT}
 * creates an encrypted repository at REPO with COUNT small restore points (one JVM; 1 MiB
 * each, one changed 4 KiB block per point, so every point has its own manifest and most chunks
 * are shared). Passphrase from $STILLPOINT_PASSWORD.
 */
public class MakePoints {
    public static void main(String[] a) throws Exception {
        String repo = a[0];
        int count = Integer.parseInt(a[1]);
        char[] pw = System.getenv("STILLPOINT_PASSWORD").toCharArray();
        byte[] img = new byte[1 << 20];
        new Random(1).nextBytes(img);
        try (Repository r = Repositories.init(repo, RepositoryOptions.encrypted(pw))) {
            for (int i = 0; i < count; i++) {
                img[(i * 4096) % img.length] ^= 1;
                try (ImageWriter w = r.newImage("vm" + (i % 50) + "/vda", img.length, null, Map.of(), ProgressListener.NONE)) {
                    w.write(0, ByteBuffer.wrap(img));
                    w.commit();
                }
                if ((i + 1) % 100 == 0) System.out.println((i + 1) + " points");
            }
        }
    }
}
