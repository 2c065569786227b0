package dev.graft.engine.io;

import dev.graft.engine.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes a file so that readers see either the old file or the complete new one: the content goes to a
 * temporary file in the target's directory, is forced to disk, then renamed over the target in one step. On
 * any failure the temporary file is deleted and an existing target is left untouched.
 */
public final class AtomicFile {
    private static final int CHUNK_BYTES = 1 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFile() {
    }

    /** Produces the file's bytes. */
    @FunctionalInterface
    public interface Content {
        void write(FileChannel channel) throws IOException;
    }

    public static void replace(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temp = dir.resolve("." + absolute.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36)
                + ".tmp");
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            try (channel) {
                content.write(channel);
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true); // makes the rename durable on POSIX
        } catch (IOException e) {
            // Directories cannot be opened everywhere (e.g. Windows); the file itself is already on disk.
        }
    }

    public static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Streams a tensor's elements in row-major order, little-endian, in bounded chunks. */
    public static void writeLittleEndian(FileChannel channel, Tensor t) throws IOException {
        int width = t.dtype().byteSize();
        int perChunk = CHUNK_BYTES / width;
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case F32 -> {
                float[] v = t.toFloatArray();
                for (int i = 0; i < v.length; i += perChunk) {
                    int n = Math.min(perChunk, v.length - i);
                    buffer.clear().asFloatBuffer().put(v, i, n);
                    writeFully(channel, buffer.limit(n * width));
                }
            }
            case F64 -> {
                double[] v = t.toDoubleArray();
                for (int i = 0; i < v.length; i += perChunk) {
                    int n = Math.min(perChunk, v.length - i);
                    buffer.clear().asDoubleBuffer().put(v, i, n);
                    writeFully(channel, buffer.limit(n * width));
                }
            }
            case I64 -> {
                long[] v = t.toLongArray();
                for (int i = 0; i < v.length; i += perChunk) {
                    int n = Math.min(perChunk, v.length - i);
                    buffer.clear().asLongBuffer().put(v, i, n);
                    writeFully(channel, buffer.limit(n * width));
                }
            }
        }
    }
}
