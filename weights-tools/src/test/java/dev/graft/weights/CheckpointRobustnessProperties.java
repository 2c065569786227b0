package dev.graft.weights;

import com.fasterxml.jackson.databind.JsonNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile bytes derived from the real fixtures (truncations, flipped bytes, forged sizes and indices) either
 * read successfully or fail with a {@link CheckpointFormatException} naming the file: never another exception,
 * never a hang, and never an allocation out of proportion to the input.
 */
class CheckpointRobustnessProperties {
    private static final List<String> FIXTURES = List.of("state_zip.pth", "state_legacy.pth", "nested_zip.pth",
            "nested_legacy.pth", "model_zip.pth");
    private static final List<String> LEGACY = List.of("state_legacy.pth", "nested_legacy.pth");
    private static final JsonNode LAYOUT = Fixtures.json("expected.json").get("legacy_layout");
    private static final Map<String, byte[]> BYTES = new LinkedHashMap<>();

    static {
        FIXTURES.forEach(f -> BYTES.put(f, Fixtures.bytes(f)));
    }

    /** Whatever the input, reading ends in time with tensors or a CheckpointFormatException; returns the latter. */
    static CheckpointFormatException readHostile(String name, byte[] bytes) {
        return assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            Throwable thrown = outcome(name, bytes);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // Decoded tensors take up to 16 bytes per input byte (uint8 widened to a long[], then copied by
            // Tensor.ofLongs), the pickle's Java objects a few dozen; a forged size would take far more.
            long limit = 64L * bytes.length + (8 << 20);
            assertTrue(allocated <= limit, "allocated " + allocated + " bytes reading " + bytes.length);
            if (thrown == null) {
                return null;
            }
            CheckpointFormatException e = assertInstanceOf(CheckpointFormatException.class, thrown,
                    () -> "unexpected " + thrown);
            assertNotNull(e.getMessage());
            assertTrue(e.getMessage().startsWith(name), e.getMessage());
            return e;
        });
    }

    private static Throwable outcome(String name, byte[] bytes) {
        try {
            PytorchCheckpoint.read(name, bytes);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    static void mustFail(String name, byte[] bytes) {
        assertNotNull(readHostile(name, bytes), name + " was read although it is corrupt");
    }

    @Provide
    Arbitrary<String> fixtures() {
        return Arbitraries.of(FIXTURES);
    }

    @Provide
    Arbitrary<String> zipFixtures() {
        return Arbitraries.of(FIXTURES.stream().filter(f -> !LEGACY.contains(f)).toList());
    }

    @Provide
    Arbitrary<String> legacyFixtures() {
        return Arbitraries.of(LEGACY);
    }

    @Property(tries = 200)
    void truncationAnywhereIsAnError(@ForAll("fixtures") String fixture, @ForAll @IntRange(min = 0, max = 1 << 20) int cut) {
        byte[] full = BYTES.get(fixture);
        mustFail(fixture, Arrays.copyOf(full, cut % full.length));
    }

    @Property(tries = 200)
    void flippedBytesAreReadOrRefused(@ForAll("fixtures") String fixture,
                                      @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0, max = 1 << 20) Integer> positions,
                                      @ForAll @Size(min = 8, max = 8) List<@IntRange(min = 1, max = 255) Integer> masks) {
        byte[] bytes = BYTES.get(fixture).clone();
        for (int i = 0; i < positions.size(); i++) {
            bytes[positions.get(i) % bytes.length] ^= masks.get(i).byteValue();
        }
        readHostile(fixture, bytes);
    }

    /** As above, but behind a valid CRC, so that the flips reach the unpickler and the tensor checks. */
    @Property(tries = 200)
    void flippedPickleBytesBehindAValidCrcAreReadOrRefused(
            @ForAll("zipFixtures") String fixture,
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0, max = 1 << 20) Integer> positions,
            @ForAll @Size(min = 8, max = 8) List<@IntRange(min = 1, max = 255) Integer> masks) throws Exception {
        Map<String, byte[]> entries = Fixtures.unzip(BYTES.get(fixture));
        String pkl = dataPkl(entries);
        byte[] pickle = entries.get(pkl).clone();
        for (int i = 0; i < positions.size(); i++) {
            pickle[positions.get(i) % pickle.length] ^= masks.get(i).byteValue();
        }
        entries.put(pkl, pickle);
        readHostile(fixture, Fixtures.zip(entries));
    }

    @Provide
    Arbitrary<Long> forgedCounts() {
        return Arbitraries.oneOf(Arbitraries.of(1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1L, 1L << 31,
                (1L << 31) - 1), Arbitraries.longs());
    }

    @Property(tries = 200)
    void forgedLegacyElementCountsAreRefused(@ForAll("legacyFixtures") String fixture,
                                             @ForAll @IntRange(min = 0, max = 100) int header,
                                             @ForAll("forgedCounts") long count) {
        JsonNode headers = LAYOUT.get(fixture).get("storage_headers");
        int at = headers.get(header % headers.size()).asInt();
        byte[] bytes = BYTES.get(fixture).clone();
        long original = ByteBuffer.wrap(bytes, at, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ByteBuffer.wrap(bytes, at, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(count == original ? count + 1 : count);
        mustFail(fixture, bytes);
    }

    /** Opcodes with forged operands, spliced in right after the main pickle's PROTO. */
    private enum Forgery {
        HUGE_BINUNICODE(true), HUGE_BINUNICODE8(true), HUGE_BINBYTES(true), HUGE_LONG4(true), HUGE_FRAME(true),
        HUGE_LONG_BINGET(true), HUGE_LONG_BINPUT(false), DEEP_MARKS(false);

        final boolean fails;

        Forgery(boolean fails) {
            this.fails = fails;
        }

        byte[] bytes(long size, int depth) {
            PickleWriter w = new PickleWriter();
            long u32 = 0x80000000L | size & 0x7fffffffL;
            return switch (this) {
                case HUGE_BINUNICODE -> w.op('X').le32(u32).bytes();
                case HUGE_BINUNICODE8 -> w.op(0x8d).le64(size | 1L << 40).bytes();
                case HUGE_BINBYTES -> w.op('B').le32(u32).bytes();
                case HUGE_LONG4 -> w.op(0x8b).le32(u32 & 0x7fffffffL | 0x10000000L).bytes();
                case HUGE_FRAME -> w.op(0x95).le64(size | 1L << 40).bytes();
                case HUGE_LONG_BINGET -> w.op('j').le32(u32).bytes();
                // None, memoized under a huge index, then popped: a valid no-op that must not size the memo.
                case HUGE_LONG_BINPUT -> w.none().op('r').le32(u32).op('0').bytes();
                // MARKs nobody closes: the rest of the pickle runs inside them, as in CPython.
                case DEEP_MARKS -> {
                    byte[] marks = new byte[depth];
                    Arrays.fill(marks, (byte) '(');
                    yield marks;
                }
            };
        }
    }

    @Property(tries = 200)
    void forgedSizesAndIndicesAreRefusedWithoutAllocating(@ForAll("fixtures") String fixture, @ForAll Forgery forgery,
                                                          @ForAll long size,
                                                          @ForAll @IntRange(min = 1, max = 200_000) int depth)
            throws Exception {
        byte[] forged = forgery.bytes(size, depth);
        byte[] file = BYTES.get(fixture);
        byte[] bytes;
        if (LEGACY.contains(fixture)) {
            bytes = splice(file, LAYOUT.get(fixture).get("main_pickle").asInt() + 2, forged);
        } else {
            Map<String, byte[]> entries = Fixtures.unzip(file);
            String pkl = dataPkl(entries);
            entries.put(pkl, splice(entries.get(pkl), 2, forged));
            bytes = Fixtures.zip(entries);
        }
        CheckpointFormatException e = readHostile(fixture, bytes);
        if (forgery.fails) {
            assertNotNull(e, forgery + " was accepted");
        }
    }

    @Provide
    Arbitrary<int[]> centralDirectoryField() {
        // {offset in the central entry, width}: sizes, name/extra/comment lengths, local header offset
        return Arbitraries.of(new int[] {20, 4}, new int[] {24, 4}, new int[] {28, 2}, new int[] {30, 2},
                new int[] {32, 2}, new int[] {42, 4});
    }

    @Property(tries = 200)
    void forgedZipDirectoryFieldsAreReadOrRefused(@ForAll("zipFixtures") String fixture, @ForAll @IntRange(min = 0, max = 50) int entry,
                                            @ForAll("centralDirectoryField") int[] field, @ForAll int value) {
        byte[] bytes = BYTES.get(fixture).clone();
        List<Integer> entries = centralEntries(bytes);
        int at = entries.get(entry % entries.size()) + field[0];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (field[1] == 4) {
            b.putInt(at, value);
        } else {
            b.putShort(at, (short) value);
        }
        readHostile(fixture, bytes);
    }

    private static String dataPkl(Map<String, byte[]> entries) {
        return entries.keySet().stream().filter(n -> n.endsWith("/data.pkl")).findFirst().orElseThrow();
    }

    /** Offsets of the central directory entries (signature PK\1\2). */
    private static List<Integer> centralEntries(byte[] zip) {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i + 4 <= zip.length; i++) {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 1 && zip[i + 3] == 2) {
                found.add(i);
            }
        }
        return found;
    }

    private static byte[] splice(byte[] into, int at, byte[] insert) {
        byte[] out = new byte[into.length + insert.length];
        System.arraycopy(into, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(into, at, out, at + insert.length, into.length - at);
        return out;
    }
}
