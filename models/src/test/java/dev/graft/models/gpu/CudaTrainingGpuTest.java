package dev.graft.models.gpu;

import dev.graft.engine.Backend;
import dev.graft.engine.BackendUnavailableException;
import dev.graft.engine.Backends;
import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import dev.graft.models.ModelRegistry;
import dev.graft.models.resnet.StagedNetwork;
import dev.graft.models.train.Strategy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Whole-network training on the GPU against the CPU: a ResNet-50 training step (forward, cross entropy, backward,
 * SGD with momentum and weight decay) and a frozen-backbone step, from identical weights and batches. Skipped, with
 * the reason printed, where the CUDA backend cannot open.
 */
@Tag("gpu")
class CudaTrainingGpuTest {
    /** F32 on both sides; TF32 convolutions and GEMMs (graft.cuda.tf32) round inputs to 10 mantissa bits. */
    private static final double TOLERANCE = Boolean.getBoolean("graft.cuda.tf32")
            || "1".equals(System.getenv("GRAFT_TF32")) ? 3e-3 : 1e-4;

    private static Backend cuda() {
        try {
            return Backends.get("cuda");
        } catch (BackendUnavailableException e) {
            System.out.println("CudaTrainingGpuTest skipped: " + e.getMessage());
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    @Test
    void resnet50TrainingStepMatchesTheCpu() {
        compareStep(cuda(), Strategy.Kind.FULL);
    }

    @Test
    void resnet50FrozenBackboneStepMatchesTheCpu() {
        compareStep(cuda(), Strategy.Kind.FEATURE_EXTRACT);
    }

    private static void compareStep(Backend gpu, Strategy.Kind strategy) {
        StagedNetwork onCpu = network(strategy);
        StagedNetwork onGpu = network(strategy);
        onGpu.to(gpu);
        Generator gen = new Generator(11);
        Tensor images = Tensor.randn(gen, 4, 3, 160, 160);
        Tensor labels = Tensor.ofLongs(new long[] {3, 999, 0, 512}, 4);
        double cpuLoss = step(onCpu, images, labels);
        double gpuLoss = step(onGpu, images.to(gpu), labels.to(gpu));
        assertEquals(cpuLoss, gpuLoss, TOLERANCE * Math.abs(cpuLoss), "loss");
        Map<String, Tensor> expected = onCpu.stateDict();
        onGpu.stateDict().forEach((name, t) -> {
            assertSame(gpu, t.backend(), name + " left the GPU");
            assertClose(name, expected.get(name).toDoubleArray(), t.toDoubleArray());
        });
    }

    private static StagedNetwork network(Strategy.Kind strategy) {
        StagedNetwork net = ModelRegistry.get("resnet50").build(new Generator(7));
        Strategy.of(strategy).apply(net);
        net.train();
        return net;
    }

    /** One SGD step; returns the loss. */
    private static double step(StagedNetwork net, Tensor images, Tensor labels) {
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        net.namedParameters().forEach((name, p) -> {
            if (p.isTrainable()) {
                trainable.put(name, p);
            }
        });
        Sgd sgd = new Sgd(List.of(new ParamGroup("all", trainable, 0.05, 1e-4)), 0.9, 0, false);
        Tensor loss = Functional.crossEntropy(net.forward(images), labels, null, 0.1, Reduction.MEAN);
        double value = loss.item();
        loss.backward();
        sgd.step();
        return value;
    }

    /** Elementwise within TOLERANCE of the tensor's largest magnitude (parameters after one step, statistics). */
    private static void assertClose(String name, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, name);
        double scale = 1e-6;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(expected[i] - actual[i]);
            assertTrue(error <= TOLERANCE * scale, name + " element " + i + ": CPU " + expected[i] + ", GPU "
                    + actual[i] + " (scale " + scale + ")");
        }
    }
}
