package dev.graft.engine.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The temporary files {@link AtomicFile} writes before renaming them over their target: {@code .NAME.<random>.tmp}
 * beside the target NAME. They are deleted on failure, on normal JVM shutdown (exit, Ctrl-C, SIGTERM run
 * shutdown hooks) and, when a process died without running them (SIGKILL, power loss), by the next write to the
 * same target.
 *
 * <p>A writer holds a lock on its temporary file while writing, which the operating system releases when the
 * process dies; a leftover is stale only if no one holds its lock and it has not been modified for
 * {@link #STALE_AFTER}, which covers the instant between a writer creating its file and locking it.
 */
final class TempFiles {
    static final Duration STALE_AFTER = Duration.ofMinutes(1);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SUFFIX = ".tmp";

    private TempFiles() {
    }

    /** This JVM's temporary files being written; a holder, so the hook is registered on first use. */
    private static final class InFlight {
        static final Set<Path> PATHS = ConcurrentHashMap.newKeySet();

        static {
            try {
                Runtime.getRuntime().addShutdownHook(
                        Thread.ofPlatform().name("graft-temp-cleanup").unstarted(InFlight::deleteAll));
            } catch (IllegalStateException e) {
                // First use during shutdown: no hook will run, the next write to the target cleans up instead.
            }
        }

        private static void deleteAll() {
            for (Path p : PATHS) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Nothing can be reported during shutdown; the next write to the target retries.
                }
            }
        }
    }

    /** A fresh temporary path beside {@code file}. */
    static Path newPath(Path file) {
        return file.resolveSibling("." + file.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36)
                + SUFFIX);
    }

    /**
     * Creates {@code temp} (which must not exist), registers it for deletion at shutdown and locks it.
     * Unregister it with {@link #forget} once it is renamed or deleted.
     */
    static FileChannel create(Path temp) throws IOException {
        InFlight.PATHS.add(temp);
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            channel.lock();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    static void forget(Path temp) {
        InFlight.PATHS.remove(temp);
    }

    /** Whether {@code name} is one of the temporary names {@link #newPath} gives for a file named {@code target}. */
    static boolean isTempName(String name, String target) {
        String prefix = "." + target + ".";
        if (!name.startsWith(prefix) || !name.endsWith(SUFFIX) || name.length() <= prefix.length() + SUFFIX.length()) {
            return false;
        }
        return name.substring(prefix.length(), name.length() - SUFFIX.length()).chars()
                .allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'z');
    }

    /**
     * Deletes the stale temporary files of {@code file} that earlier processes left. Best effort: a leftover
     * that cannot be listed, locked or deleted stays, and the write it precedes goes ahead.
     *
     * @return how many were deleted
     */
    static int removeStale(Path file) {
        String name = file.getFileName().toString();
        Instant cutoff = Instant.now().minus(STALE_AFTER);
        int removed = 0;
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(file.getParent(),
                p -> isTempName(p.getFileName().toString(), name))) {
            for (Path p : leftovers) {
                if (!InFlight.PATHS.contains(p) && removeIfStale(p, cutoff)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            // An unreadable folder fails the write itself, with the error that names it.
        }
        return removed;
    }

    private static boolean removeIfStale(Path p, Instant cutoff) {
        try {
            if (Files.getLastModifiedTime(p).toInstant().isAfter(cutoff)) {
                return false;
            }
            // This JVM's own writers were skipped above: closing this channel would drop their POSIX locks.
            try (FileChannel channel = FileChannel.open(p, StandardOpenOption.WRITE);
                 FileLock lock = channel.tryLock()) {
                if (lock == null) {
                    return false; // another live process is writing it
                }
                Files.delete(p);
                return true;
            }
        } catch (IOException | OverlappingFileLockException e) {
            return false;
        }
    }
}
