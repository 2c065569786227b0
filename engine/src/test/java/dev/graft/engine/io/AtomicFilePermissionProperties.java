package dev.graft.engine.io;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A replaced file keeps whatever permission bits it had; the check would catch a writer that drops them. */
class AtomicFilePermissionProperties {
    /** PosixFilePermission's order is owner rwx, group rwx, others rwx: bit 8 down to bit 0 of the mode. */
    private static final PosixFilePermission[] BITS = PosixFilePermission.values();

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < BITS.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(BITS[i]);
            }
        }
        return set;
    }

    static int mode(Path file) throws IOException {
        int mode = 0;
        for (PosixFilePermission p : Files.getPosixFilePermissions(file)) {
            mode |= 0400 >> p.ordinal();
        }
        return mode;
    }

    /** Replaces {@code mode}'s file with {@code writer} and returns the mode it has afterwards. */
    private static int modeAfterReplace(int mode, Writer writer) throws IOException {
        Path dir = Files.createTempDirectory("atomic-mode");
        Path file = dir.resolve("f.bin");
        try {
            Files.writeString(file, "old");
            Files.setPosixFilePermissions(file, permissions(mode));
            writer.replace(file, "new");
            int after = mode(file);
            Files.setPosixFilePermissions(file, permissions(0600)); // readable here even without root
            assertEquals("new", Files.readString(file));
            return after;
        } finally {
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
    }

    @FunctionalInterface
    private interface Writer {
        void replace(Path file, String text) throws IOException;
    }

    private static void atomicFile(Path file, String text) throws IOException {
        AtomicFile.replace(file, ch -> AtomicFile.writeFully(ch, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    }

    /** The plain temp-and-rename that AtomicFile did before: the new file gets the default mode. */
    private static void plainRename(Path file, String text) throws IOException {
        Path temp = Files.writeString(file.resolveSibling(".f.bin.plain.tmp"), text);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Property(tries = 60)
    void replacingKeepsThePermissionBits(@ForAll @IntRange(max = 0777) int mode) throws IOException {
        assumeTrue(Files.getFileAttributeView(Path.of("."), PosixFileAttributeView.class) != null);
        assertEquals(Integer.toOctalString(mode), Integer.toOctalString(modeAfterReplace(mode, AtomicFilePermissionProperties::atomicFile)));
    }

    @Test
    void theCheckCatchesAWriterThatDropsThem() throws IOException {
        assumeTrue(Files.getFileAttributeView(Path.of("."), PosixFileAttributeView.class) != null);
        // New files never get execute bits from the default mode (0666 less the umask), so 0750 cannot survive.
        assertNotEquals(0750, modeAfterReplace(0750, AtomicFilePermissionProperties::plainRename));
        assertEquals(0750, modeAfterReplace(0750, AtomicFilePermissionProperties::atomicFile));
        assertEquals(0640, modeAfterReplace(0640, AtomicFilePermissionProperties::atomicFile));
    }
}
