package dev.graft.weights;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The published CIFAR-10 ResNets (legacy format, 'module.' keys, best_prec1 beside the state dict), read from
 * the shared assets; skipped when those are absent. Expected values come from torch.load via the fixture script.
 */
class CifarCheckpointTest {

    static Path checkpoint(String file) {
        Path dir = Fixtures.assets().map(a -> a.resolve("resnet-cifar10").resolve("pretrained_models")).orElse(null);
        boolean present = dir != null && Files.isRegularFile(dir.resolve(file));
        String reason = "CIFAR-10 checkpoint " + file + " not found (set -Dgraft.assets=<dir holding resnet-cifar10/>"
                + " or place shared/assets beside the repository); skipping";
        if (!present) {
            System.out.println(reason);
        }
        assumeTrue(present, reason);
        return dir.resolve(file);
    }

    @Test
    void resnet20MatchesTorchLoad() throws Exception {
        PytorchCheckpoint ck = PytorchCheckpoint.read(checkpoint("resnet20-12fca82f.th"));
        JsonNode expected = Fixtures.json("resnet20_expected.json");
        assertEquals(PytorchCheckpoint.Format.LEGACY, ck.format());
        assertEquals(Map.of("best_prec1", expected.get("best_prec1").asDouble()), ck.extras());

        List<String> keys = new ArrayList<>();
        expected.get("tensors").fieldNames().forEachRemaining(keys::add);
        assertEquals(keys, new ArrayList<>(ck.tensors().keySet()));
        assertArrayEquals(new int[] {16, 3, 3, 3}, ck.tensors().get("conv1.weight").shape());
        assertArrayEquals(new int[] {10, 64}, ck.tensors().get("linear.weight").shape());
        for (String key : keys) {
            JsonNode e = expected.get("tensors").get(key);
            Tensor t = ck.tensors().get(key);
            assertEquals(DType.F32, t.dtype(), key);
            double[] values = t.toDoubleArray();
            assertEquals(e.get("shape").size(), t.dim(), key);
            for (int i = 0; i < e.get("first").size(); i++) {
                assertEquals(e.get("first").get(i).asDouble(), values[i], 0.0, key + "[" + i + "]");
            }
            double sum = 0;
            for (double v : values) {
                sum += v;
            }
            double want = e.get("sum").asDouble();
            assertEquals(want, sum, 1e-9 * Math.max(1, Math.abs(want)), key + " sum");
        }
    }

    @ParameterizedTest
    @CsvSource({"resnet32-d509ac18.th, 5, 92.78", "resnet44-014dd654.th, 7, 93.14", "resnet56-4bfd9763.th, 9, 93.62"})
    void deeperResnetsLoad(String file, int blocksPerStage, double bestPrec1) throws Exception {
        PytorchCheckpoint ck = PytorchCheckpoint.read(checkpoint(file));
        assertEquals(bestPrec1, (Double) ck.extras().get("best_prec1"), 1e-4);
        // conv1 + bn1 (5 tensors), 3 stages × n blocks × (2 convs + 2 BNs of 4 tensors), linear (2)
        assertEquals(1 + 4 + 3 * blocksPerStage * 10 + 2, ck.tensors().size());
        String last = "layer3." + (blocksPerStage - 1) + ".bn2.running_var";
        assertTrue(ck.tensors().containsKey(last), last);
        assertArrayEquals(new int[] {64, 64, 3, 3}, ck.tensors().get("layer3.0.conv2.weight").shape());
    }
}
