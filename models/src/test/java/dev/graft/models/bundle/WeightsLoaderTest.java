package dev.graft.models.bundle;

import dev.graft.engine.DType;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.safetensors.SafetensorsWriter;
import dev.graft.models.ModelRegistry;
import dev.graft.models.Preprocessing;
import dev.graft.models.resnet.StagedNetwork;
import dev.graft.weights.PytorchCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.graft.models.bundle.CliFixtures.ARCH;
import static dev.graft.models.bundle.CliFixtures.CLASSES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Checkpoints of every supported type become the network PyTorch ran, or fail naming every problem. */
class WeightsLoaderTest {
    private static final LoadOptions CIFAR = LoadOptions.defaults().withArch(ARCH);
    private static Map<String, Tensor> reference;

    @TempDir
    Path dir;

    @BeforeAll
    static void readReference() throws Exception {
        reference = PytorchCheckpoint.read(CliFixtures.path(CliFixtures.ZIP)).tensors();
    }

    static Tensor logits(StagedNetwork network) {
        network.eval();
        try (var _ = NoGrad.enter()) {
            return network.forward(CliFixtures.read(CliFixtures.INPUT));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {CliFixtures.ZIP, CliFixtures.LEGACY})
    void pytorchCheckpointsGivePytorchLogits(String fixture) throws Exception {
        LoadedModel loaded = WeightsLoader.load(CliFixtures.path(fixture), CIFAR);
        assertEquals(ARCH, loaded.info().arch());
        assertEquals(CLASSES, loaded.info().numClasses(), "class count comes from the checkpoint's classifier");
        assertEquals(3, loaded.inChannels());
        assertEquals(List.of(), loaded.replacedKeys());
        CliFixtures.assertLogitsClose(CliFixtures.read(CliFixtures.LOGITS), logits(loaded.network()));
    }

    @Test
    void legacyCheckpointMayLackTheOptionalCounters() throws Exception {
        LoadedModel loaded = WeightsLoader.load(CliFixtures.path(CliFixtures.LEGACY), CIFAR);
        assertEquals(CheckpointFormat.PYTORCH_LEGACY, loaded.format());
        assertEquals(loaded.network().optionalStateKeys(), loaded.defaultedKeys());
        assertEquals(19, loaded.defaultedKeys().size());
        assertEquals(List.of(), WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP), CIFAR).defaultedKeys());
    }

    @Test
    void bundleRoundTripKeepsWeightsAndMetadata() throws Exception {
        LoadedModel direct = WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP), CIFAR);
        Path bundle = dir.resolve("model.safetensors");
        BundleMetadata written = new BundleMetadata(ARCH, CLASSES, List.of("cat", "dog", "bird"),
                direct.info().preprocessing(), "ab".repeat(32), CliFixtures.ZIP, ModelBundle.graftVersion());
        ModelBundle.write(bundle, direct.network(), written);

        assertEquals(written, ModelBundle.readMetadata(bundle));
        LoadedModel loaded = WeightsLoader.load(bundle, LoadOptions.defaults());
        assertTrue(loaded.bundle());
        assertEquals(written, loaded.info());
        assertEquals("graft bundle", loaded.source());
        loaded.network().stateDict().forEach((key, t) -> assertArrayEquals(
                direct.network().stateDict().get(key).toDoubleArray(), t.toDoubleArray(), key));
        assertArrayEquals(logits(direct.network()).toFloatArray(), logits(loaded.network()).toFloatArray());
    }

    @Test
    void bundleArchitectureMustMatchARequestedOne() throws Exception {
        Path bundle = dir.resolve("model.safetensors");
        LoadedModel direct = WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP), CIFAR);
        ModelBundle.write(bundle, direct.network(), direct.info());
        assertEquals(ARCH, WeightsLoader.load(bundle, CIFAR).info().arch());
        WeightsException e = assertThrows(WeightsException.class,
                () -> WeightsLoader.load(bundle, LoadOptions.defaults().withArch("resnet18")));
        assertTrue(e.getMessage().contains("holds cifar_resnet20, not resnet18"), e.getMessage());
    }

    @Test
    void rawCheckpointNeedsAnArchitecture() {
        WeightsException e = assertThrows(WeightsException.class,
                () -> WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP), LoadOptions.defaults()));
        assertTrue(e.getMessage().contains(CliFixtures.ZIP) && e.getMessage().contains("--arch")
                && e.getMessage().contains("cifar_resnet20"), e.getMessage());
    }

    @Test
    void safetensorsWithTorchvisionNamesAndDataParallelPrefixLoad() throws Exception {
        Map<String, Tensor> prefixed = new LinkedHashMap<>();
        reference.forEach((k, t) -> prefixed.put("module." + k, t.to(DType.F64)));
        Path file = dir.resolve("timm-like.safetensors");
        SafetensorsWriter.write(file, prefixed, Map.of("format", "pt"));
        LoadedModel loaded = WeightsLoader.load(file, CIFAR);
        assertEquals(CheckpointFormat.SAFETENSORS, loaded.format());
        assertEquals("safetensors", loaded.source());
        loaded.network().stateDict().forEach((key, t) -> {
            assertEquals(reference.get(key).dtype() == DType.I64 ? DType.I64 : DType.F32, t.dtype(), key);
            assertArrayEquals(reference.get(key).toDoubleArray(), t.toDoubleArray(), key);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void halfPrecisionTensorsWidenToF32(String dtype) throws Exception {
        Path file = dir.resolve("half.safetensors");
        CliFixtures.writeHalfSafetensors(file, reference, dtype);
        StagedNetwork network = WeightsLoader.load(file, CIFAR).network();
        network.stateDict().forEach((key, t) -> {
            if (t.dtype() == DType.I64) {
                return;
            }
            float[] source = reference.get(key).toFloatArray();
            float[] expected = new float[source.length];
            for (int i = 0; i < source.length; i++) {
                expected[i] = dtype.equals("F16") ? Float.float16ToFloat(Float.floatToFloat16(source[i]))
                        : Float.intBitsToFloat(Float.floatToRawIntBits(source[i]) & 0xffff0000);
            }
            assertEquals(DType.F32, t.dtype(), key);
            assertArrayEquals(expected, t.toFloatArray(), key);
        });
    }

    @Test
    void differentClassCountReplacesTheClassifierWhenAllowed() throws Exception {
        LoadedModel loaded = WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP), CIFAR.withNewClassifier(5));
        assertEquals(List.of("linear.weight", "linear.bias"), loaded.replacedKeys());
        assertEquals(5, loaded.info().numClasses());
        Map<String, Tensor> state = loaded.network().stateDict();
        assertArrayEquals(new int[] {5, 64}, state.get("linear.weight").shape());
        assertArrayEquals(reference.get("layer3.2.conv2.weight").toFloatArray(),
                state.get("layer3.2.conv2.weight").toFloatArray(), "the backbone is loaded");
        assertArrayEquals(new int[] {2, 5}, logits(loaded.network()).shape());
        // Seeded: the fresh classifier is the same on every load.
        LoadedModel again = WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP), CIFAR.withNewClassifier(5));
        assertArrayEquals(state.get("linear.weight").toFloatArray(),
                again.network().stateDict().get("linear.weight").toFloatArray());

        LoadedModel same = WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP), CIFAR.withNewClassifier(CLASSES));
        assertEquals(List.of(), same.replacedKeys(), "a classifier of the requested size is kept");
    }

    @Test
    void differentClassCountWithoutPermissionNamesKeysAndShapes() {
        WeightsException e = assertThrows(WeightsException.class, () -> WeightsLoader.load(
                CliFixtures.path(CliFixtures.ZIP), new LoadOptions(ARCH, 5, false)));
        String m = e.getMessage();
        assertTrue(m.contains("linear.weight is [3, 64] in the file, [5, 64] in the network")
                && m.contains("linear.bias is [3] in the file, [5] in the network")
                && m.contains("the file's classifier has 3 classes"), m);
        assertFalse(m.contains("its keys and shapes fit"), "it does fit, but for the head: " + m);
    }

    @Test
    void unmatchedKeysAreAllListed() throws Exception {
        Map<String, Tensor> state = new LinkedHashMap<>(reference);
        state.remove("layer1.0.conv1.weight");
        state.remove("bn1.bias");
        state.put("head.weight", Tensor.zeros(3, 64));
        state.put("layer2.0.conv1.weight", Tensor.zeros(32, 16, 1, 1));
        Path file = dir.resolve("broken.safetensors");
        SafetensorsWriter.write(file, state, null);
        WeightsException e = assertThrows(WeightsException.class, () -> WeightsLoader.load(file, CIFAR));
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": "), m);
        assertTrue(m.contains("missing keys (2): bn1.bias, layer1.0.conv1.weight"), m);
        assertTrue(m.contains("unexpected keys (1): head.weight"), m);
        assertTrue(m.contains("shape mismatches (1): layer2.0.conv1.weight is [32, 16, 1, 1] in the file,"
                + " [32, 16, 3, 3] in the network"), m);
        assertTrue(m.endsWith("; its keys and shapes fit none of the registered architectures"), m);
        assertEquals(1, m.lines().count(), "one line");
    }

    @Test
    void wrongArchitectureNamesAFewKeysAndTheArchitectureThatFits() {
        WeightsException e = assertThrows(WeightsException.class, () -> WeightsLoader.load(
                CliFixtures.path(CliFixtures.ZIP), LoadOptions.defaults().withArch("cifar_resnet32")));
        String m = e.getMessage();
        assertEquals(CliFixtures.path(CliFixtures.ZIP) + ": the PyTorch zip state dict does not fit cifar_resnet32 with"
                + " 3 classes: missing keys (60): layer1.3.conv1.weight, layer1.3.bn1.weight, layer1.3.bn1.bias,"
                + " layer1.3.bn1.running_mean, layer1.3.bn1.running_var and 55 more; its keys and shapes fit"
                + " cifar_resnet20", m);

        e = assertThrows(WeightsException.class, () -> WeightsLoader.load(CliFixtures.path(CliFixtures.ZIP),
                LoadOptions.defaults().withArch("resnet50")));
        m = e.getMessage();
        assertTrue(m.contains(": the PyTorch zip state dict does not fit resnet50 with 3 classes: missing keys (172): "
                + "layer1.0.conv3.weight, layer1.0.bn3.weight, layer1.0.bn3.bias, layer1.0.bn3.running_mean,"
                + " layer1.0.bn3.running_var and 167 more; unexpected keys (2): linear.weight, linear.bias;"
                + " shape mismatches (95): conv1.weight is [16, 3, 3, 3] in the file, [64, 3, 7, 7] in the"
                + " network,"), m);
        assertTrue(m.contains(" and 90 more; "), m);
        assertTrue(m.endsWith("; its keys and shapes fit cifar_resnet20"), m);
        assertTrue(m.length() < 1000, m.length() + " characters: " + m);
    }

    @Test
    void unknownArchitectureIsRefusedUpFront() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoadOptions.defaults().withArch("resnet19"));
        assertTrue(e.getMessage().contains("unknown architecture 'resnet19'"), e.getMessage());
    }

    @Test
    void notAWeightsFileIsReportedWithItsBytes() throws Exception {
        Path file = Files.write(dir.resolve("notes.pth"), "hello world".getBytes());
        WeightsException e = assertThrows(WeightsException.class, () -> WeightsLoader.load(file, CIFAR));
        assertTrue(e.getMessage().contains("starts with bytes 68 65 6c 6c 6f"), e.getMessage());
    }

    @Test
    void publicCifarCheckpointLoads() throws Exception {
        Path file = Path.of(System.getProperty("graft.assets", "../../shared/assets"))
                .resolve("resnet-cifar10/pretrained_models/resnet20-12fca82f.th");
        assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        LoadedModel loaded = WeightsLoader.load(file, CIFAR);
        assertEquals(10, loaded.info().numClasses());
        assertEquals(19, loaded.defaultedKeys().size());
        assertEquals(ModelRegistry.get(ARCH).preprocessing(), loaded.info().preprocessing());
        Preprocessing p = loaded.info().preprocessing();
        Tensor image = Tensor.zeros(1, 3, p.inputSize(), p.inputSize());
        loaded.network().eval();
        try (var _ = NoGrad.enter()) {
            float[] out = loaded.network().forward(image).toFloatArray();
            assertEquals(10, out.length);
            for (float v : out) {
                assertTrue(Float.isFinite(v));
            }
        }
    }
}
