package dev.graft.engine.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The child JVM of {@link AtomicFileTest}: starts replacing the file {@code args[0]}, writes part of the
 * content, prints {@code writing} and blocks until the process is killed.
 */
final class BlockingWriter {
    static final String READY = "writing";

    private BlockingWriter() {
    }

    public static void main(String[] args) throws IOException {
        AtomicFile.replace(Path.of(args[0]), channel -> {
            AtomicFile.writeFully(channel, ByteBuffer.wrap("partial".getBytes(StandardCharsets.UTF_8)));
            System.out.println(READY);
            System.out.flush();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException("interrupted mid-write");
            }
        });
    }
}
