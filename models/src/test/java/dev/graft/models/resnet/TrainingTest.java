package dev.graft.models.resnet;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A CIFAR ResNet-20 trains end to end, and freezing stages by name cuts them out of backward. */
class TrainingTest {
    private static final List<String> EARLY = List.of("conv1.", "bn1.", "layer1.", "layer2.");

    @Test
    void backwardReachesExactlyTheTrainableStages() {
        CifarResNet net = CifarResNet.of(20, 10, 3, new Generator(7));
        net.train();
        Generator data = new Generator(11);
        Tensor x = Tensor.randn(data, 4, 3, 32, 32);
        Tensor y = Tensor.ofLongs(new long[] {1, 3, 5, 7}, 4);

        backward(net, x, y);
        net.namedParameters().forEach((name, p) -> assertFiniteGrad(name, p));

        net.zeroGrad();
        // Stem (3 tensors) and layer1, layer2 (3 blocks of 6 tensors each).
        assertEquals(39, net.freezeStagesThrough("layer2"));
        float[] stemMean = net.stateDict().get("bn1.running_mean").toFloatArray();
        float[] layer3Mean = net.stateDict().get("layer3.0.bn1.running_mean").toFloatArray();
        backward(net, x, y);
        net.namedParameters().forEach((name, p) -> {
            if (EARLY.stream().anyMatch(name::startsWith)) {
                assertFalse(p.isTrainable(), name);
                assertNull(p.grad(), name + " is frozen but received a gradient");
            } else {
                assertFiniteGrad(name, p);
            }
        });
        // Frozen BatchNorm keeps its running statistics in training mode; trainable BatchNorm updates them.
        assertArrayEquals(stemMean, net.stateDict().get("bn1.running_mean").toFloatArray());
        assertFalse(Arrays.equals(layer3Mean, net.stateDict().get("layer3.0.bn1.running_mean").toFloatArray()));

        assertEquals(18, net.setStageTrainable("layer2", true));
        assertTrue(net.namedParameters().get("layer2.0.conv1.weight").isTrainable());
        assertFalse(net.namedParameters().get("layer1.0.conv1.weight").isTrainable());
    }

    private static void backward(CifarResNet net, Tensor x, Tensor y) {
        Tensor loss = Functional.crossEntropy(net.forward(x), y, null, 0, Reduction.MEAN);
        assertTrue(Double.isFinite(loss.item()), "loss " + loss.item());
        loss.backward();
    }

    private static void assertFiniteGrad(String name, Parameter p) {
        assertTrue(p.isTrainable(), name);
        assertNotNull(p.grad(), name + " has no gradient");
        assertArrayEquals(p.tensor().shape(), p.grad().shape(), name);
        double norm = 0;
        for (double v : p.grad().toDoubleArray()) {
            assertTrue(Double.isFinite(v), name + " has a non-finite gradient element " + v);
            norm += v * v;
        }
        assertTrue(norm > 0, name + " has an all-zero gradient");
    }
}
