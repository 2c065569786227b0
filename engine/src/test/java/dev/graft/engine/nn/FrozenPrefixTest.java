package dev.graft.engine.nn;

import dev.graft.engine.BackwardTrace;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fully frozen prefix of a network records no graph and does no backward work: the executed backward
 * nodes are exactly those of the trainable suffix, and unfreezing the prefix adds its nodes back.
 */
class FrozenPrefixTest {

    private static Sequential prefix(Generator gen) {
        return new Sequential(
                new Conv2d(3, 8, 3, 1, 1, false, gen), new BatchNorm2d(8), new ReLU(),
                new MaxPool2d(2),
                new Conv2d(8, 8, 3, 1, 1, false, gen), new BatchNorm2d(8), new ReLU());
    }

    private static Sequential head(Generator gen) {
        return new Sequential(new AdaptiveAvgPool2d(1, 1), new Flatten(), new Linear(8, 4, true, gen));
    }

    private static List<String> backwardNodes(Sequential net, Tensor x) {
        Tensor loss = net.forward(x).sum();
        try (var trace = BackwardTrace.start()) {
            loss.backward();
            return trace.nodes();
        }
    }

    @Test
    void frozenPrefixRecordsNothingAndRunsNoBackward() {
        Generator gen = new Generator(11);
        Sequential stem = prefix(gen);
        Sequential top = head(gen);
        Sequential net = new Sequential(stem, top);
        net.train();
        Tensor x = Tensor.randn(gen, 2, 3, 8, 8);

        stem.freeze();
        Tensor features = stem.forward(x);
        assertFalse(features.requiresGrad(), "frozen prefix output must be a constant");
        assertNull(features.gradFnName());

        List<String> frozenRun = backwardNodes(net, x);
        // Only the trainable linear head runs: the loss sum, the bias add, the matmul and the weight transpose.
        // Pooling and flatten take constant input, so even they record nothing.
        assertEquals(List.of("sum", "add", "matmul", "permute"), frozenRun);
        stem.parameters().forEach(p -> assertNull(p.grad(), "frozen parameter received a gradient"));
        top.parameters().forEach(p -> assertTrue(p.grad() != null, "head parameter lacks a gradient"));

        net.zeroGrad();
        stem.unfreeze();
        List<String> fullRun = backwardNodes(net, x);
        assertEquals(List.of("sum", "add", "matmul", "permute", "view", "adaptive_avg_pool2d",
                "relu", "batch_norm", "conv2d", "max_pool2d", "relu", "batch_norm", "conv2d"), fullRun);
    }
}
