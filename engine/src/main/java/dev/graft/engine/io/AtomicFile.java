package dev.graft.engine.io;

import dev.graft.engine.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Writes a file so that readers see either the old file or the complete new one: the content goes to a
 * temporary file in the target's directory, is forced to disk, then renamed over the target in one step. On
 * any failure the temporary file is deleted and an existing target is left untouched. Temporary files of
 * interrupted writes are deleted at JVM shutdown, or by the next write to the same target when the process was
 * killed outright.
 *
 * <p>Only regular files are replaced: a directory, device, FIFO or socket at the target is refused, never renamed
 * over. A symbolic link is written through: the file it resolves to is replaced and the link is kept (as
 * {@code torch.save} or a shell redirection would write through it); a link to a missing file or to anything
 * but a regular file is refused. A replaced file keeps its permission bits. Errors name the target as the
 * caller gave it, never the temporary file.
 */
public final class AtomicFile {
    private static final int CHUNK_BYTES = 1 << 20;

    private AtomicFile() {
    }

    /** Produces the file's bytes. */
    @FunctionalInterface
    public interface Content {
        void write(FileChannel channel) throws IOException;
    }

    /**
     * Fails as {@link #replace} would before writing anything when {@code target} cannot be replaced: it is a
     * directory, a device, FIFO or socket, or a link to one of these or to nothing. A missing target is fine.
     */
    public static void checkTarget(Path target) throws IOException {
        destination(target);
    }

    public static void replace(Path target, Content content) throws IOException {
        Path file = destination(target);
        Path temp = TempFiles.newPath(file);
        try {
            Set<PosixFilePermission> permissions = permissions(file);
            TempFiles.removeStale(file);
            try (FileChannel channel = TempFiles.create(temp)) {
                if (permissions != null) {
                    // Before the content, so the data is never readable by more users than the old file was.
                    Files.setPosixFilePermissions(temp, permissions);
                }
                content.write(channel);
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteAfterFailure(temp, e);
            throw namingTarget(e, target, temp, file);
        } catch (RuntimeException | Error e) {
            deleteAfterFailure(temp, e);
            throw e;
        } finally {
            TempFiles.forget(temp);
        }
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true); // makes the rename durable on POSIX
        } catch (IOException e) {
            // Directories cannot be opened everywhere (e.g. Windows); the file itself is already on disk.
        }
    }

    /**
     * The regular file, existing or not, that writing {@code target} replaces: the target itself or, for a
     * symbolic link, the file it resolves to.
     */
    private static Path destination(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        boolean link = Files.isSymbolicLink(absolute);
        Path file;
        try {
            file = link ? absolute.toRealPath() : absolute;
        } catch (NoSuchFileException e) {
            throw new FileSystemException(target.toString(), null, "is a symbolic link to "
                    + Files.readSymbolicLink(absolute) + ", which does not exist; write to a new name or fix the link");
        } catch (FileSystemException e) {
            throw naming(e, target); // a loop of links, say
        }
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return file;
        } catch (FileSystemException e) {
            throw naming(e, target); // "Not a directory" when a parent is a file, say
        }
        String what = link ? "is a link to " + file + ", which " : "";
        if (attributes.isDirectory()) {
            throw new FileSystemException(target.toString(), null, what + "is a directory");
        }
        if (!attributes.isRegularFile()) {
            throw new FileSystemException(target.toString(), null, what + "is not a regular file (a device, FIFO"
                    + " or socket); only regular files are replaced");
        }
        return file;
    }

    /** The permission bits of an existing file; null for a new file or where the file system has none. */
    private static Set<PosixFilePermission> permissions(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return null;
        }
        try {
            return view.readAttributes().permissions();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void deleteAfterFailure(Path temp, Throwable failure) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * The error a caller should see: a file-system error about the temporary or the resolved file is re-issued
     * about {@code target}; a bare I/O error, which names no file ("No space left on device"), gets the target's
     * name. Other errors, such as the content's own about other files, pass unchanged.
     */
    private static IOException namingTarget(IOException e, Path target, Path temp, Path file) {
        if (e instanceof FileSystemException f && (mentions(f, temp) || mentions(f, file))) {
            return naming(f, target);
        }
        if (e.getClass() == IOException.class) {
            FileSystemException named = new FileSystemException(target.toString(), null, e.getMessage());
            named.initCause(e);
            return named;
        }
        return e;
    }

    private static boolean mentions(FileSystemException e, Path p) {
        return p.toString().equals(e.getFile()) || p.toString().equals(e.getOtherFile());
    }

    /** {@code e} re-issued, of the same kind where callers tell kinds apart, about {@code target} alone. */
    private static FileSystemException naming(FileSystemException e, Path target) {
        String user = target.toString();
        FileSystemException named = switch (e) {
            case AccessDeniedException _ -> new AccessDeniedException(user, null, e.getReason());
            case NoSuchFileException _ -> new NoSuchFileException(user, null, e.getReason());
            case FileAlreadyExistsException _ -> new FileAlreadyExistsException(user, null, e.getReason());
            default -> new FileSystemException(user, null,
                    e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
        };
        named.initCause(e);
        return named;
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
