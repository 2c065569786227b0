package dev.graft.engine.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads the reference file written by make_format_fixtures.py, and rejects hand-made malformed headers. */
class SafetensorsFileTest {
    static final String FIXTURE = "/fixtures/formats/reference.safetensors";

    @TempDir
    Path dir;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = SafetensorsFileTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name + "; run make_format_fixtures.py");
            }
            return in.readAllBytes();
        }
    }

    /** A file made of an 8-byte length, {@code header} as UTF-8, then {@code dataBytes} zero bytes. */
    static byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void readsTheReferenceFileExactly() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(resource("/fixtures/formats/reference.expected.json"));
        Path path = write("reference.safetensors", resource(FIXTURE));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            List<String> order = new ArrayList<>();
            expected.get("order").forEach(n -> order.add(n.asText()));
            assertEquals(order, file.names(), "names follow the data, not the header's reversed key order");
            assertEquals(Map.of("format", "pt", "source", "make_format_fixtures.py"), file.metadata());

            for (String name : order) {
                JsonNode want = expected.get("tensors").get(name);
                Tensor t = file.tensor(name);
                int[] shape = new ObjectMapper().convertValue(want.get("shape"), int[].class);
                assertArrayEquals(shape, t.shape(), name);
                assertArrayEquals(shape, file.info(name).shape(), name);
                assertEquals(DType.valueOf(want.get("dtype").asText()), t.dtype(), name);
                switch (t.dtype()) {
                    case F32 -> {
                        float[] v = t.toFloatArray();
                        int[] bits = new int[v.length];
                        Arrays.setAll(bits, i -> Float.floatToRawIntBits(v[i]));
                        assertArrayEquals(new ObjectMapper().convertValue(want.get("f32_bits"), int[].class), bits, name);
                    }
                    case F64 -> {
                        double[] v = t.toDoubleArray();
                        long[] bits = new long[v.length];
                        Arrays.setAll(bits, i -> Double.doubleToRawLongBits(v[i]));
                        assertArrayEquals(new ObjectMapper().convertValue(want.get("f64_bits"), long[].class), bits, name);
                    }
                    case I64 -> assertArrayEquals(new ObjectMapper().convertValue(want.get("longs"), long[].class),
                            t.toLongArray(), name);
                }
            }
            assertEquals(order, new ArrayList<>(file.tensors().keySet()));
        }
    }

    @Test
    void infoDescribesTheStoredDtypeAndByteRange() throws Exception {
        try (SafetensorsFile file = SafetensorsFile.open(write("r.safetensors", resource(FIXTURE)))) {
            SafetensorsFile.TensorInfo f16 = file.info("f16");
            assertEquals("F16", f16.dtype());
            assertEquals(16, f16.end() - f16.begin());
            assertEquals(new SafetensorsFile.TensorInfo("F32", new int[] {2, 3}, 0, 24), file.info("f32"));
            assertEquals(1, file.info("scalar").numel());
            assertEquals(0, file.info("empty").numel());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> file.info("nope"));
            assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        }
    }

    @Test
    void closedFileRefusesReadsAndClosesTwice() throws Exception {
        SafetensorsFile file = SafetensorsFile.open(write("r.safetensors", resource(FIXTURE)));
        Tensor before = file.tensor("f32");
        file.close();
        file.close();
        assertThrows(IllegalStateException.class, () -> file.tensor("f32"));
        assertEquals(6, before.toFloatArray().length, "tensors read before close stay valid");
    }

    @Test
    void emptyHeaderIsAValidEmptyFile() throws Exception {
        try (SafetensorsFile file = SafetensorsFile.open(write("e.safetensors", file("{}      ", 0)))) {
            assertEquals(List.of(), file.names());
            assertEquals(Map.of(), file.metadata());
        }
    }

    static Stream<Arguments> malformed() {
        String ok = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        return Stream.of(
                Arguments.of("short", new byte[] {1, 2, 3}, "3 bytes, too short"),
                Arguments.of("huge length", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(1L << 40).array(), "header length 1099511627776 exceeds the limit"),
                Arguments.of("negative length", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(-1).array(), "header length 18446744073709551615 exceeds"),
                Arguments.of("length past end", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(9).array(), "header length 9 reaches beyond the end of the 16-byte file"),
                Arguments.of("not utf-8", utf8Broken(), "not valid UTF-8"),
                Arguments.of("not json", file("{\"a\":", 0), "not valid JSON"),
                Arguments.of("array", file("[]", 0), "not a JSON object"),
                Arguments.of("trailing", file("{}{}", 0), "after its JSON object"),
                Arguments.of("duplicate", file("{" + ok + "," + ok + "}", 16), "Duplicate field 'a'"),
                Arguments.of("unknown dtype", file("{\"a\":{\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2),
                        "tensor 'a': unknown dtype 'F8'"),
                Arguments.of("negative dim", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8),
                        "tensor 'a': shape holds '-2'"),
                Arguments.of("float dim", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8),
                        "tensor 'a': shape must hold non-negative integers, found a number '2.0'"),
                Arguments.of("huge dim", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}",
                        8), "dimension 4294967296, above graft's limit"),
                Arguments.of("overflowing shape", file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,"
                        + "2147483647],\"data_offsets\":[0,8]}}", 8), "needs more than 9223372036854775807"),
                Arguments.of("size mismatch", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                        "tensor 'a': data_offsets [0, 8] span 8 bytes but F32 shape [3] needs 12"),
                Arguments.of("reversed", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8),
                        "[8, 0] end before they begin"),
                Arguments.of("beyond data", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8),
                        "reach beyond the data area of 8 bytes"),
                Arguments.of("overlap", file("{" + ok + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                        8), "tensor 'b' data_offsets [4, 8] overlap tensor 'a', which ends at 8"),
                Arguments.of("gap", file("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}," + ok + "}",
                        16), "tensor 'b' data_offsets [12, 16] leave a gap after tensor 'a', which ends at 8"),
                Arguments.of("leading gap", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                        "leave the first 4 bytes of the data area unused"),
                Arguments.of("slack", file("{" + ok + "}", 12), "tensors cover 8 bytes but the data area holds 12"),
                Arguments.of("missing field", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8),
                        "tensor 'a': missing data_offsets"),
                Arguments.of("unknown field", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],"
                        + "\"x\":1}}", 8), "tensor 'a': unknown field 'x'"),
                Arguments.of("three offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}",
                        8), "data_offsets has more than 2 entries"),
                Arguments.of("metadata value", file("{\"__metadata__\":{\"k\":1}}", 0),
                        "__metadata__ entry 'k' must be a string, found a number"),
                Arguments.of("metadata type", file("{\"__metadata__\":[]}", 0), "__metadata__ must be an object"),
                Arguments.of("entry type", file("{\"a\":7}", 0), "tensor 'a': expected an object"),
                Arguments.of("deep nesting", file("{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}", 0),
                        "tensor 'a': expected an object"),
                Arguments.of("deep shape", file("{\"a\":{\"shape\":" + "[".repeat(100_000) + "}}", 0),
                        "tensor 'a': shape must hold non-negative integers, found an array"));
    }

    private static byte[] utf8Broken() {
        byte[] bytes = file("{\"__metadata__\":{\"k\":\"xx\"}}", 0);
        bytes[8 + 22] = (byte) 0xC0; // an overlong encoding of '/'
        bytes[8 + 23] = (byte) 0xAF;
        return bytes;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedFilesNamingFileAndField(String label, byte[] bytes, String expected) throws IOException {
        Path path = write("bad.safetensors", bytes);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsFile file = SafetensorsFile.open(path)) {
                file.tensors();
            }
        });
        assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void zeroSizedTensorsMayHaveHugeDimensions() throws Exception {
        Path path = write("zero.safetensors",
                file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0,2147483647],\"data_offsets\":[0,0]}}", 0));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertArrayEquals(new int[] {0, Integer.MAX_VALUE}, file.tensor("a").shape());
        }
    }

    @Test
    void tensorsTooLargeForGraftAreRefusedOnRead() throws Exception {
        long elements = Integer.MAX_VALUE - 7L; // one more than a graft tensor holds
        byte[] head = file("{\"a\":{\"dtype\":\"U8\",\"shape\":[" + elements + "],\"data_offsets\":[0," + elements
                + "]}}", 0);
        Path path = write("big.safetensors", head);
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.setLength(head.length + elements); // sparse: no data is written
        }
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertEquals(elements, file.info("a").numel());
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> file.tensor("a"));
            assertTrue(e.getMessage().contains("tensor 'a' of shape [2147483640] has 2147483640 elements, more than"),
                    e.getMessage());
        }
    }
}
