package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Options, initialisation, stages and argument errors of both families. */
class StagedNetworkTest {

    @Test
    void optionsSetInputChannelsAndClasses() {
        ResNet net = ResNet.resnet18(5, 1, new Generator(1));
        assertArrayEquals(new int[] {64, 1, 7, 7}, net.stateDict().get("conv1.weight").shape());
        net.eval();
        try (var _ = NoGrad.enter()) {
            assertArrayEquals(new int[] {2, 5}, net.forward(Tensor.randn(new Generator(2), 2, 1, 40, 40)).shape());
        }
        CifarResNet cifar = CifarResNet.of(20, 100, 1, new Generator(1));
        assertArrayEquals(new int[] {100, 64}, cifar.stateDict().get("linear.weight").shape());
        assertArrayEquals(new int[] {16, 1, 3, 3}, cifar.stateDict().get("conv1.weight").shape());
    }

    @Test
    void initialisationFollowsTorchvision() {
        Map<String, Tensor> state = ResNet.resnet18(1000, 3, new Generator(1)).stateDict();
        // kaiming_normal(fan_out, relu): std = sqrt(2 / (out · k · k)).
        assertStd(state.get("layer4.0.conv2.weight"), Math.sqrt(2.0 / (512 * 9)));
        assertStd(state.get("layer4.0.downsample.0.weight"), Math.sqrt(2.0 / 512));
        assertTrue(Arrays.stream(state.get("layer2.1.bn2.weight").toDoubleArray()).allMatch(v -> v == 1));
        assertTrue(Arrays.stream(state.get("layer2.1.bn2.bias").toDoubleArray()).allMatch(v -> v == 0));
        // PyTorch's default Linear: U(-1/sqrt(in), 1/sqrt(in)) for the bias.
        double bound = 1 / Math.sqrt(512);
        assertTrue(Arrays.stream(state.get("fc.bias").toDoubleArray()).allMatch(v -> Math.abs(v) <= bound));
        // akamaster's kaiming_normal defaults: fan_in.
        Map<String, Tensor> cifar = CifarResNet.of(110, 10, 3, new Generator(1)).stateDict();
        assertStd(cifar.get("layer3.5.conv1.weight"), Math.sqrt(2.0 / (64 * 9)));
    }

    private static void assertStd(Tensor t, double expected) {
        double[] v = t.toDoubleArray();
        double sq = 0;
        for (double x : v) {
            sq += x * x;
        }
        double std = Math.sqrt(sq / v.length);
        assertEquals(expected, std, 0.03 * expected, "std of " + v.length + " weights");
    }

    @Test
    void sameSeedSameWeights() {
        Map<String, Tensor> a = CifarResNet.of(20, 10, 3, new Generator(5)).stateDict();
        Map<String, Tensor> b = CifarResNet.of(20, 10, 3, new Generator(5)).stateDict();
        Map<String, Tensor> c = CifarResNet.of(20, 10, 3, new Generator(6)).stateDict();
        a.forEach((k, t) -> assertArrayEquals(t.toDoubleArray(), b.get(k).toDoubleArray(), k));
        assertFalse(Arrays.equals(a.get("conv1.weight").toDoubleArray(), c.get("conv1.weight").toDoubleArray()));
    }

    @Test
    void stagesAreNamedInForwardOrder() {
        assertEquals(List.of("stem", "layer1", "layer2", "layer3", "layer4", "fc"),
                List.copyOf(ResNet.resnet18(10, 3, new Generator(1)).stages().keySet()));
        CifarResNet cifar = CifarResNet.of(20, 10, 3, new Generator(1));
        assertEquals(List.of("stem", "layer1", "layer2", "layer3", "linear"), List.copyOf(cifar.stages().keySet()));
        assertEquals(List.of("conv1.*", "bn1.*"), cifar.stages().get("stem"));
        assertEquals(19, cifar.optionalStateKeys().size());
        assertEquals("bn1.num_batches_tracked", cifar.optionalStateKeys().getFirst());
    }

    /** The public CIFAR checkpoints lack the counters; a non-strict load reports exactly those as missing. */
    @Test
    void checkpointWithoutCountersLoads() {
        Map<String, Tensor> checkpoint = CifarResNet.of(20, 10, 3, new Generator(1)).stateDict();
        CifarResNet net = CifarResNet.of(20, 10, 3, new Generator(2));
        net.optionalStateKeys().forEach(checkpoint::remove);
        var result = net.loadStateDict(checkpoint, false);
        assertEquals(net.optionalStateKeys(), result.missing());
        assertEquals(List.of(), result.unexpected());
        assertArrayEquals(checkpoint.get("layer3.2.conv2.weight").toFloatArray(),
                net.stateDict().get("layer3.2.conv2.weight").toFloatArray());
    }

    @Test
    void badArgumentsAreNamed() {
        CifarResNet cifar = CifarResNet.of(20, 10, 3, new Generator(1));
        var stage = assertThrows(IllegalArgumentException.class, () -> cifar.freezeStagesThrough("layer4"));
        assertTrue(stage.getMessage().contains("'layer4'") && stage.getMessage().contains("linear"),
                stage.getMessage());
        var depth = assertThrows(IllegalArgumentException.class, () -> CifarResNet.of(21, 10, 3, new Generator(1)));
        assertTrue(depth.getMessage().contains("21"), depth.getMessage());
        var classes = assertThrows(IllegalArgumentException.class, () -> ResNet.resnet18(0, 3, new Generator(1)));
        assertTrue(classes.getMessage().startsWith("resnet18:"), classes.getMessage());
    }
}
