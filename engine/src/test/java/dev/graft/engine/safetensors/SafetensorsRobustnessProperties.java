package dev.graft.engine.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.engine.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
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
import java.nio.charset.StandardCharsets;
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
 * Damaged and forged variants of the reference file: the reader must either reject them with its own
 * exception and a message naming the file, or read every tensor consistently with its header, each time
 * within two seconds and without exhausting memory.
 */
class SafetensorsRobustnessProperties {
    private static final byte[] FIXTURE;
    private static final int HEADER_END;
    private static final List<String> NAMES = List.of("f32", "f64", "i64", "f16", "bf16", "i32", "i16", "i8", "u8",
            "bool", "empty", "scalar");
    private static final String PLACEHOLDER = "\u0001forged\u0001";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectNode HEADER;
    /** One file rewritten by every try: cheaper than creating and deleting hundreds of files. */
    private static final Path SCRATCH;

    static {
        try {
            FIXTURE = SafetensorsFileTest.resource(SafetensorsFileTest.FIXTURE);
            HEADER_END = 8 + (int) ByteBuffer.wrap(FIXTURE).order(ByteOrder.LITTLE_ENDIAN).getLong();
            HEADER = (ObjectNode) JSON.readTree(new String(FIXTURE, 8, HEADER_END - 8, StandardCharsets.UTF_8));
            SCRATCH = Files.createTempFile("robust", ".safetensors");
            SCRATCH.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** True if {@code bytes} were accepted (and read sanely), false if rejected properly; fails otherwise. */
    static boolean accepted(byte[] bytes) throws IOException {
        Files.write(SCRATCH, bytes);
        return assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            try (SafetensorsFile file = SafetensorsFile.open(SCRATCH)) {
                long covered = 0;
                for (String name : file.names()) {
                    SafetensorsFile.TensorInfo info = file.info(name);
                    Tensor t = file.tensor(name);
                    assertArrayEquals(info.shape(), t.shape(), name);
                    assertEquals(info.numel(), t.numel(), name);
                    covered += info.end() - info.begin();
                }
                long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
                assertEquals(bytes.length - 8 - headerLength, covered, "tensors tile the data area");
                assertTrue(file.metadata() != null);
                return true;
            } catch (SafetensorsFormatException e) {
                String m = e.getMessage();
                assertTrue(m.startsWith(SCRATCH + ": ") && m.length() > SCRATCH.toString().length() + 2, m);
                return false;
            }
        });
    }

    /** The fixture with its header replaced by {@code header}, length prefix recomputed, data area kept. */
    private static byte[] withHeader(String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + FIXTURE.length - HEADER_END).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(FIXTURE, HEADER_END, FIXTURE.length - HEADER_END).array();
    }

    @Property(tries = 200)
    void everyTruncationIsRejected(@ForAll("truncations") int length) throws IOException {
        assertFalse(accepted(Arrays.copyOf(FIXTURE, length)));
    }

    @Provide
    Arbitrary<Integer> truncations() {
        return Arbitraries.integers().between(0, FIXTURE.length - 1).edgeCases(
                c -> c.add(0, 7, 8, HEADER_END - 1, HEADER_END, FIXTURE.length - 1));
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

    @Property(tries = 200)
    void forgedHeaderLengthsAreRejected(@ForAll("headerLengths") long length) throws IOException {
        byte[] bytes = FIXTURE.clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        assertEquals(length == HEADER_END - 8, accepted(bytes));
    }

    @Provide
    Arbitrary<Long> headerLengths() {
        return Arbitraries.oneOf(
                Arbitraries.longs(),
                Arbitraries.longs().between(0, FIXTURE.length + 16),
                Arbitraries.of(1L << 40, 1L << 32, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 100_000_000L, 100_000_001L));
    }

    /** A tensor field replaced by forged raw JSON: wrong types, negative or huge numbers, bad dtypes, nesting. */
    @Property(tries = 200)
    void forgedFieldsAreRejectedOrReadSanely(@ForAll("names") String name, @ForAll("fields") String field,
                                             @ForAll("forgedJson") String forged) throws IOException {
        ObjectNode root = HEADER.deepCopy();
        ((ObjectNode) root.get(name)).put(field, PLACEHOLDER);
        String header = root.toString().replace(JSON.writeValueAsString(PLACEHOLDER), forged);
        accepted(withHeader(header));
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of(NAMES);
    }

    @Provide
    Arbitrary<String> fields() {
        return Arbitraries.of("dtype", "shape", "data_offsets", "extra");
    }

    @Provide
    Arbitrary<String> forgedJson() {
        Arbitrary<Long> nasty = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(-2, 200),
                Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, 1L << 31, (1L << 31) - 1, 1L << 62));
        Arbitrary<String> numberLists = nasty.list().ofMaxSize(70)
                .map(l -> l.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")));
        Arbitrary<String> pairs = Combinators.combine(nasty, nasty).as((a, b) -> "[" + a + "," + b + "]");
        Arbitrary<String> dtypes = Arbitraries.oneOf(
                Arbitraries.of("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "U64", "F8_E4M3",
                        "f32", "", "F32 ", "F32\\u0000"),
                Arbitraries.strings().ofMaxLength(12).map(SafetensorsRobustnessProperties::escape))
                .map(s -> "\"" + s + "\"");
        Arbitrary<String> oddNumbers = Arbitraries.of("-1", "-0", "0.5", "1e400", "1E2", "18446744073709551616",
                "9223372036854775808", "NaN", "Infinity", "007", "null", "true", "{}", "[]", "\"7\"", "[[1]]",
                "[1,2", "]", "[" + "9".repeat(2000) + "]");
        Arbitrary<String> deep = Combinators.combine(Arbitraries.integers().between(1, 20_000), Arbitraries.of(true, false))
                .as((k, arrays) -> arrays ? "[".repeat(k) + "]".repeat(k) : "{\"a\":".repeat(k) + "1" + "}".repeat(k));
        return Arbitraries.oneOf(numberLists, pairs, dtypes, oddNumbers, deep);
    }

    /** Arbitrary text as a JSON string body. */
    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c == '"' || c == '\\' || c < 0x20 || Character.isSurrogate(c) ? String.format("\\u%04x", (int) c) : c);
        }
        return sb.toString();
    }

    @Property(tries = 200)
    void invalidUtf8InTheHeaderIsRejected(@ForAll @IntRange(min = 8, max = 10_000) int where,
                                          @ForAll @IntRange(min = 0, max = 5) int which) throws IOException {
        byte[][] sequences = {{(byte) 0xFF}, {(byte) 0x80}, {(byte) 0xC0, (byte) 0xAF},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                {(byte) 0xE2, (byte) 0x82}};
        byte[] bad = sequences[which];
        int at = 8 + where % (HEADER_END - 8 - bad.length);
        byte[] bytes = FIXTURE.clone();
        System.arraycopy(bad, 0, bytes, at, bad.length);
        assertFalse(accepted(bytes));
    }
}
