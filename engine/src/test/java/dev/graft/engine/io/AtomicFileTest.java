package dev.graft.engine.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What AtomicFile refuses to replace, how its errors read, and how its temporary files are cleaned up. */
class AtomicFileTest {
    private static final FileTime LONG_AGO = FileTime.from(Instant.now().minus(TempFiles.STALE_AFTER.multipliedBy(2)));

    @TempDir
    Path dir;

    private static void write(Path target, String text) throws IOException {
        AtomicFile.replace(target, channel ->
                AtomicFile.writeFully(channel, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    }

    /** Every file in the folder whose name ends in .tmp. */
    private List<Path> temps() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).sorted().toList();
        }
    }

    /** The error a refused or failed write reports: about the target as given, never a temporary file. */
    private static FileSystemException assertNamesTarget(Path target, FileSystemException e) {
        assertEquals(target.toString(), e.getFile(), e.getMessage());
        assertEquals(null, e.getOtherFile(), e.getMessage());
        assertFalse(e.getMessage().contains(".tmp"), e.getMessage());
        return e;
    }

    @Test
    void replacesAndCreatesRegularFiles() throws Exception {
        Path target = dir.resolve("out.bin");
        write(target, "one");
        write(target, "two");
        assertEquals("two", Files.readString(target));
        assertEquals(List.of(), temps());
    }

    @Test
    void refusesADirectoryNamingIt() throws Exception {
        Path target = Files.createDirectory(dir.resolve("out.bin"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> write(target, "x"));
        assertNamesTarget(target, e);
        assertEquals("is a directory", e.getReason());
        assertTrue(Files.isDirectory(target));
        AtomicFile.checkTarget(dir.resolve("new.bin"));
        assertNamesTarget(target, assertThrows(FileSystemException.class, () -> AtomicFile.checkTarget(target)));
        assertEquals(List.of(), temps());
    }

    @Test
    void refusesAFifo() throws Exception {
        Path fifo = dir.resolve("pipe");
        int status;
        try {
            status = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
        } catch (IOException e) {
            status = -1;
        }
        assumeTrue(status == 0, "skipped: mkfifo is not available to make a FIFO");
        FileSystemException e = assertThrows(FileSystemException.class, () -> write(fifo, "x"));
        assertNamesTarget(fifo, e);
        assertTrue(e.getReason().startsWith("is not a regular file"), e.getReason());
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo) && !Files.isDirectory(fifo), "still the FIFO");
        assertEquals(List.of(), temps());
    }

    @Test
    void refusesALinkToADeviceAndKeepsTheLink() throws Exception {
        Path device = Path.of("/dev/null");
        assumeTrue(Files.exists(device) && !Files.isRegularFile(device), "skipped: no /dev/null device");
        Path link = Files.createSymbolicLink(dir.resolve("out.bin"), device);
        FileSystemException e = assertThrows(FileSystemException.class, () -> write(link, "x"));
        assertNamesTarget(link, e);
        assertEquals("is a link to /dev/null, which is not a regular file (a device, FIFO or socket); only regular"
                + " files are replaced", e.getReason());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(device, Files.readSymbolicLink(link));
        assertEquals(List.of(), temps());
        Files.delete(link); // JUnit warns about links leaving the temporary folder when it cleans up
    }

    @Test
    void writesThroughALinkToARegularFile() throws Exception {
        Path real = Files.writeString(Files.createDirectory(dir.resolve("runs")).resolve("model.bin"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("latest.bin"), dir.relativize(real));
        write(link, "new");
        assertTrue(Files.isSymbolicLink(link), "the link is kept");
        assertEquals("new", Files.readString(real));
        assertEquals(List.of(), temps());
        try (Stream<Path> files = Files.list(real.getParent())) {
            assertEquals(List.of(real), files.toList(), "the temporary file was beside the real file, and is gone");
        }
    }

    @Test
    void refusesALinkToNothingWithoutCreatingIt() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("out.bin"), dir.resolve("missing.bin"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> write(link, "x"));
        assertNamesTarget(link, e);
        assertTrue(e.getReason().startsWith("is a symbolic link to " + dir.resolve("missing.bin") + ", which does not"
                + " exist"), e.getReason());
        assertFalse(Files.exists(dir.resolve("missing.bin")));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aParentThatIsAFileIsReportedForTheTarget() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        Path target = file.resolve("out.bin");
        FileSystemException e = assertThrows(FileSystemException.class, () -> write(target, "x"));
        assertNamesTarget(target, e);
        assertEquals("x", Files.readString(file));
    }

    @Test
    void aMissingFolderIsReportedForTheTarget() {
        Path target = dir.resolve("no/such/out.bin");
        assertNamesTarget(target, assertThrows(NoSuchFileException.class, () -> write(target, "x")));
    }

    @Test
    void anErrorWithoutAPathGetsTheTargets() throws Exception {
        Path target = Files.writeString(dir.resolve("out.bin"), "old");
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFile.replace(target, channel -> {
            throw new IOException("No space left on device");
        }));
        assertNamesTarget(target, e);
        assertEquals("No space left on device", e.getReason());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of(), temps());
    }

    @Test
    void aRenameThatFailsNamesTheTarget() throws Exception {
        Path target = dir.resolve("out.bin");
        // A directory appears at the target while the content is written: the rename fails, not the checks.
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFile.replace(target, channel -> {
            Files.writeString(Files.createDirectory(target).resolve("inside"), "kept");
        }));
        assertNamesTarget(target, e);
        assertEquals("kept", Files.readString(target.resolve("inside")));
        assertEquals(List.of(), temps());
    }

    @Test
    void theNextWriteRemovesStaleTempFilesOfItsTargetOnly() throws Exception {
        Path target = dir.resolve("out.bin");
        List<String> stale = List.of(".out.bin.3w5e11264sgsg.tmp", ".out.bin.0.tmp");
        List<String> kept = List.of(".out.bin.fresh.tmp", ".other.bin.3w5e11264sgsg.tmp", ".out.bin.ABC.tmp",
                ".out.bin..tmp", "out.bin.abc.tmp", ".out.bin.abc.tmp.keep", ".out.binx.abc.tmp");
        for (String name : stale) {
            Files.setLastModifiedTime(Files.writeString(dir.resolve(name), "left by a killed writer"), LONG_AGO);
        }
        for (String name : kept) {
            Path p = Files.writeString(dir.resolve(name), "not ours, or too recent");
            if (!name.contains("fresh")) {
                Files.setLastModifiedTime(p, LONG_AGO);
            }
        }
        write(target, "new");
        assertEquals("new", Files.readString(target));
        for (String name : stale) {
            assertFalse(Files.exists(dir.resolve(name)), name);
        }
        for (String name : kept) {
            assertTrue(Files.exists(dir.resolve(name)), name);
        }
    }

    @Test
    void tempNamesAreRecognisedExactly() {
        Path target = dir.resolve("a.b");
        for (int i = 0; i < 100; i++) {
            assertTrue(TempFiles.isTempName(TempFiles.newPath(target).getFileName().toString(), "a.b"));
        }
        assertFalse(TempFiles.isTempName(".a.b.x.tmp", "a"));
        assertFalse(TempFiles.isTempName(".a.b.x-y.tmp", "a.b"));
    }

    /** A JVM running {@link BlockingWriter} on {@code target}, returned once its temporary file exists. */
    private Process startBlockedWriter(Path target) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                BlockingWriter.class.getName(), target.toString())
                .redirectError(dir.resolve("child.err").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertEquals(BlockingWriter.READY, line, () -> "child stderr: " + readQuietly(dir.resolve("child.err")));
        return child;
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    @Timeout(60) // guards against a child that never starts; not a timing assertion
    void sigtermDeletesTheTempFileOfAnInterruptedWrite() throws Exception {
        Path target = Files.writeString(dir.resolve("out.bin"), "old");
        Process child = startBlockedWriter(target);
        try {
            assertEquals(1, temps().size(), "the write is under way");
            child.destroy(); // SIGTERM on POSIX
            assertEquals(128 + 15, child.waitFor(), "ended by SIGTERM");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(List.of(), temps());
        assertEquals("old", Files.readString(target));
    }

    @Test
    @Timeout(60)
    void aKilledWritersTempFileIsRemovedByTheNextWriteButNotWhileItLives() throws Exception {
        Path target = Files.writeString(dir.resolve("out.bin"), "old");
        Process child = startBlockedWriter(target);
        Path temp;
        try {
            temp = temps().getFirst();
            Files.setLastModifiedTime(temp, LONG_AGO); // old enough to be stale, were its writer dead
            write(target, "mine");
            assertTrue(Files.exists(temp), "a live writer's file is kept: it holds the lock");
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor();
        } finally {
            child.destroyForcibly();
        }
        assertTrue(Files.exists(temp), "a killed writer leaves its file behind");
        write(target, "next");
        assertFalse(Files.exists(temp), "the next write removed it");
        assertEquals("next", Files.readString(target));
        assertEquals(List.of(), temps());
    }
}
