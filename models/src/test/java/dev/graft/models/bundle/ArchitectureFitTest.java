package dev.graft.models.bundle;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.models.ModelRegistry;
import dev.graft.weights.PytorchCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Every registered architecture is recognised by its layout, and only by it, whatever its head and stem.
 * Layouts come from the key-list fixtures where there is one (PyTorch's own lists, which {@code StateDictKeysTest}
 * and {@code CifarCheckpointKeysTest} prove graft builds; building the large networks here would cost seconds
 * each), and from building the network otherwise.
 */
class ArchitectureFitTest {
    static List<String> architectures() {
        return ModelRegistry.names();
    }

    static Map<String, int[]> layout(Map<String, Tensor> state) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        state.forEach((key, t) -> shapes.put(key, t.shape()));
        return shapes;
    }

    /** The "KEY (d0,d1,…)" lines of fixtures/keys/NAME.txt (make_model_fixtures.py), or null without one. */
    static Map<String, int[]> fixtureLayout(String name) throws IOException {
        try (InputStream in = ArchitectureFitTest.class.getResourceAsStream("/fixtures/keys/" + name + ".txt")) {
            if (in == null) {
                return null;
            }
            Map<String, int[]> shapes = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.strip().split(" ");
                if (f.length == 2 && f[1].startsWith("(") && f[1].endsWith(")")) {
                    String dims = f[1].substring(1, f[1].length() - 1);
                    shapes.put(f[0], dims.isEmpty() ? new int[0]
                            : Arrays.stream(dims.split(",")).mapToInt(Integer::parseInt).toArray());
                }
            }
            return shapes;
        }
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void theTableHoldsEachArchitecturesFingerprint(String name) throws IOException {
        Map<String, int[]> fixture = fixtureLayout(name);
        // Built with seven classes and one channel: the fingerprint must not depend on either.
        Map<String, int[]> layout = fixture != null ? fixture
                : layout(ModelRegistry.get(name).build(7, 1, new Generator(0)).stateDict());
        String fingerprint = ArchitectureFit.fingerprint(layout);
        assertEquals(fingerprint, ArchitectureFit.FINGERPRINTS.get(name),
                () -> "ArchitectureFit.FINGERPRINTS needs Map.entry(\"" + name + "\", \"" + fingerprint + "\")");
        assertEquals(List.of(name), ArchitectureFit.fitting(layout), "one architecture per layout");
    }

    @ParameterizedTest
    @ValueSource(ints = {20, 32, 44, 56})
    void thePublicCifarCheckpointsAreRecognised(int depth) throws IOException {
        assertEquals(List.of("cifar_resnet" + depth), ArchitectureFit.fitting(fixtureLayout("asset_resnet" + depth)));
    }

    @Test
    void headStemCountersAndOrderDoNotMatter() throws Exception {
        Map<String, Tensor> checkpoint = PytorchCheckpoint.read(CliFixtures.path(CliFixtures.ZIP)).tensors();
        Map<String, int[]> file = layout(checkpoint);
        assertEquals(List.of(CliFixtures.ARCH), ArchitectureFit.fitting(file));

        Map<String, int[]> changed = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(file.keySet());
        Collections.reverse(keys);
        for (String key : keys) {
            if (!key.endsWith(".num_batches_tracked")) {
                changed.put(key, file.get(key).clone());
            }
        }
        changed.put("linear.weight", new int[] {100, 64});
        changed.put("linear.bias", new int[] {100});
        changed.put("conv1.weight", new int[] {16, 1, 3, 3});
        assertEquals(ArchitectureFit.fingerprint(file), ArchitectureFit.fingerprint(changed));
    }

    @Test
    void anyOtherDifferenceFitsNothing() throws Exception {
        Map<String, int[]> file = layout(PytorchCheckpoint.read(CliFixtures.path(CliFixtures.ZIP)).tensors());

        Map<String, int[]> wider = new LinkedHashMap<>(file);
        wider.put("layer1.0.conv1.weight", new int[] {16, 16, 5, 5});
        Map<String, int[]> missing = new LinkedHashMap<>(file);
        missing.remove("layer3.2.bn2.running_var");
        Map<String, int[]> extra = new LinkedHashMap<>(file);
        extra.put("head.weight_g", new int[] {3});
        Map<String, int[]> renamed = new LinkedHashMap<>();
        file.forEach((k, v) -> renamed.put(k.replace("linear.", "fc."), v));
        for (Map<String, int[]> other : List.of(wider, missing, extra, renamed)) {
            assertNotEquals(ArchitectureFit.fingerprint(file), ArchitectureFit.fingerprint(other));
            assertEquals(List.of(), ArchitectureFit.fitting(other));
        }
    }
}
