package dev.graft.weights.npy;

import dev.graft.engine.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged and forged variants of numpy.save's output: the reader must either reject them with
 * NpyFormatException and a one-line message naming the file, or return a tensor whose size matches the
 * data, each time within two seconds and without exhausting memory.
 */
class NpyRobustnessProperties {
    private static final byte[] FIXTURE;
    private static final int HEADER_END;
    /** numpy's data bytes after the header (48: twelve {@code <f4}). */
    private static final int DATA_BYTES;

    /** One file rewritten by every try: cheaper than creating and deleting hundreds of files. */
    private static final Path SCRATCH;

    static {
        try {
            FIXTURE = NpyTest.resource("f4.npy");
            SCRATCH = Files.createTempFile("robust", ".npy");
            SCRATCH.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
        HEADER_END = 10 + Short.toUnsignedInt(ByteBuffer.wrap(FIXTURE, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
        DATA_BYTES = FIXTURE.length - HEADER_END;
    }

    /** The tensor read from {@code bytes}, or null if they were rejected properly; fails otherwise. */
    static Tensor readOrReject(byte[] bytes) throws IOException {
        Files.write(SCRATCH, bytes);
        return assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            try {
                Tensor t = Npy.read(SCRATCH);
                // Narrow integers are widened to I64, so the tensor may outgrow the file; its elements may not.
                assertTrue(t.numel() <= bytes.length, "every element comes from at least one byte of the file");
                return t;
            } catch (NpyFormatException e) {
                String m = e.getMessage();
                assertTrue(m.startsWith(SCRATCH + ": ") && m.length() > SCRATCH.toString().length() + 2, m);
                assertFalse(m.contains("\n") || m.contains("\r"), m);
                return null;
            }
        });
    }

    /** True if {@code bytes} were accepted (and read sanely), false if rejected properly; fails otherwise. */
    static boolean accepted(byte[] bytes) throws IOException {
        return readOrReject(bytes) != null;
    }

    @Property(tries = 200)
    void everyTruncationIsRejected(@ForAll("truncations") int length) throws IOException {
        assertFalse(accepted(Arrays.copyOf(FIXTURE, length)));
    }

    @Provide
    Arbitrary<Integer> truncations() {
        return Arbitraries.integers().between(0, FIXTURE.length - 1)
                .edgeCases(c -> c.add(0, 9, 10, HEADER_END - 1, HEADER_END, FIXTURE.length - 1));
    }

    record Flip(int position, int xor) {
    }

    @Property(tries = 200)
    void byteFlipsAreRejectedOrReadSanely(@ForAll @Size(min = 1, max = 8) List<@From("flip") Flip> flips)
            throws IOException {
        byte[] bytes = FIXTURE.clone();
        for (Flip f : flips) {
            bytes[f.position()] ^= (byte) f.xor();
        }
        accepted(bytes);
    }

    @Provide
    Arbitrary<Flip> flip() {
        Arbitrary<Integer> position = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(0, HEADER_END - 1)),
                Tuple.of(1, Arbitraries.integers().between(0, FIXTURE.length - 1)));
        return Combinators.combine(position, Arbitraries.integers().between(1, 255)).as(Flip::new);
    }

    /** Version and header-length fields forged; the header text and data are numpy's. */
    @Property(tries = 200)
    void forgedPreamblesAreRejectedOrReadSanely(@ForAll @IntRange(min = 0, max = 4) int major,
                                                @ForAll("lengths") long length) throws IOException {
        byte[] bytes = FIXTURE.clone();
        bytes[6] = (byte) major;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            b.putShort(8, (short) length);
        } else {
            b.putInt(8, (int) length);
        }
        boolean unchanged = major == 1 && (length & 0xFFFF) == HEADER_END - 10;
        assertEquals(unchanged, accepted(bytes));
    }

    @Provide
    Arbitrary<Long> lengths() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 0xFFFF_FFFFL), Arbitraries.longs().between(0, 300),
                Arbitraries.of(1L << 31, 0xFFFF_FFFFL, 0xFFFFL, (long) HEADER_END - 10));
    }

    /**
     * Header dicts with forged values (numpy's layout, any version), followed by numpy's 48 data bytes. What is
     * accepted must cover those bytes exactly: element count times the item size its descr names.
     */
    @Property(tries = 200)
    void forgedDictsAreRejectedOrReadSanely(@ForAll @IntRange(min = 1, max = 3) int major,
                                            @ForAll("descrs") String descr, @ForAll("fortran") String fortran,
                                            @ForAll("shapes") String shape) throws IOException {
        Tensor t = readOrReject(forgedDict(major, descr, fortran, shape));
        if (t != null) {
            String d = descr.strip();
            int itemSize = d.charAt(d.length() - 2) - '0';
            assertEquals(DATA_BYTES, (long) t.numel() * itemSize, descr + " " + shape);
        }
    }

    private static byte[] forgedDict(int major, String descr, String fortran, String shape) {
        byte[] header = NpyTest.npy(major, NpyTest.dict(descr, fortran, shape), 0);
        byte[] bytes = Arrays.copyOf(header, header.length + DATA_BYTES);
        System.arraycopy(FIXTURE, HEADER_END, bytes, header.length, DATA_BYTES);
        return bytes;
    }

    /**
     * The case that failed the property under one seed: one-byte elements are widened to I64, so 48 bytes of
     * {@code |u1} data become a 384-byte tensor. The reader was right; the property's "tensor bytes fit in the
     * file" check was not.
     */
    @Example
    void narrowIntegersAreWidenedNotRejected() throws IOException {
        forgedDictsAreRejectedOrReadSanely(1, "'|u1'", "False", "(48,)");
        forgedDictsAreRejectedOrReadSanely(2, "'|b1'", "False", "(6, 8)");
        forgedDictsAreRejectedOrReadSanely(3, "'<i2'", "False", "(24,)");
        Tensor t = readOrReject(forgedDict(1, "'|u1'", "False", "(48,)"));
        long[] expected = new long[DATA_BYTES];
        for (int i = 0; i < DATA_BYTES; i++) {
            expected[i] = Byte.toUnsignedLong(FIXTURE[HEADER_END + i]);
        }
        assertArrayEquals(expected, t.toLongArray());
    }

    @Provide
    Arbitrary<String> descrs() {
        return Arbitraries.oneOf(
                Arbitraries.of("'<f4'", "'<f8'", "'<i8'", "'<f2'", "'|u1'", "'|b1'", "'>f4'", "'|O'", "'<U3'", "'<c16'",
                        "\"<f4\"", "'<f4", "[('a', '<f4')]", "None", "'<f4'" + " ".repeat(3), "'\u00ff'"),
                Arbitraries.strings().ofMaxLength(8).map(s -> "'" + s + "'"));
    }

    @Provide
    Arbitrary<String> fortran() {
        return Arbitraries.of("False", "True", "false", "0", "Fals", "True,", "'False'");
    }

    @Provide
    Arbitrary<String> shapes() {
        Arbitrary<Long> dims = Arbitraries.oneOf(Arbitraries.longs().between(0, 64), Arbitraries.longs(),
                Arbitraries.of(2147483647L, 2147483648L, -1L, 1L << 40));
        Arbitrary<String> tuples = dims.list().ofMaxSize(70).map(l -> l.size() == 1 ? "(" + l.get(0) + ",)"
                : l.stream().map(String::valueOf).collect(Collectors.joining(", ", "(", ")")));
        Arbitrary<String> odd = Arbitraries.of("()", "(12,)", "(3, 4)", "(4, 3)", "(48,)", "(12)", "[3, 4]", "(3,,)",
                "(,)", "(3 4)", "(3L, 4L)", "(0x3,)", "(1e3,)", "(" + "9".repeat(5000) + ",)");
        Arbitrary<String> deep = Arbitraries.integers().between(1, 20_000).map(k -> "(".repeat(k) + ")".repeat(k));
        return Arbitraries.oneOf(tuples, odd, deep);
    }

    @Property(tries = 200)
    void arbitraryHeaderTextIsRejectedOrReadSanely(@ForAll @IntRange(min = 1, max = 3) int major,
                                                    @ForAll @Size(max = 300) String text) throws IOException {
        byte[] header = NpyTest.npy(major, text, 0);
        byte[] bytes = Arrays.copyOf(header, header.length + 48);
        accepted(bytes);
    }
}
