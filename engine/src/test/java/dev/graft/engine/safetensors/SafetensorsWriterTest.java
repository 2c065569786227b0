package dev.graft.engine.safetensors;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("conv.weight", Tensor.of(new float[] {1.5f, -2f, Float.NaN, Float.NEGATIVE_INFINITY, 0f, -0f}, 2, 3));
        m.put("bn.running_var", Tensor.of(new double[] {1.0 / 3, 1e-300}, 2));
        m.put("bn.num_batches_tracked", Tensor.ofLongs(new long[] {Long.MIN_VALUE}));
        m.put("transposed", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t());
        m.put("empty", Tensor.zeros(DType.F64, 0, 4));
        m.put("unicodé 名前", Tensor.scalar(7));
        return m;
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test
    void roundTripKeepsOrderDtypesValuesAndMetadata() throws Exception {
        Path path = dir.resolve("model.safetensors");
        Map<String, Tensor> tensors = sample();
        Map<String, String> metadata = Map.of("format", "pt", "note", "ünïcode \"quoted\"\n");
        SafetensorsWriter.write(path, tensors, metadata);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertEquals(List.copyOf(tensors.keySet()), file.names());
            assertEquals(metadata, file.metadata());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor want = e.getValue();
                Tensor got = file.tensor(e.getKey());
                assertEquals(want.dtype(), got.dtype(), e.getKey());
                assertArrayEquals(want.shape(), got.shape(), e.getKey());
                assertEquals(want.dtype().name(), file.info(e.getKey()).dtype());
                switch (want.dtype()) {
                    case F32 -> assertArrayEquals(want.toFloatArray(), got.toFloatArray(), e.getKey());
                    case F64 -> assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), e.getKey());
                    case I64 -> assertArrayEquals(want.toLongArray(), got.toLongArray(), e.getKey());
                }
            }
        }
        assertEquals(List.of(), leftovers());
    }

    @Test
    void headerIsPaddedToEightBytesAndMetadataComesFirst() throws Exception {
        Path path = dir.resolve("a.safetensors");
        SafetensorsWriter.write(path, Map.of("a", Tensor.of(new float[] {0, 1, 2}, 3)), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(path);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}",
                header.strip());
        assertEquals(8 + n + 12, bytes.length);
    }

    @Test
    void emptyOrNullMetadataIsOmitted() throws Exception {
        Path path = dir.resolve("m.safetensors");
        SafetensorsWriter.write(path, Map.of(), null);
        assertEquals("{}      ", new String(Files.readAllBytes(path), 8, 8, StandardCharsets.UTF_8));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertEquals(Map.of(), file.metadata());
        }
    }

    @Test
    void invalidKeysAreNamedAndNothingIsWritten() throws Exception {
        Path path = dir.resolve("k.safetensors");
        Files.writeString(path, "previous");
        Tensor t = Tensor.scalar(1);
        for (String key : new String[] {"", "__metadata__", "bad\uD800"}) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("fine", t);
            m.put(key, t);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SafetensorsWriter.write(path, m, null));
            assertTrue(e.getMessage().contains("invalid tensor key '" + key.replace("\uD800", "\\ud800") + "'"),
                    e.getMessage());
        }
        Map<String, Tensor> nullTensor = new LinkedHashMap<>();
        nullTensor.put("w", null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(path, nullTensor, null));
        assertTrue(e.getMessage().contains("tensor 'w' is null"), e.getMessage());
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(path, Map.of(), nullValue));
        assertTrue(e.getMessage().contains("invalid metadata entry 'k'"), e.getMessage());
        assertEquals("previous", Files.readString(path));
        assertEquals(List.of(), leftovers());
    }

    /** A tensor whose backend fails when its data is read, as a device would when lost mid-save. */
    private static Tensor failingTensor() {
        Backend backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    throw new UncheckedIOException(new IOException("device lost during " + method.getName()));
                });
        Storage storage = new Storage() {
            public DType dtype() {
                return DType.F32;
            }

            public int size() {
                return 4;
            }

            public Backend backend() {
                return backend;
            }
        };
        return Tensor.of(storage, 2, 2);
    }

    @Test
    void failureMidWriteLeavesThePreviousFileAndNoTempFile() throws Exception {
        Path path = dir.resolve("model.safetensors");
        SafetensorsWriter.write(path, sample(), Map.of("version", "1"));
        byte[] before = Files.readAllBytes(path);

        Map<String, Tensor> tensors = new LinkedHashMap<>(sample());
        tensors.put("lost", failingTensor());
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> SafetensorsWriter.write(path, tensors, Map.of("version", "2")));
        assertTrue(e.getMessage().contains("device lost during downloadFloats"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(path));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void failedMoveRemovesTheTempFile() throws Exception {
        Path target = Files.createDirectory(dir.resolve("taken"));
        Files.writeString(target.resolve("inside"), "x"); // a non-empty directory cannot be replaced by a file
        assertThrows(IOException.class, () -> SafetensorsWriter.write(target, sample(), null));
        assertEquals("x", Files.readString(target.resolve("inside")));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void missingDirectoryFailsWithoutCreatingAnything() {
        assertThrows(NoSuchFileException.class,
                () -> SafetensorsWriter.write(dir.resolve("no/such/dir/m.safetensors"), sample(), null));
    }

    @Test
    void replacesAnExistingFile() throws Exception {
        Path path = dir.resolve("r.safetensors");
        SafetensorsWriter.write(path, Map.of("a", Tensor.scalar(1)), null);
        SafetensorsWriter.write(path, Map.of("b", Tensor.scalar(2)), null);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertEquals(List.of("b"), file.names());
            assertEquals(2.0, file.tensor("b").item());
        }
    }
}
