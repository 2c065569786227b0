package dev.graft.weights;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PytorchCheckpointTest {
    private static final JsonNode EXPECTED = Fixtures.json("expected.json");

    static PytorchCheckpoint read(String fixture) throws CheckpointFormatException {
        return PytorchCheckpoint.read(fixture, Fixtures.bytes(fixture));
    }

    static String failure(String name, byte[] bytes) {
        return assertThrows(CheckpointFormatException.class, () -> PytorchCheckpoint.read(name, bytes)).getMessage();
    }

    @ParameterizedTest
    @ValueSource(strings = {"state_zip.pth", "state_legacy.pth", "nested_zip.pth", "nested_legacy.pth", "model_zip.pth"})
    void everyTensorMatchesTorchExactly(String fixture) throws Exception {
        PytorchCheckpoint ck = read(fixture);
        JsonNode expected = EXPECTED.get(fixture);
        List<String> expectedKeys = new ArrayList<>();
        expected.get("tensors").fieldNames().forEachRemaining(expectedKeys::add);
        assertEquals(expectedKeys, new ArrayList<>(ck.tensors().keySet()), fixture + " keys in order");
        for (String key : expectedKeys) {
            JsonNode e = expected.get("tensors").get(key);
            Tensor t = ck.tensors().get(key);
            String where = fixture + " " + key;
            assertEquals(DType.valueOf(e.get("dtype").asText()), t.dtype(), where);
            assertArrayEquals(ints(e.get("shape")), t.shape(), where);
            assertTrue(t.isContiguous(), where);
            JsonNode values = e.get("values");
            assertEquals(values.size(), t.numel(), where);
            switch (t.dtype()) {
                case F32 -> {
                    float[] actual = t.toFloatArray();
                    for (int i = 0; i < actual.length; i++) {
                        assertEquals(Float.floatToIntBits((float) values.get(i).asDouble()),
                                Float.floatToIntBits(actual[i]), where + "[" + i + "]");
                    }
                }
                case F64 -> {
                    double[] actual = t.toDoubleArray();
                    for (int i = 0; i < actual.length; i++) {
                        assertEquals(values.get(i).asDouble(), actual[i], 0.0, where + "[" + i + "]");
                    }
                }
                case I64 -> {
                    long[] actual = t.toLongArray();
                    for (int i = 0; i < actual.length; i++) {
                        assertEquals(values.get(i).asLong(), actual[i], where + "[" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void zipAndLegacyAgreeAndReportTheirFormat() throws Exception {
        PytorchCheckpoint zip = read("state_zip.pth");
        PytorchCheckpoint legacy = read("state_legacy.pth");
        assertEquals(PytorchCheckpoint.Format.ZIP, zip.format());
        assertEquals(PytorchCheckpoint.Format.LEGACY, legacy.format());
        for (String key : zip.tensors().keySet()) {
            assertArrayEquals(zip.tensors().get(key).toDoubleArray(), legacy.tensors().get(key).toDoubleArray(), key);
        }
    }

    @Test
    void conversionsAndViews() throws Exception {
        Map<String, Tensor> t = read("state_legacy.pth").tensors();
        assertArrayEquals(new float[] {1.5f, -2.25f, 65504f, 0x1p-24f, -0f, 0.0999755859375f}, t.get("f16").toFloatArray());
        assertArrayEquals(new long[] {-128, 127, -1}, t.get("i8").toLongArray());
        assertArrayEquals(new long[] {0, 255, 128}, t.get("u8").toLongArray());
        assertArrayEquals(new long[] {1, 0, 1}, t.get("bool").toLongArray());
        assertArrayEquals(new int[0], t.get("num_batches_tracked").shape());
        assertEquals(5, t.get("num_batches_tracked").item());
        Tensor base = t.get("base");
        Tensor transposed = t.get("base_t");
        Tensor stepped = t.get("base_step");
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 6; c++) {
                assertEquals(base.get(r, c), transposed.get(c, r));
            }
        }
        assertArrayEquals(new int[] {3, 3}, stepped.shape());
        assertEquals(base.get(3, 5), stepped.get(2, 2));
        assertArrayEquals(new long[] {-1, 7, 3}, t.get("i64_step").toLongArray());
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, t.get("expanded").toFloatArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"nested_zip.pth", "nested_legacy.pth"})
    void unwrapsStateDictStripsModulePrefixAndKeepsScalars(String fixture) throws Exception {
        PytorchCheckpoint ck = read(fixture);
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked"), new ArrayList<>(ck.tensors().keySet()));
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("epoch", 3L);
        extras.put("best_acc", 0.75);
        extras.put("arch", "tiny-net");
        assertEquals(extras, ck.extras());
        assertEquals(DType.I64, ck.tensors().get("1.num_batches_tracked").dtype());
        assertEquals(11, ck.tensors().get("1.num_batches_tracked").item());
    }

    @Test
    void unwrapsModelAndDropsOptimizerState() throws Exception {
        PytorchCheckpoint ck = read("model_zip.pth");
        assertEquals(Map.of("epoch", 7L), ck.extras());
        assertTrue(ck.tensors().containsKey("0.weight"));
    }

    @Test
    void readsFromPath() throws Exception {
        assertEquals(18, PytorchCheckpoint.read(Fixtures.path("state_zip.pth")).tensors().size());
    }

    @Test
    void prefixIsKeptUnlessEveryKeyHasIt() throws Exception {
        PickleWriter pid = Fixtures.zipStorage("FloatStorage", "0", 1);
        byte[] twoKeys = PickleWriter.proto2().emptyDict().mark()
                .str("module.a").tensorV2(pid, 0, new long[] {1}, new long[] {1})
                .str("b").tensorV2(pid, 0, new long[] {1}, new long[] {1})
                .op('u').stop().bytes();
        byte[] file = Fixtures.torchZip(twoKeys, Map.of("0", Fixtures.floats(ByteOrder.LITTLE_ENDIAN, 4f)));
        assertEquals(List.of("module.a", "b"), new ArrayList<>(PytorchCheckpoint.read("mixed.pth", file).tensors().keySet()));
    }

    @Test
    void parametersWithStateAndTensorMetadataAreData() throws Exception {
        PickleWriter pid = Fixtures.zipStorage("DoubleStorage", "0", 2);
        // {'p': _rebuild_parameter_with_state(<tensor>, True, OrderedDict(), {}),
        //  'm': _rebuild_tensor_v2(storage, 1, (1,), (1,), False, OrderedDict(), {'note': 1})}
        byte[] pkl = PickleWriter.proto2().emptyDict().mark()
                .str("p").global("torch._utils", "_rebuild_parameter_with_state").mark()
                .tensorV2(pid, 0, new long[] {2}, new long[] {1}).bool(true).orderedDict().emptyDict().tuple().reduce()
                .str("m").global("torch._utils", "_rebuild_tensor_v2").mark().mark().append(pid).tuple().op('Q')
                .integer(1).ints(1).ints(1).bool(false).orderedDict().emptyDict().str("note").integer(1).setItem()
                .tuple().reduce()
                .op('u').stop().bytes();
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).putDouble(-8);
        Map<String, Tensor> t = PytorchCheckpoint.read("p.pth", Fixtures.torchZip(pkl, Map.of("0", data.array())))
                .tensors();
        assertArrayEquals(new double[] {0.25, -8}, t.get("p").toDoubleArray());
        assertArrayEquals(new double[] {-8}, t.get("m").toDoubleArray());
    }

    @Test
    void honoursTheByteorderRecord() throws Exception {
        byte[] pkl = Fixtures.singleTensorDict("w", Fixtures.zipStorage("FloatStorage", "0", 3), 0, new long[] {3},
                new long[] {1});
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pkl);
        entries.put("archive/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        entries.put("archive/data/0", Fixtures.floats(ByteOrder.BIG_ENDIAN, 1.5f, -2f, 3.25f));
        PytorchCheckpoint ck = PytorchCheckpoint.read("big.pth", Fixtures.zip(entries));
        assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, ck.tensors().get("w").toFloatArray());
    }

    @Test
    void legacyStorageViewsAndOldRebuildFunction() throws Exception {
        // _rebuild_tensor(view of elements [2, 5) of a 6-element storage, offset 1, size (2,), stride (1,))
        byte[] main = PickleWriter.proto2().emptyDict().str("v").global("torch._utils", "_rebuild_tensor")
                .mark().mark().append(Fixtures.legacyStorage("DoubleStorage", "k", 6, new long[] {2, 3}))
                .tuple().op('Q').integer(1).ints(2).ints(1).tuple().reduce().setItem().stop().bytes();
        ByteBuffer data = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            data.putDouble(i * 1.5);
        }
        byte[] file = Fixtures.legacy(main, Map.of("k", data.array()), Map.of("k", 6L));
        PytorchCheckpoint ck = PytorchCheckpoint.read("views.th", file);
        assertArrayEquals(new double[] {4.5, 6.0}, ck.tensors().get("v").toDoubleArray());
    }

    @Test
    void errorsNameTheFileAndTheProblem() throws Exception {
        assertEquals("notes.txt: not a PyTorch checkpoint: starts with bytes 68 65 6c 6c 6f (expected a zip archive or"
                + " a pickle)", failure("notes.txt", "hello".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("empty.pth: not a PyTorch checkpoint: the file is empty", failure("empty.pth", new byte[0]));
        assertTrue(failure("plain.pkl", PickleWriter.proto2().emptyDict().stop().bytes())
                .startsWith("plain.pkl at byte 4: not a PyTorch checkpoint: the first pickle holds dict"));

        byte[] zip = Fixtures.bytes("state_zip.pth");
        assertTrue(failure("cut.pth", Arrays.copyOf(zip, zip.length - 30)).startsWith("cut.pth: zip archive without an"
                + " end-of-central-directory record"));
        byte[] legacy = Fixtures.bytes("state_legacy.pth");
        assertTrue(failure("cut.th", Arrays.copyOf(legacy, legacy.length - 3)).contains("truncated"));

        Map<String, byte[]> entries = Fixtures.unzip(zip);
        Map<String, byte[]> missing = new LinkedHashMap<>(entries);
        missing.remove("state_zip/data/0");
        assertTrue(failure("missing.pth", Fixtures.zip(missing))
                .contains("storage key '0' is missing: no record state_zip/data/0"));

        Map<String, byte[]> shortened = new LinkedHashMap<>(entries);
        shortened.put("state_zip/data/0", Arrays.copyOf(entries.get("state_zip/data/0"), 4));
        assertTrue(failure("short.pth", Fixtures.zip(shortened)).contains("size mismatch: torch.FloatStorage '0' declares"));

        Map<String, byte[]> complex = new LinkedHashMap<>(entries);
        complex.put("state_zip/data.pkl", replace(entries.get("state_zip/data.pkl"), "torch\nDoubleStorage\n",
                "torch\nComplexDoubleStorage\n"));
        assertTrue(failure("complex.pth", Fixtures.zip(complex)).startsWith("complex.pth (state_zip/data.pkl) at byte"));
        assertTrue(failure("complex.pth", Fixtures.zip(complex)).contains("unsupported dtype: storage torch.ComplexDoubleStorage"));

        byte[] list = Fixtures.torchZip(PickleWriter.proto2().op(']').stop().bytes(), Map.of());
        assertEquals("list.pth: the pickled object is a list, expected a dict (a state dict or a checkpoint dict"
                + " holding one)", failure("list.pth", list));

        byte[] noTensors = Fixtures.torchZip(PickleWriter.proto2().emptyDict().str("epoch").integer(3).setItem().stop()
                .bytes(), Map.of());
        assertEquals("none.pth: no tensors in the state dict (keys ['epoch'])", failure("none.pth", noTensors));

        Map<String, byte[]> script = new LinkedHashMap<>();
        script.put("m/constants.pkl", new byte[] {'.'});
        script.put("m/code/__torch__.py", new byte[0]);
        assertTrue(failure("script.pt", Fixtures.zip(script)).contains("a TorchScript archive (torch.jit.save)"));
    }

    @Test
    void legacyDataSectionErrors() {
        byte[] pkl = Fixtures.singleTensorDict("w", Fixtures.legacyStorage("FloatStorage", "k", 2, null), 0,
                new long[] {2}, new long[] {1});
        byte[] data = Fixtures.floats(ByteOrder.LITTLE_ENDIAN, 1f, 2f);
        assertTrue(failure("count.th", Fixtures.legacy(pkl, Map.of("k", data), Map.of("k", 3L)))
                .contains("size mismatch: torch.FloatStorage 'k' has 3 elements in its data header but 2 in the pickle"));
        assertTrue(failure("huge.th", Fixtures.legacy(pkl, Map.of("k", data), Map.of("k", 1L << 40)))
                .contains("size mismatch"));
        assertTrue(failure("other.th", Fixtures.legacy(pkl, Map.of("x", data), Map.of("x", 2L)))
                .contains("storage key 'x' in the data section is not used by the pickled object"));
        assertTrue(failure("none.th", Fixtures.legacy(pkl, Map.of(), Map.of()))
                .contains("storage key 'k' used by a tensor is missing from the data section"));

        byte[] outside = Fixtures.singleTensorDict("w", Fixtures.legacyStorage("FloatStorage", "k", 2, null), 1,
                new long[] {2}, new long[] {1});
        assertTrue(failure("outside.th", Fixtures.legacy(outside, Map.of("k", data), Map.of("k", 2L)))
                .contains("view at offset 1 with size [2] and stride [1] reaches outside torch.FloatStorage 'k' of 2"
                        + " elements"));
    }

    @Test
    void legacySysInfoIsHonoured() {
        byte[] legacy = Fixtures.bytes("state_legacy.pth");
        byte[] bigEndian = Fixtures.legacyPreamble(false, 8);
        byte[] file = new byte[legacy.length];
        System.arraycopy(bigEndian, 0, file, 0, bigEndian.length);
        System.arraycopy(legacy, bigEndian.length, file, bigEndian.length, legacy.length - bigEndian.length);
        assertTrue(failure("be.th", file).contains("written on a big-endian machine (little_endian=False)"));
        byte[] oddLong = Fixtures.legacyPreamble(true, 16);
        System.arraycopy(oddLong, 0, file, 0, oddLong.length);
        assertTrue(failure("odd.th", file).contains("unexpected C type sizes short=2 int=4 long=16"));
    }

    @Test
    void selfContainingCheckpointDictIsAnError() {
        // d = {}; d['state_dict'] = d
        byte[] pkl = PickleWriter.proto2().emptyDict().op('q').raw(0).str("state_dict").op('h').raw(0).setItem().stop()
                .bytes();
        assertEquals("loop.pth: the checkpoint dict contains itself", failure("loop.pth", Fixtures.torchZip(pkl, Map.of())));
    }

    private static byte[] replace(byte[] haystack, String from, String to) {
        String s = new String(haystack, StandardCharsets.ISO_8859_1);
        assertTrue(s.contains(from));
        return s.replace(from, to).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
