package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/** How an I/O failure of the repository's files becomes a repository error code. */
class RepositoryExceptionTest {
    @Test
    void outOfSpaceIsFullAnywhereInTheCauseChain() {
        IOException enospc = new IOException("No space left on device");
        IOException wrapped = new IOException("writing pack /r/tmp/pack-1.tmp failed: No space left on device", enospc);
        for (IOException e :
                new IOException[] {enospc, wrapped, new FileSystemException("/r/locks/x", null, "Disk quota exceeded")
                }) {
            IOException r = RepositoryException.ofIo("writing a pack to /r/tmp", e);
            assertThat(r)
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            x -> assertThat(x.code()).isEqualTo(RepositoryException.Code.FULL))
                    .hasMessageStartingWith("repository filesystem full while writing a pack to /r/tmp: ")
                    .hasCause(e);
        }
    }

    @Test
    void otherIoErrorsAreIoErrorsAndTypedOnesStayAsTheyAre() {
        IOException eio = new IOException("Input/output error");
        assertThat(RepositoryException.ofIo("reading chunk ab from pack cd", eio))
                .isInstanceOfSatisfying(
                        RepositoryException.class,
                        x -> assertThat(x.code()).isEqualTo(RepositoryException.Code.IO_ERROR))
                .hasMessage("I/O error while reading chunk ab from pack cd: Input/output error");
        RepositoryException corrupt = new RepositoryException(RepositoryException.Code.CORRUPT, "chunk ab is damaged");
        assertThat(RepositoryException.ofIo("reading", corrupt)).isSameAs(corrupt);
        InterruptedIOException interrupted = new InterruptedIOException("interrupted");
        assertThat(RepositoryException.ofIo("reading", interrupted)).isSameAs(interrupted);
    }
}
